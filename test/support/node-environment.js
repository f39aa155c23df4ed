// Jest's node environment, and one thing more for the worker process that runs it: when Jest sends
// a worker its end message, the worker exits at once (process.exit) instead of letting its event
// loop drain. A drained loop is followed by Node's teardown of the whole heap, and a worker that has
// run forty files holds 1.4 GB (the services' clients, PGlite's WebAssembly memories): measured in a
// full run, its JavaScript had finished 1 ms after the end message and the process was still
// tearing down 500 ms later, when Jest force-killed it and printed "A worker process has failed to
// exit gracefully ... tests leaking". Nothing leaked: at the end message each worker held only its
// stdio and its channel to Jest. process.exit skips that teardown (about 0.1 to 0.25 s even for a
// worker of a few hundred MB). The environment is set up in the worker's own context, not in a
// test's sandbox, so it sees the worker's real process and its messages from Jest.
const { TestEnvironment } = require('jest-environment-node');

/** jest-worker's message that a worker is to end (CHILD_MESSAGE_END in jest-worker's types). */
const END = 2;
const LISTENING = Symbol.for('ecowheels.test.exitOnEnd');

if (process.send && !process[LISTENING]) {
  process[LISTENING] = true;
  process.on('message', (message) => {
    if (Array.isArray(message) && message[0] === END) process.exit(0);
  });
}

module.exports = TestEnvironment;
