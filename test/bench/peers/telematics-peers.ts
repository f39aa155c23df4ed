// The references the telematics benchmark measures against, in a process of their own, as the
// service is: what the transport alone allows on this machine, with no pipeline behind it.
//   mqtt  an aedes broker that PUBACKs every publish (it stores nothing)
//   grpc  the same TelematicsService Ingest, over the same mTLS, that counts and answers
//   http  an HTTP server that reads each batch and answers 202
// It prints one JSON line with its addresses and runs until SIGTERM.
import { createServer as createNetServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { Server, type ServerReadableStream } from '@grpc/grpc-js';
import { TelematicsServiceService, type IngestRequest, type IngestResponse } from '../../../services/platform/src/generated/ecowheels/telematics/v1/telematics_service';
import { meshCredentials } from '../../../services/platform/src/mesh/credentials';

async function main(): Promise<void> {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const mqtt = createNetServer(broker.handle);
  await new Promise<void>((resolve) => mqtt.listen(0, '127.0.0.1', resolve));

  const grpc = new Server();
  grpc.addService(TelematicsServiceService, {
    ingest: (call: ServerReadableStream<IngestRequest, IngestResponse>, callback: (error: null, response: IngestResponse) => void) => {
      let accepted = 0;
      call.on('data', (message: IngestRequest) => (accepted += message.readings.length));
      call.on('end', () => callback(null, { acceptedCount: accepted, duplicateCount: 0, queuedCount: 0, rejectedCount: 0, rejections: [] }));
    },
    provisionDevice: () => undefined,
    getRideImpact: () => undefined,
  });
  const mesh = meshCredentials({ mode: 'local', certsDir: process.env.MESH_CERTS_DIR!, identity: 'telematics' });
  const grpcPort = await new Promise<number>((resolve, reject) => grpc.bindAsync('127.0.0.1:0', mesh.server, (error, port) => (error ? reject(error) : resolve(port))));

  const http = createHttpServer((req, res) => {
    let lines = 0;
    req.on('data', (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 10) lines += 1;
    });
    req.on('end', () => {
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ accepted: lines + 1, duplicates: 0, rejected: 0, rejections: [] }));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));

  const port = (server: { address(): unknown }) => (server.address() as { port: number }).port;
  console.log(JSON.stringify({ mqttUrl: `mqtt://127.0.0.1:${port(mqtt)}`, grpcAddress: `127.0.0.1:${grpcPort}`, deviceUrl: `http://127.0.0.1:${port(http)}` }));
  process.on('SIGTERM', () => process.exit(0));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
