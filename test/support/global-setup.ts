// Before every test file: the workloads compiled once (as `npm run build` does, about a second),
// into a folder of the run's own, dist.test/, and every service process the tests start runs from
// there (ECOWHEELS_COMPILED_DIR: launched-service.ts). So the tests run the JavaScript that
// `npm start` and the images run, and a stack starts in about half the time tsx needs to compile
// six processes' TypeScript at each start. `npm start`'s own test builds dist/ meanwhile without
// touching it. Jest hands the environment set here to its workers.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildInto } from '../../services/local-stack/src/build';

/** Not a dot-folder: Express's static files refuse any path through one (the gateway's pages). */
export const TEST_DIST = join(__dirname, '..', '..', 'dist.test');

export default async function globalSetup(): Promise<void> {
  rmSync(TEST_DIST, { recursive: true, force: true });
  await buildInto(TEST_DIST);
  process.env.ECOWHEELS_COMPILED_DIR = TEST_DIST;
  // The run starts a few hundred service processes from these files; they share one compile cache
  // (launched-service.ts), here of the run's own, removed with its build.
  process.env.NODE_COMPILE_CACHE = join(TEST_DIST, '.compile-cache');
}
