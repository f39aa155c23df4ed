// The HTTP client side of the mesh, apart from credentials.ts: only the gateway (and the tests)
// call subgraphs over HTTP, and undici costs every other workload about 0.1 s of CPU at start.
import { Agent, type Dispatcher } from 'undici';
import type { MeshCredentials } from './credentials';

/**
 * An HTTP client dispatcher for this identity: mutual TLS in local mode (the gateway calling a
 * subgraph), nothing special under Istio (undefined: the default agent, plaintext).
 */
export function httpDispatcher(mesh: MeshCredentials, options: { connectTimeoutMs?: number } = {}): Dispatcher | undefined {
  if (!mesh.tls) return undefined;
  const { ca, cert, key } = mesh.tls;
  // Loopback certificates name localhost; TLS never names a server by IP. A connection (and its
  // TLS handshake) may take connectTimeoutMs, undici's 10 s by default.
  return new Agent({ connect: { ca, cert, key, servername: 'localhost', timeout: options.connectTimeoutMs } });
}
