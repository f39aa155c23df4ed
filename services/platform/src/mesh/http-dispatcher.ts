// The HTTP client side of the mesh, apart from credentials.ts: only the gateway (and the tests)
// call subgraphs over HTTP, and undici costs every other workload about 0.1 s of CPU at start.
import { createSecureContext } from 'node:tls';
import { Agent, type Dispatcher } from 'undici';
import type { MeshCredentials } from './credentials';

/**
 * An HTTP client dispatcher for this identity: mutual TLS in local mode (the gateway calling a
 * subgraph), nothing special under Istio (undefined: the default agent, plaintext).
 */
export function httpDispatcher(mesh: MeshCredentials, options: { connectTimeoutMs?: number } = {}): Dispatcher | undefined {
  if (!mesh.tls) return undefined;
  const { ca, cert, key } = mesh.tls;
  // One secure context for every connection: given the PEM texts instead, Node parses the CA, the
  // certificate and the key again for each new connection (about 1 ms of CPU each; in a gateway
  // profile, a quarter of a second over a load whose idle connections had expired).
  const secureContext = createSecureContext({ ca, cert, key });
  // Loopback certificates name localhost; TLS never names a server by IP. A connection (and its
  // TLS handshake) may take connectTimeoutMs, undici's 10 s by default.
  return new Agent({ connect: { secureContext, servername: 'localhost', timeout: options.connectTimeoutMs } });
}
