// Runs one service process: starts it, stops it gracefully on SIGTERM, SIGINT or SIGHUP (flushing its
// spans last), and turns a bad configuration into one clear message and exit code 78 (EX_CONFIG)
// instead of a stack trace.
import { ConfigError } from './config';
import { shutdownTelemetry } from './telemetry/sdk';
import type { Logger } from './logger';

export interface StartedService {
  stop(): Promise<void>;
}

export function runService(name: string, start: () => Promise<{ service: StartedService; logger: Logger }>): void {
  const running = start();
  // The handlers are in place before start() has finished: the "ready" line is written inside it,
  // and a signal that followed that line at once must not meet Node's default (death by signal).
  // A stop asked for during start waits for start to finish, for 5 s at most (a start that hangs on
  // an unreachable database must not keep the process from stopping).
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const giveUp = setTimeout(() => {
      console.error(`${name}: ${signal} before it had started; stopping now`);
      process.exit(1);
    }, 5000);
    running.then(
      ({ service, logger }) => {
        clearTimeout(giveUp);
        logger.info({ signal }, 'stopping');
        service
          .stop()
          .then(() => shutdownTelemetry()) // the last spans, then out
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
 * The line the launcher and the tests wait for, with the addresses the process listens on. It is
 * written whatever LOG_LEVEL says, since starting up is not optional news.
 */
export function announceReady(logger: Logger, addresses: Record<string, unknown>): void {
  logger.child({}, { level: 'info' }).info(addresses, 'ready');
}
