// Every service answers the standard gRPC health service and server reflection, so generic tools
// (grpcurl, grpc_health_probe, Kubernetes gRPC probes) work against it.
import { loadPackageDefinition, Metadata, type ChannelCredentials, type Client, type ServiceError } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { channelOptionsFor } from '../../services/platform/src/mesh/credentials';
import { describeWithPostgres } from '../support/postgres';
import { SharedStack } from '../support/stack';

const SERVICE_NAMES = {
  user: 'ecowheels.user.v1.UserService',
  inventory: 'ecowheels.inventory.v1.InventoryService',
  payment: 'ecowheels.payment.v1.PaymentService',
  ride: 'ecowheels.ride.v1.RideService',
} as const;

type ClientConstructor = new (address: string, creds: ChannelCredentials, options?: object) => Client;

/** The client class of a service declared in a .proto file, by its dotted name. */
function clientClass(file: string, fullName: string): ClientConstructor {
  const loaded = loadPackageDefinition(protoLoader.loadSync(file, { keepCase: true, enums: String }));
  return fullName.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown>)[part], loaded) as ClientConstructor;
}

function unary(client: Client, method: string, request: unknown): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) =>
    (client as unknown as Record<string, Function>)[method](request, new Metadata(), { deadline: Date.now() + 5000 }, (error: ServiceError | null, response: Record<string, unknown>) =>
      error ? reject(error) : resolve(response),
    ),
  );
}

function listServicesByReflection(address: string, creds: ChannelCredentials): Promise<string[]> {
  const reflectionProto = join(require.resolve('@grpc/reflection'), '..', '..', 'proto', 'grpc', 'reflection', 'v1', 'reflection.proto');
  const ServerReflection = clientClass(reflectionProto, 'grpc.reflection.v1.ServerReflection');
  const client = new ServerReflection(address, creds, { 'grpc.ssl_target_name_override': 'localhost' }); // loopback certificates name localhost
  return new Promise((resolve, reject) => {
    const stream = (client as unknown as { ServerReflectionInfo(): NodeJS.EventEmitter & { write(message: object): void; end(): void } })
      .ServerReflectionInfo();
    stream.on('data', (response: { list_services_response?: { service: { name: string }[] } }) => {
      resolve(response.list_services_response!.service.map((service) => service.name));
      stream.end();
    });
    stream.on('error', reject);
    stream.on('end', () => client.close());
    stream.write({ list_services: '' });
  });
}

describeWithPostgres('health and reflection', () => {
  // Read-only: the run's shared stack serves.
  let stack: SharedStack;
  beforeAll(async () => {
    stack = await SharedStack.connect();
  });
  afterAll(() => stack?.disconnect());

  it.each(Object.entries(SERVICE_NAMES))('%s reports SERVING overall and for its service', async (name, fullName) => {
    const Health = clientClass(healthProtoPath, 'grpc.health.v1.Health');
    const address = stack.service(name as keyof typeof SERVICE_NAMES).address;
    const client = new Health(address, stack.credentials.client, channelOptionsFor(stack.credentials, address));
    try {
      expect(await unary(client, 'Check', { service: '' })).toEqual({ status: 'SERVING' });
      expect(await unary(client, 'Check', { service: fullName })).toEqual({ status: 'SERVING' });
    } finally {
      client.close();
    }
  });

  it.each(Object.entries(SERVICE_NAMES))('%s lists its service through reflection', async (name, fullName) => {
    const services = await listServicesByReflection(stack.service(name as keyof typeof SERVICE_NAMES).address, stack.credentials.client);
    expect(services).toEqual(expect.arrayContaining([fullName, 'grpc.health.v1.Health']));
  });
});
