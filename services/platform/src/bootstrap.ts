// The first module every process loads (a side-effect import at the top of main.ts), so that what
// must be in place before gRPC, HTTP, GraphQL or logging code is required happens here: the
// OpenTelemetry SDK, which patches those modules as they load.
import { startTelemetry } from './telemetry/sdk';

startTelemetry();

process.on('unhandledRejection', (reason) => {
  // A promise nobody awaited has failed: a bug. Crash loudly rather than run on in a bad state;
  // the supervisor restarts the process and the ride flow's recovery finishes what was in flight.
  console.error(JSON.stringify({ level: 60, msg: 'unhandled promise rejection', err: String(reason) }));
  process.exit(1);
});
