// Starts an Express app on host:port (0 for a free port), over HTTPS when TLS options are given, and
// answers its origin ("https://127.0.0.1:4001"); callers add the path they serve. Closing it drains.
// Every listener has the limits of listener-limits.ts (timeouts, a body rate floor, connection caps).
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { Express } from 'express';
import { limitHttpServer, listenerLimits, type ListenerLimits } from './listener-limits';
import { DRAIN_MS } from './run-service';

export async function listen(
  app: Express,
  host: string,
  port: number,
  tls?: ServerOptions,
  options: { limits?: ListenerLimits; refused?: (reason: string) => void } = {},
): Promise<{ server: Server; origin: string; close(drainMs?: number): Promise<void> }> {
  const server: Server = tls ? createHttpsServer(tls, app) : createHttpServer(app);
  const stopSweep = limitHttpServer(server, options.limits ?? listenerLimits(), options.refused);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    server,
    origin: `${tls ? 'https' : 'http'}://${host}:${bound}`,
    // Takes no new connection, lets the requests in flight finish (up to drainMs), then cuts what
    // is left; idle keep-alive connections close at once.
    close: (drainMs = DRAIN_MS) =>
      new Promise<void>((resolve) => {
        stopSweep();
        const cut = setTimeout(() => server.closeAllConnections(), drainMs);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
