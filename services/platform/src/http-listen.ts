// Starts an Express app on host:port (0 for a free port) and answers the URL it serves GraphQL at.
import type { Server } from 'node:http';
import type { Express } from 'express';

export async function listen(app: Express, host: string, port: number): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(port, host, (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    server,
    url: `http://${host}:${bound}/graphql`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
