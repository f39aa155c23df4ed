// Where the rider app's GraphQL layer lives. Apart from build.ts, so that what only needs a path (the
// manifest's, for a test or the benchmark) does not load graphql-codegen: under Jest, loading it
// builds the `node:process` module namespace for an ES module it imports, which reads every
// property of `process`, `stdin` included, and so opens the worker's stdin (a pipe left open in the
// worker for the rest of the run; the worker still ends at once: test/support/node-environment.js).
import { join } from 'node:path';

export const APP_DIR = __dirname;
export const OPERATIONS_DIR = join(APP_DIR, 'src', 'operations');
export const GENERATED_DIR = join(APP_DIR, 'src', 'generated');
export const MANIFEST_FILE = join(APP_DIR, 'persisted-query-manifest.json');
