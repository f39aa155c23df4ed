// The ride subgraph's resolvers: thin calls into the ride flow and the ride history.
import type DataLoader from 'dataloader';
import { batchLoader } from '../../../platform/src/graphql/batch-loader';
import { z } from 'zod';
import { graphqlError, withUserErrors } from '../../../platform/src/graphql/errors';
import { requireRider, requireScope, type RequestContext, type SubgraphDefinition } from '../../../platform/src/graphql/subgraph-server';
import { idempotencyKeyField, latitudeField, longitudeField, parseRequest, rangeField, uuidField } from '../../../platform/src/grpc/validation';
import { graphqlMoney } from '../../../platform/src/money';
import type { Pricing } from '../domain/pricing';
import { hasReleasedBike, type Ride } from '../domain/ride';
import type { RideFlow, RideStore } from '../domain/ride-flow';
import { pageRidesOfRider, rideCursor } from '../domain/ride-history';

interface RideContext extends RequestContext {
  rides: DataLoader<string, Ride | undefined>;
}

const money = graphqlMoney;
const tariff = (pricing: Pricing) => ({
  unlockFee: money(pricing.unlockFeeMinor, pricing.currency),
  perMinute: money(pricing.perMinuteMinor, pricing.currency),
  holdMinutes: pricing.holdMinutes,
});

const pageArgs = z.object({
  first: rangeField(100),
  after: z.string().nullish(),
});
const startArgs = z.object({ bikeId: uuidField, idempotencyKey: idempotencyKeyField });
const endArgs = z.object({
  rideId: uuidField,
  latitude: latitudeField.nullish(),
  longitude: longitudeField.nullish(),
  batteryPercent: z.number().int().min(0, 'must be from 0 to 100').max(100, 'must be from 0 to 100').nullish(),
});

/** The rider may see only their own rides. */
function ownRide(ride: Ride | undefined, riderId: string): Ride | null {
  if (!ride) return null;
  if (ride.riderId !== riderId) throw graphqlError('PERMISSION_DENIED', `ride ${ride.id} belongs to another rider`);
  return ride;
}

/** What the operations dashboard reads of the rides (the store answers it in SQL). */
export interface RideStatsSource {
  rideStats(since: Date): Promise<{ inProgress: number; perHour: { start: Date; started: number; completed: number }[] }>;
}

export function rideSubgraph(flow: RideFlow, store: RideStore & RideStatsSource, pricing: Pricing): SubgraphDefinition<RideContext> {
  const ridePage = async (riderId: string, args: z.input<typeof pageArgs>) => {
    const { first, after } = parseRequest(pageArgs, args, 'graphql');
    const page = await pageRidesOfRider(store, riderId, first, after ?? '');
    const edges = page.items.map((ride) => ({ cursor: rideCursor(ride), node: ride }));
    return { edges, pageInfo: { hasNextPage: page.nextPageToken !== '', endCursor: edges[edges.length - 1]?.cursor ?? null } };
  };

  return {
    schemaFile: `${__dirname}/schema.graphql`,
    context: ({ riderId, scopes }) => ({
      riderId,
      scopes,
      rides: batchLoader((ids) => store.findMany(ids), (ride) => ride.id),
    }),
    resolvers: {
      Query: {
        ride: async (_parent, args: { id: string }, context) => {
          const riderId = requireRider(context);
          const { id } = parseRequest(z.object({ id: uuidField }), args, 'graphql');
          return ownRide(await context.rides.load(id), riderId);
        },
        myRides: (_parent, args: z.input<typeof pageArgs>, context) => ridePage(requireRider(context), args),
        rideStats: async (_parent, args: { hours: number }, context) => {
          requireScope(context, 'ops');
          const { hours } = parseRequest(z.object({ hours: rangeField(168) }), args, 'graphql');
          const stats = await store.rideStats(new Date(Date.now() - hours * 3_600_000));
          return { inProgress: stats.inProgress, perHour: stats.perHour.map((hour) => ({ ...hour, start: hour.start.toISOString() })) };
        },
        tariff: () => tariff(pricing),
      },
      Mutation: {
        startRide: async (_parent, args: z.input<typeof startArgs>, context) => {
          const riderId = requireRider(context);
          return withUserErrors(async () => {
            const { bikeId, idempotencyKey } = parseRequest(startArgs, args, 'graphql');
            return { ride: await flow.startRide({ riderId, bikeId, idempotencyKey }) };
          });
        },
        endRide: async (_parent, args: z.input<typeof endArgs>, context) => {
          const riderId = requireRider(context);
          return withUserErrors(async () => {
            const { rideId, latitude, longitude, batteryPercent } = parseRequest(endArgs, args, 'graphql');
            const endLocation = latitude != null && longitude != null ? { latitude, longitude } : undefined;
            return { ride: await flow.endRide({ rideId, riderId, endLocation, batteryPercent: batteryPercent ?? undefined }) };
          });
        },
      },
      Ride: {
        __resolveReference: async (reference: { id: string }, context: RideContext) =>
          ownRide(await context.rides.load(reference.id), requireRider(context)),
        status: (ride: Ride) => ride.status,
        // A ride that has let its bike go shows none (docs/rider-privacy.md), and says so itself: a
        // reference that inventory then answered with null would cost the gateway a call to inventory
        // and leave an INVALID_GRAPHQL "Cannot return null for non-nullable field Bike.id" in the
        // response's extensions.valueCompletion for every past ride. While the bike may still be held,
        // inventory decides: it shows the bike only to the rider holding it (and operations).
        bike: (ride: Ride) => (hasReleasedBike(ride.status) ? null : { fleetId: ride.bikeId }),
        startedAt: (ride: Ride) => ride.startTime?.toISOString() ?? null,
        // The end is recorded only when the ride moves to ENDING, so it is unset before.
        endedAt: (ride: Ride) => ride.endTime?.toISOString() ?? null,
        endLocation: (ride: Ride) => ride.endLocation ?? null,
        fare: (ride: Ride) => (ride.fareMinor === undefined ? null : money(ride.fareMinor, ride.pricing.currency)),
        tariff: (ride: Ride) => tariff(ride.pricing),
        failureReason: (ride: Ride) => ride.failureReason || null,
        requestedAt: (ride: Ride) => ride.createdAt.toISOString(),
      },
      User: {
        rides: (user: { id: string }, args: z.input<typeof pageArgs>, context: RideContext) => {
          if (user.id !== requireRider(context)) throw graphqlError('PERMISSION_DENIED', 'riders may read only their own rides');
          return ridePage(user.id, args);
        },
      },
    },
  };
}
