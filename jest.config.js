// Tests are TypeScript, transformed by @swc/jest (see the README for why not ts-jest); types are
// checked separately by `tsc` in `npm test`. `npm test` runs Jest with --experimental-vm-modules
// because PGlite loads parts of itself with a dynamic import().
module.exports = {
  // Jest's node environment; its worker processes exit at once when Jest ends them (node-environment.js says why).
  testEnvironment: '<rootDir>/test/support/node-environment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(ts|js)$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  // jose ships only ES modules; Jest's CommonJS runtime needs it transformed like our code.
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  // Tests start real processes and databases; a two-core machine needs room.
  testTimeout: 120000,
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  // The services the tests start run compiled, from a build made once per run (global-setup.ts).
  // It also makes the run's CA and starts the stack that several files share (stack.ts, SharedStack);
  // the teardown stops it.
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  maxWorkers: 2,
  // How long Jest waits for a worker to exit after its end message before it kills it and prints "A
  // worker process has failed to exit gracefully" (500 ms by default). Workers exit at once on that
  // message (node-environment.js), but the operating system still frees what a worker holds, 1.4 GB
  // after forty files: about 0.1 ms a MB on an idle machine (docs/testing.md), which a loaded two-core
  // machine stretches past 500 ms. A worker that really hangs is still killed, after 3 s.
  workerGracefulExitTimeout: 3000,
};
