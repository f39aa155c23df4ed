// After every test file: stops the shared stack (global-setup.ts) and removes the run's CA.
import { rmSync } from 'node:fs';
import { SHARED_STACK } from './global-setup';
import type { TestStack } from './stack';

export default async function globalTeardown(): Promise<void> {
  const started = (globalThis as Record<symbol, Promise<TestStack | undefined> | undefined>)[SHARED_STACK];
  await (await started)?.stop();
  const certs = process.env.ECOWHEELS_TEST_CERTS_DIR;
  if (certs) rmSync(certs, { recursive: true, force: true });
}
