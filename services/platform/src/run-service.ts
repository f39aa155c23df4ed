// Runs one service process: starts it, and stops it gracefully on SIGTERM, SIGINT or SIGHUP, when
// its output is a closed pipe, or when the launcher that started it is gone. Stopping drains the
// work in flight, closes the database, flushes the spans last and exits 0, all within the grace
// period; a stop that takes longer exits 1. A bad configuration becomes one clear message and exit
// code 78 (EX_CONFIG) instead of a stack trace.
import { ConfigError } from './config';
import { shutdownTelemetry, traceExportDescription } from './telemetry/sdk';
import { processOutput, type Logger } from './logger';

export interface StartedService {
  stop(): Promise<void>;
}

/**
 * How long a process may take to stop: 5 s. Kubernetes gives each pod more than this plus its
 * preStop pause (see mesh-config/manifests.ts), and the launcher kills a process that overruns it.
 */
export const STOP_GRACE_MS = 5000;
/** Of the grace, what the servers may spend draining calls in flight; the rest is for the spans. */
export const DRAIN_MS = 3500;

export function runService(name: string, start: () => Promise<{ service: StartedService; logger: Logger }>): void {
  const running = start();
  // The handlers are in place before start() has finished: the "ready" line is written inside it,
  // and a signal that followed that line at once must not meet Node's default (death by signal).
  // A stop asked for during start waits for start to finish, within the same grace (a start that
  // hangs on an unreachable database must not keep the process from stopping).
  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => {
      console.error(`${name}: still stopping ${STOP_GRACE_MS} ms after ${reason}; exiting now`);
      process.exit(1);
    }, STOP_GRACE_MS).unref();
    running.then(
      ({ service, logger }) => {
        logger.info({ signal: reason }, 'stopping');
        service
          .stop()
          .then(() => shutdownTelemetry(STOP_GRACE_MS - DRAIN_MS - 500)) // the last spans, then out
          .then(
            () => process.exit(0),
            (error: unknown) => {
              logger.error({ err: error }, 'error while stopping');
              process.exit(1);
            },
          );
      },
      () => undefined, // a failed start exits below
    );
  };
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => stop(signal));
  processOutput.on('closed', (stream: string) => stop(`${stream} closed`));
  // Started by the launcher, which keeps a channel open to each process: when the channel closes,
  // the launcher is gone (killed, say), and an orphan must not hold its ports for good.
  if (process.connected) process.once('disconnect', () => stop('launcher gone'));
  running.catch((error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(`${name}: ${error.message}`);
      process.exit(78);
    }
    console.error(`${name}: failed to start:`, error);
    process.exit(1);
  });
}

/**
 * The line the launcher and the tests wait for, with the addresses the process listens on and where
 * its spans go. It is written whatever LOG_LEVEL says, since starting up is not optional news.
 */
export function announceReady(logger: Logger, addresses: Record<string, unknown>): void {
  logger.child({}, { level: 'info' }).info({ ...addresses, traces: traceExportDescription() }, 'ready');
}
