// Which workload is calling: the SPIFFE id in the client certificate of the call's connection, for
// the gRPC servers' policy check and the subgraphs' (only the gateway may query them).
// grpc-js answers getAuthContext() by parsing the peer's certificate into a new object on every
// call (about 45 µs here, fingerprints included), although a connection's certificate cannot change
// after its handshake. So the identity is read once per HTTP/2 session and kept beside it (a
// WeakMap: it goes with the session). grpc-js does not hand a call's session out, so it is found
// on the call's innermost layer (its `stream`); where a grpc-js version lays the call out
// otherwise, each call reads the certificate as before, and test/mesh/grpc-policy.test.ts fails so
// that someone looks.
import type { Http2Session } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { ServerUnaryCall } from '@grpc/grpc-js';
import { identityOf } from './credentials';

type Call = Pick<ServerUnaryCall<unknown, unknown>, 'getAuthContext'>;

const identities = new WeakMap<Http2Session | TLSSocket, string | null>();

/** The same for an HTTPS request (a subgraph's): once per TLS connection, kept beside its socket. */
export function socketIdentity(socket: TLSSocket): string | undefined {
  let identity = identities.get(socket);
  if (identity === undefined) {
    identity = identityOf(socket.getPeerCertificate?.()) ?? null;
    identities.set(socket, identity);
  }
  return identity ?? undefined;
}

/** The HTTP/2 session a grpc-js server call came in on, if its layers are where grpc-js 1.14 puts them. */
export function sessionOf(call: Call): Http2Session | undefined {
  let layer = (call as unknown as { call?: unknown }).call;
  for (let depth = 0; layer && depth < 8; depth += 1) {
    const { stream, nextCall } = layer as { stream?: { session?: Http2Session }; nextCall?: unknown };
    if (stream?.session) return stream.session;
    layer = nextCall;
  }
  return undefined;
}

/** The calling workload's name, or undefined for a connection without a workload certificate. */
export function callerIdentity(call: Call): string | undefined {
  const session = sessionOf(call);
  if (!session) return identityOf(call.getAuthContext().sslPeerCertificate);
  let identity = identities.get(session);
  if (identity === undefined) {
    identity = identityOf(call.getAuthContext().sslPeerCertificate) ?? null;
    identities.set(session, identity);
  }
  return identity ?? undefined;
}
