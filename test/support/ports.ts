// Ports for the processes the tests start, chosen before they start, from below the range the kernel
// takes the local ports of outgoing connections from (Linux: 32768–60999; macOS and Windows: 49152
// and up).
//
// Why not port 0: a process given port 0 gets a port of that range, and a test that stops the
// process and starts it again on the same port (a restart, a crash and its supervision) finds the
// port taken whenever an outgoing connection somewhere on the machine was given it meanwhile:
// EADDRINUSE, seen under slow-sockets' 20,000 connections. Ports below the range are never handed
// out that way. And a stack whose ports are all known starts its six processes at once, where with
// port 0 each tier must wait for the addresses of the one before.
//
// Each Jest worker walks a slice of its own (JEST_WORKER_ID; the global setup's process, which has
// none, takes the first), so two files running side by side never pick the same port. Each port is
// checked free by binding it, which leaves out whatever else listens on the machine.
import { createServer } from 'node:net';
import { PORT_VARIABLES, type ProcessName } from '../../services/local-stack/src/launched-service';

const LOWEST = 20_000;
const SLICE = 1_500;
const SLICES = 8; // 20,000 to 31,999
const slice = LOWEST + (Number(process.env.JEST_WORKER_ID ?? 0) % SLICES) * SLICE;
// Where in its slice this module starts: Jest loads it afresh for each file, and a port that the
// previous file's processes let go of a moment ago is better left alone.
let cursor = Math.floor(Math.random() * SLICE);

const isFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** `count` distinct loopback ports, free right now and outside the range of outgoing connections. */
async function testPorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let tried = 0; ports.length < count; tried += 1) {
    if (tried === SLICE) throw new Error(`no ${count} free ports in ${slice}–${slice + SLICE - 1}`);
    const port = slice + (cursor++ % SLICE);
    if (await isFree(port)) ports.push(port);
  }
  return ports;
}

/** Every process on any free port (the OS's choice), for processes that are never started again on theirs. */
export const ANY_FREE_PORTS: Record<string, string> = Object.fromEntries(Object.values(PORT_VARIABLES).flatMap((variables) => variables.map((variable) => [variable, '0'])));

/** The listening ports of these processes, as the variables that set them (the test's `env` wins). */
export async function portEnv(names: readonly ProcessName[], env: Record<string, string> = {}): Promise<Record<string, string>> {
  const needed = names.flatMap((name) => PORT_VARIABLES[name]).filter((variable) => env[variable] === undefined);
  const ports = await testPorts(needed.length);
  return Object.fromEntries(needed.map((variable, index) => [variable, String(ports[index])]));
}
