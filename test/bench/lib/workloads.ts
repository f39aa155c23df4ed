// What the suite asks of the system: the rider's queries through a gateway, ride flows, GetBike,
// and the riders and bikes they need, made through the services' own gRPC APIs.
import { randomUUID } from 'node:crypto';
import type { LocalStack } from '../../../services/local-stack/src/local-stack';
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

/**
 * The rider app's callers: one API key, many riders. Requests go out as each rider in turn, as
 * real traffic would, so no gateway can answer several clients with one subgraph request (Hive
 * Gateway merges identical subgraph queries in flight, which one rider repeating the same query
 * from every connection would reward).
 */
export interface AppCallers {
  apiKey: string;
  tokens: string[];
}

export function graphqlRequest(url: string, callers: AppCallers, query: string): HttpRequestSpec {
  return {
    url,
    headers: callers.tokens.map((token) => ({ 'content-type': 'application/json', 'x-api-key': callers.apiKey, authorization: `Bearer ${token}` })),
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

/**
 * The rider app's callers: `count` riders with five finished rides each, an API key (with `scopes`),
 * fresh tokens.
 */
export async function createAppCallers(stack: LocalStack, count: number, scopes: string[] = []): Promise<AppCallers> {
  const password = 'bench rider password';
  const riders = await createRiders(stack, count, password);
  const clients = clientsOf(stack);
  try {
    const tokens = await Promise.all(
      riders.map(async (rider) => {
        for (let n = 0; n < 5; n += 1) {
          const started = await clients.ride.startRide({ riderId: rider.riderId, bikeId: rider.bikeId, idempotencyKey: randomUUID() });
          await clients.ride.endRide({ rideId: started.ride!.id, riderId: rider.riderId });
        }
        return (await clients.user.loginRider({ email: rider.email, password })).accessToken;
      }),
    );
    const { apiKey } = await clients.user.createApiClient({ name: 'Bench', scopes });
    return { apiKey, tokens };
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
