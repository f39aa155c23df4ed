// The caller's workload identity is read from its certificate once per connection, not per call
// (services/platform/src/mesh/caller-identity.ts), on a real grpc-js server and a real HTTPS server
// (a subgraph's) with the mesh's mutual TLS: many calls on one connection parse the peer
// certificate once; a second connection (another workload) gets its own identity; and the call's
// session is found where grpc-js keeps it, so a grpc-js upgrade that moves it fails here instead of
// quietly parsing on every call again.
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { TLSSocket } from 'node:tls';
import { fetch } from 'undici';
import { Server, makeGenericClientConstructor, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { callerIdentity, sessionOf, socketIdentity } from '../../services/platform/src/mesh/caller-identity';
import { channelOptionsFor, httpsServerOptions } from '../../services/platform/src/mesh/credentials';
import { httpDispatcher } from '../../services/platform/src/mesh/http-dispatcher';
import { ensureMeshCertificates } from '../../services/platform/src/mesh/certificates';
import { TEST_ENV, testCredentials } from '../support/stack';

const passThrough = { serialize: (value: Buffer) => value, deserialize: (value: Buffer) => value };
const WHO = {
  who: { path: '/test.Identity/Who', requestStream: false, responseStream: false, requestSerialize: passThrough.serialize, requestDeserialize: passThrough.deserialize, responseSerialize: passThrough.serialize, responseDeserialize: passThrough.deserialize },
};

describe('the caller\'s identity, once per connection', () => {
  let server: Server;
  let address: string;
  const seen: { identity?: string; session: boolean }[] = [];

  beforeAll(async () => {
    await ensureMeshCertificates(TEST_ENV.MESH_CERTS_DIR);
    server = new Server();
    server.addService(WHO, {
      who: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
        seen.push({ identity: callerIdentity(call), session: sessionOf(call) !== undefined });
        callback(null, Buffer.from(callerIdentity(call) ?? ''));
      },
    });
    const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', testCredentials('inventory').server, (error, bound) => (error ? reject(error) : resolve(bound))));
    address = `127.0.0.1:${port}`;
  });
  afterAll(() => server.forceShutdown());

  const clientAs = (identity: string) => {
    const Client = makeGenericClientConstructor(WHO, 'Identity');
    return new Client(address, testCredentials(identity).client, channelOptionsFor(testCredentials(identity), address)) as unknown as {
      who(request: Buffer, callback: (error: Error | null, response: Buffer) => void): void;
      close(): void;
    };
  };
  const who = (client: ReturnType<typeof clientAs>) =>
    new Promise<string>((resolve, reject) => client.who(Buffer.alloc(0), (error, response) => (error ? reject(error) : resolve(response.toString()))));

  /** Counts the peer certificate parses on the server's side of connections (the clients, in this process too, read the server's). */
  function countServerParses() {
    const original = TLSSocket.prototype.getPeerCertificate;
    const count = { parses: 0 };
    const spy = jest.spyOn(TLSSocket.prototype, 'getPeerCertificate').mockImplementation(function (this: TLSSocket, detailed?: boolean) {
      if ((this as unknown as { _tlsOptions?: { isServer?: boolean } })._tlsOptions?.isServer) count.parses += 1;
      return original.call(this, detailed as true);
    });
    return { count, restore: () => spy.mockRestore() };
  }

  it('parses the peer certificate once for many gRPC calls on a connection, and tells two workloads apart', async () => {
    const { count, restore } = countServerParses();
    const ride = clientAs('ride');
    const gateway = clientAs('gateway');
    try {
      for (let n = 0; n < 20; n += 1) expect(await who(ride)).toBe('ride');
      expect(await who(gateway)).toBe('gateway');
      expect(await who(ride)).toBe('ride');
      // Once per connection (two connections), not once or twice per call (22 calls).
      expect(count.parses).toBe(2);
      expect(seen.every((call) => call.session)).toBe(true);
    } finally {
      restore();
      ride.close();
      gateway.close();
    }
  });

  it('parses it once for many HTTPS requests on a connection (a subgraph\'s check)', async () => {
    const https = createServer(httpsServerOptions(testCredentials('ride'))!, (req, res) => res.end(socketIdentity(req.socket as TLSSocket) ?? ''));
    let connections = 0;
    https.on('secureConnection', () => (connections += 1));
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(https.address() as AddressInfo).port}/graphql`;
    const { count, restore } = countServerParses();
    const dispatcher = httpDispatcher(testCredentials('gateway'))!;
    try {
      for (let n = 0; n < 10; n += 1) expect(await (await fetch(url, { dispatcher })).text()).toBe('gateway');
      // Once per connection the client opened (one or two), not once per request (ten).
      expect(count.parses).toBe(connections);
      expect(connections).toBeLessThan(3);
    } finally {
      restore();
      await dispatcher.close();
      https.close();
    }
  });
});
