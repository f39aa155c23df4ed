// Before every test file: the workloads compiled once (as `npm run build` does, about 4 s),
// into a folder of the run's own, dist.test/, and every service process the tests start runs from
// there (ECOWHEELS_COMPILED_DIR: launched-service.ts). So the tests run the JavaScript that
// `npm start` and the images run, and a stack starts in about half the time tsx needs to compile
// six processes' TypeScript at each start. `npm start`'s own test builds dist/ meanwhile without
// touching it. Jest hands the environment set here to its workers.
//
// Then two things every file shares: one development CA for the run, and the shared stack (stack.ts,
// SharedStack). A whole run (`npm test`, no file named) starts the stack here, in the background
// while the first files run; a run of named files starts it only when a file asks for it (a request
// file, polled here), so a single unit test does not wait on six processes. Its description is
// written to a file once it is ready, which useSharedStack() waits for; global-teardown.ts stops it.
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildInto } from '../../services/local-stack/src/build';

/** Not a dot-folder: Express's static files refuse any path through one (the gateway's pages). */
export const TEST_DIST = join(__dirname, '..', '..', 'dist.test');

/** The shared stack, once started, for global-teardown.ts (Jest runs both in its main process). */
export const SHARED_STACK = Symbol.for('ecowheels.test.sharedStack');

export default async function globalSetup(globalConfig: { nonFlagArgs: string[] }): Promise<void> {
  rmSync(TEST_DIST, { recursive: true, force: true });
  await buildInto(TEST_DIST);
  process.env.ECOWHEELS_COMPILED_DIR = TEST_DIST;
  // The run starts a few hundred service processes from these files; they share one compile cache
  // (launched-service.ts), here of the run's own, removed with its build.
  process.env.NODE_COMPILE_CACHE = join(TEST_DIST, '.compile-cache');
  // Each of those processes lives for seconds to a minute. V8's background threads (optimising
  // compiles, concurrent GC) spend about a third of a second of CPU more per start than the same
  // work costs on the main thread, and on two cores they take it from the other processes. With
  // --single-threaded a start costs about a fifth less CPU (docs/testing.md). What the code does is
  // the same; `npm start`, the bench and the images keep V8's threads. LAUNCH_V8_FLAGS= turns it off.
  process.env.LAUNCH_V8_FLAGS ??= '--single-threaded';

  // Loaded only now, so that the launcher reads the settings above (it reads them as it loads).
  const { ensureMeshCertificates } = await import('../../services/platform/src/mesh/certificates');
  const { SHARED_STACK_FILE_VARIABLE, SHARED_STACK_REQUEST_VARIABLE, TEST_ENV, TestStack } = await import('./stack');
  await ensureMeshCertificates(TEST_ENV.MESH_CERTS_DIR);
  process.env.ECOWHEELS_TEST_CERTS_DIR = TEST_ENV.MESH_CERTS_DIR;

  const file = join(TEST_DIST, 'shared-stack.json');
  const request = join(TEST_DIST, 'shared-stack.requested');
  process.env[SHARED_STACK_FILE_VARIABLE] = file;
  process.env[SHARED_STACK_REQUEST_VARIABLE] = request;
  const write = (content: unknown) => {
    writeFileSync(`${file}.partial`, JSON.stringify(content));
    renameSync(`${file}.partial`, file); // whole or not at all, for a worker polling for it
  };
  const start = () => {
    (globalThis as Record<symbol, unknown>)[SHARED_STACK] = TestStack.start().then(
      (stack) => {
        write(stack.describe());
        return stack;
      },
      (error: unknown) => {
        write({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
        return undefined;
      },
    );
  };
  if (globalConfig.nonFlagArgs.length === 0) {
    start();
    return;
  }
  const asked = setInterval(() => {
    if (!existsSync(request)) return;
    clearInterval(asked);
    start();
  }, 100);
  asked.unref(); // never what keeps Jest running
}
