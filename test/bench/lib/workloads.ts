// What the suite asks of the system: the rider's queries through a gateway, ride flows, GetBike,
// and the riders and bikes they need, made through the services' own gRPC APIs.
import { randomUUID } from 'node:crypto';
import type { LocalStack } from '../../../services/platform/src/local-stack/local-stack';
import { inventoryClient, paymentClient, rideClient, userClient } from '../../support/grpc-clients';
import type { HttpRequestSpec } from './load';

/** The rider app's home screen: profile, wallet, recent rides with their bikes (four subgraphs). */
export const HOME_QUERY =
  '{ me { displayName wallet { available { amountMinor } } rides(first: 5) { edges { node { id fare { amountMinor } bike { model } } } } } }';
/** The rider's ride history with each ride's bike and charge (ride, inventory and payment). */
export const MY_RIDES_QUERY =
  '{ myRides(first: 10) { edges { node { id status startedAt fare { amountMinor currency } bike { model batteryPercent } charge { status captured { amountMinor } } } } } }';

export interface Rider {
  riderId: string;
  bikeId: string;
}

export interface AppCaller {
  apiKey: string;
  token: string;
  riderId: string;
}

export function graphqlRequest(url: string, caller: AppCaller, query: string): HttpRequestSpec {
  return {
    url,
    headers: { 'content-type': 'application/json', 'x-api-key': caller.apiKey, authorization: `Bearer ${caller.token}` },
    body: JSON.stringify({ query }),
  };
}

function clientsOf(stack: LocalStack) {
  const mesh = stack.operatorCredentials();
  const { user, inventory, payment, ride } = stack.services;
  return {
    user: userClient(user.address, mesh),
    inventory: inventoryClient(inventory.address, mesh),
    payment: paymentClient(payment.address, mesh),
    ride: rideClient(ride.address, mesh),
    close() {
      for (const client of [this.user, this.inventory, this.payment, this.ride]) client.close();
    },
  };
}

/** Riders with a confirmed identity, a wallet for thousands of rides, and a bike each. */
export async function createRiders(stack: LocalStack, count: number, password = 'bench rider password'): Promise<(Rider & { email: string })[]> {
  const clients = clientsOf(stack);
  try {
    return await Promise.all(
      Array.from({ length: count }, async () => {
        const { rider } = await clients.user.createRider({ email: `bench-${randomUUID()}@example.test`, displayName: 'Bench Rider', password });
        await clients.user.confirmRiderIdentity({ riderId: rider!.id });
        await clients.payment.topUpWallet({
          riderId: rider!.id,
          amount: { amountMinor: 50_000_000, currency: 'EUR' },
          cardNumber: '4242424242424242',
          idempotencyKey: randomUUID(),
        });
        const { bike } = await clients.inventory.registerBike({ model: 'Bench', location: { latitude: 52.37, longitude: 4.9 }, batteryPercent: 90, stationId: '' });
        return { riderId: rider!.id, bikeId: bike!.id, email: rider!.email };
      }),
    );
  } finally {
    clients.close();
  }
}

/** A rider app's caller: a rider with five finished rides, an API key and a fresh token. */
export async function createAppCaller(stack: LocalStack): Promise<AppCaller> {
  const password = 'bench rider password';
  const [rider] = await createRiders(stack, 1, password);
  const clients = clientsOf(stack);
  try {
    for (let n = 0; n < 5; n += 1) {
      const started = await clients.ride.startRide({ riderId: rider.riderId, bikeId: rider.bikeId, idempotencyKey: randomUUID() });
      await clients.ride.endRide({ rideId: started.ride!.id, riderId: rider.riderId });
    }
    const { apiKey } = await clients.user.createApiClient({ name: 'Bench', scopes: [] });
    const { accessToken } = await clients.user.loginRider({ email: rider.email, password });
    return { apiKey, token: accessToken, riderId: rider.riderId };
  } finally {
    clients.close();
  }
}

/** One ride flow per call, StartRide then EndRide over gRPC, each loop on its own rider and bike. */
export function rideFlows(rideAddress: string, riders: readonly Rider[], mesh: Parameters<typeof rideClient>[1]) {
  const ride = rideClient(rideAddress, mesh);
  return {
    flow: async (loop: number) => {
      const { riderId, bikeId } = riders[loop];
      const started = await ride.startRide({ riderId, bikeId, idempotencyKey: randomUUID() });
      await ride.endRide({ rideId: started.ride!.id, riderId });
    },
    close: () => ride.close(),
  };
}
