// An address on loopback where nothing listens (a free port, found and let go), for a dependency
// that is meant to be down; not a fixed port that something on the machine might hold.
import { freePorts } from '../../services/local-stack/src/free-ports';

export async function unusedAddress(): Promise<string> {
  return `127.0.0.1:${(await freePorts(1))[0]}`;
}
