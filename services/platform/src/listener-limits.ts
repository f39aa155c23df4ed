// Limits on a listening socket, so that no stranger holds it: every HTTP listener (the gateway, its
// metrics port, the subgraphs, the device door) gets them through http-listen.ts, and the MQTT door
// its own share (connections per address, a CONNECT deadline).
// - headers within HTTP_HEADERS_TIMEOUT_MS and the whole request within HTTP_REQUEST_TIMEOUT_MS;
// - a body that trickles in below HTTP_MIN_BODY_BYTES_PER_SECOND (after a grace) is cut;
// - at most HTTP_MAX_CONNECTIONS sockets, and HTTP_MAX_CONNECTIONS_PER_ADDRESS from one address
//   (0: no per-address cap; behind a proxy or sidecar every peer is the proxy, so the proxy caps);
// - a request refused before its body was read closes its socket instead of draining the body.
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';
import { z } from 'zod';
import { milliseconds, readConfig } from './config';

export interface ListenerLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerAddress: number;
  minBodyBytesPerSecond: number;
  /** How long a body may start slowly before the floor applies (ms). */
  bodyGraceMs: number;
}

const whole = (fallback: number) => z.coerce.number().int().min(0).default(fallback);

/** The limits from the environment; MESH_MODE=istio lifts the per-address cap (every peer is the sidecar). */
export function listenerLimits(env: NodeJS.ProcessEnv = process.env): ListenerLimits {
  const config = readConfig(
    z.object({
      // Timeouts are never off (Node takes 0 as none): whole positive milliseconds.
      HTTP_HEADERS_TIMEOUT_MS: milliseconds(10_000),
      HTTP_REQUEST_TIMEOUT_MS: milliseconds(30_000),
      HTTP_KEEP_ALIVE_TIMEOUT_MS: milliseconds(5_000),
      HTTP_MAX_CONNECTIONS: whole(10_000),
      HTTP_MAX_CONNECTIONS_PER_ADDRESS: whole(env.MESH_MODE === 'istio' ? 0 : 256),
      HTTP_MIN_BODY_BYTES_PER_SECOND: whole(1024),
      HTTP_BODY_GRACE_MS: milliseconds(5_000),
    }),
    env,
  );
  return {
    headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: config.HTTP_MAX_CONNECTIONS,
    maxConnectionsPerAddress: config.HTTP_MAX_CONNECTIONS_PER_ADDRESS,
    minBodyBytesPerSecond: config.HTTP_MIN_BODY_BYTES_PER_SECOND,
    bodyGraceMs: config.HTTP_BODY_GRACE_MS,
  };
}

/**
 * Caps connections in total and per address on any TCP listener: a connection over a cap is closed
 * at once, and counted through `refused`.
 */
export function capConnections(server: NetServer, limits: Pick<ListenerLimits, 'maxConnections' | 'maxConnectionsPerAddress'>, refused?: (reason: 'total' | 'per_address') => void): void {
  if (limits.maxConnections > 0) server.maxConnections = limits.maxConnections;
  server.on('drop', () => refused?.('total'));
  if (limits.maxConnectionsPerAddress <= 0) return;
  const perAddress = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    const count = (perAddress.get(address) ?? 0) + 1;
    if (count > limits.maxConnectionsPerAddress) {
      refused?.('per_address');
      socket.destroy();
      return;
    }
    perAddress.set(address, count);
    socket.once('close', () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left <= 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
  });
}

/** Applies every limit to an HTTP(S) server; answers a function that stops its sweep (call it on close). */
export function limitHttpServer(server: HttpServer, limits: ListenerLimits, refused?: (reason: string) => void): () => void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  // An idle socket (no request in flight, keep-alive aside) goes after the request timeout.
  server.timeout = limits.requestTimeoutMs;
  capConnections(server, limits, refused);

  // Bodies in flight, checked once a second against the floor.
  const receiving = new Map<IncomingMessage, { startedAt: number; bytesAtStart: number }>();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!req.complete) {
      receiving.set(req, { startedAt: Date.now(), bytesAtStart: req.socket.bytesRead });
      const done = () => receiving.delete(req);
      req.once('end', done);
      req.once('close', done);
    }
    // Refused before its body was read: say so, and close instead of reading the rest.
    res.once('finish', () => {
      receiving.delete(req);
      if (req.complete) return;
      req.socket.end();
      setTimeout(() => req.socket.destroy(), 1000).unref();
    });
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    res.writeHead = ((...args: unknown[]) => {
      if (!req.complete) res.setHeader('connection', 'close');
      return writeHead(...args);
    }) as typeof res.writeHead;
  });
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [req, { startedAt, bytesAtStart }] of receiving) {
      const elapsed = now - startedAt;
      if (elapsed < limits.bodyGraceMs || req.complete) continue;
      if (((req.socket.bytesRead - bytesAtStart) * 1000) / elapsed < limits.minBodyBytesPerSecond) {
        receiving.delete(req);
        refused?.('slow_body');
        req.socket.destroy();
      }
    }
  }, 1000);
  sweep.unref();
  return () => clearInterval(sweep);
}
