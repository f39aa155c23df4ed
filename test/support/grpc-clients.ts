// Test clients for the four services, straight from the generated code, with promise methods that
// reject with the raw gRPC ServiceError, so tests can assert the exact status code and message.
import { Metadata, status, type ChannelCredentials, type Client, type ServiceDefinition, type ServiceError } from '@grpc/grpc-js';
import { InventoryServiceClient, InventoryServiceService } from '../../services/platform/src/generated/ecowheels/inventory/v1/inventory_service';
import { PaymentServiceClient, PaymentServiceService } from '../../services/platform/src/generated/ecowheels/payment/v1/payment_service';
import { RideServiceClient, RideServiceService } from '../../services/platform/src/generated/ecowheels/ride/v1/ride_service';
import { TelematicsServiceClient, TelematicsServiceService } from '../../services/platform/src/generated/ecowheels/telematics/v1/telematics_service';
import { UserServiceClient, UserServiceService } from '../../services/platform/src/generated/ecowheels/user/v1/user_service';
import type { PromiseClient } from '../../services/platform/src/grpc/client';
import { channelOptionsFor, type MeshCredentials } from '../../services/platform/src/mesh/credentials';

export type TestClient<C> = PromiseClient<C> & { raw: C };

type Constructor<C> = new (address: string, creds: ChannelCredentials, options?: object) => C;

function connect<C extends Client>(Ctor: Constructor<C>, definition: ServiceDefinition, address: string, mesh: MeshCredentials): TestClient<C> {
  const client = new Ctor(address, mesh.client, channelOptionsFor(mesh, address));
  const promised: Record<string, unknown> = { raw: client, close: () => client.close() };
  for (const name of Object.keys(definition)) {
    if ((definition[name] as { requestStream?: boolean }).requestStream) continue; // streams: use `raw`
    promised[name] = (request: unknown) =>
      new Promise((resolve, reject) => {
        const method = (client as unknown as Record<string, Function>)[name].bind(client);
        method(request, new Metadata(), { deadline: Date.now() + 15_000 }, (error: ServiceError | null, response: unknown) =>
          error ? reject(error) : resolve(response),
        );
      });
  }
  return promised as TestClient<C>;
}

// Tests call as `operator`, the back-office identity the mesh policy lets call every method.
export const userClient = (address: string, mesh: MeshCredentials) => connect(UserServiceClient, UserServiceService, address, mesh);
export const inventoryClient = (address: string, mesh: MeshCredentials) => connect(InventoryServiceClient, InventoryServiceService, address, mesh);
export const paymentClient = (address: string, mesh: MeshCredentials) => connect(PaymentServiceClient, PaymentServiceService, address, mesh);
export const rideClient = (address: string, mesh: MeshCredentials) => connect(RideServiceClient, RideServiceService, address, mesh);
export const telematicsClient = (address: string, mesh: MeshCredentials) => connect(TelematicsServiceClient, TelematicsServiceService, address, mesh);

/** Asserts that a call failed with the given status, and a message matching `message`. */
export async function expectStatus(call: Promise<unknown>, code: status, message?: RegExp): Promise<ServiceError> {
  const error = await call.then(
    (response) => {
      throw new Error(`expected ${status[code]}, but the call succeeded with ${JSON.stringify(response)}`);
    },
    (failure: ServiceError) => failure,
  );
  expect({ code: status[error.code], details: error.details }).toEqual({
    code: status[code],
    details: message ? expect.stringMatching(message) : expect.any(String),
  });
  return error;
}
