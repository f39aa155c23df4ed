// Starts an Express app on host:port (0 for a free port), over HTTPS when TLS options are given, and
// answers its origin ("https://127.0.0.1:4001"); callers add the path they serve.
import { createServer as createHttpsServer, type ServerOptions } from 'node:https';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { Express } from 'express';

export async function listen(
  app: Express,
  host: string,
  port: number,
  tls?: ServerOptions,
): Promise<{ server: Server; origin: string; close(): Promise<void> }> {
  const server: Server = tls ? createHttpsServer(tls, app) : createHttpServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    server,
    origin: `${tls ? 'https' : 'http'}://${host}:${bound}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
