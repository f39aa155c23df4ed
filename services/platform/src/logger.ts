// Structured JSON logs (pino), one logger per process, named by the service.
import { EventEmitter } from 'node:events';
import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * Says "closed" when a write to the process's output meets a pipe with no reader left (EPIPE): the
 * launcher is gone, or `| head -1` has read its line. pino then stops writing; run-service.ts stops
 * the process.
 */
// One per process, however many times this module is loaded: Jest loads it once per test file, each
// file with a global object of its own, so it is kept on the process's stdout, which all share.
const OUTPUT = Symbol.for('ecowheels.processOutput');
const registry = process.stdout as unknown as { [OUTPUT]?: EventEmitter };
const installed = registry[OUTPUT] !== undefined;
export const processOutput: EventEmitter = (registry[OUTPUT] ??= new EventEmitter());

export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  // Written synchronously, so no line is lost when the process exits, and kept in hand to hear of
  // a closed pipe (the OpenTelemetry pino instrumentation may wrap it in a stream of its own).
  const destination = pino.destination({ dest: 1, sync: true });
  destination.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') processOutput.emit('closed', 'stdout');
  });
  return pino({ name: service, level, base: { service } }, destination);
}

// console.log and console.error on a closed pipe would throw an unhandled 'error' event.
for (const [name, stream] of installed ? [] : ([['stdout', process.stdout], ['stderr', process.stderr]] as const)) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') processOutput.emit('closed', name);
    else throw error;
  });
}
