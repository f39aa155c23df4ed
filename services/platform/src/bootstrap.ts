// The first module every service process loads (a side-effect import at the top of main.ts), so
// that whatever must be in place before gRPC, HTTP or database code is required goes here.
// OpenTelemetry's SDK starts here; it patches modules as they load, so it has to come first.
process.on('unhandledRejection', (reason) => {
  // A promise nobody awaited has failed: a bug. Crash loudly rather than run on in a bad state;
  // the supervisor restarts the process and the ride flow's recovery finishes what was in flight.
  console.error(JSON.stringify({ level: 60, msg: 'unhandled promise rejection', err: String(reason) }));
  process.exit(1);
});
