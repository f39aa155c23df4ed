// The inventory subgraph's resolvers: thin calls into the fleet, with entity lookups batched, and
// each bike shown by the visibility rules (domain/bike-visibility.ts).
import type DataLoader from 'dataloader';
import { batchLoader } from '../../../platform/src/graphql/batch-loader';
import { z } from 'zod';
import { requireScope, type RequestContext, type SubgraphDefinition } from '../../../platform/src/graphql/subgraph-server';
import { latitudeField, longitudeField, parseRequest, rangeField, uuidField } from '../../../platform/src/grpc/validation';
import type { Bike, Station } from '../domain/bike';
import { mayFollowBikeId, mayLocateBike, shownBikeId, type Viewer } from '../domain/bike-visibility';
import { nearbyCursor, type Fleet } from '../domain/fleet';

interface InventoryContext extends RequestContext {
  viewer: Viewer;
  /** By the bikes' own ids. */
  bikes: DataLoader<string, Bike | undefined>;
  /** By the listing ids riders see. */
  listedBikes: DataLoader<string, Bike | undefined>;
  /** The rider each held bike is held for; undefined for a bike no ride holds. */
  ridersOfHeldBikes: DataLoader<string, { bikeId: string; riderId: string } | undefined>;
  stations: DataLoader<string, Station | undefined>;
}

const nearArgs = z.object({
  lat: latitudeField,
  lon: longitudeField,
  radiusMeters: rangeField(50_000),
  first: rangeField(100),
  after: z.string().nullish(),
});

const fleetArgs = z.object({ first: rangeField(250), after: uuidField.nullish() });

/** The rider the bike is held for now, asked only when it matters (the bike is not available). */
async function holderOf(bike: Bike, context: InventoryContext): Promise<string | undefined> {
  if (bike.status === 'AVAILABLE' || !context.viewer.riderId) return undefined;
  return (await context.ridersOfHeldBikes.load(bike.id))?.riderId;
}

export function inventorySubgraph(fleet: Fleet): SubgraphDefinition<InventoryContext> {
  return {
    schemaFile: `${__dirname}/schema.graphql`,
    context: ({ riderId, scopes }) => ({
      riderId,
      scopes,
      viewer: { riderId, ops: scopes?.includes('ops') ?? false },
      listedBikes: batchLoader((ids) => fleet.getBikesByListingIds(ids), (bike) => bike.listingId),
      ridersOfHeldBikes: batchLoader((ids) => fleet.ridersOfHeldBikes(ids), (held) => held.bikeId),
      // One query for every bike a request names: a page of 50 rides asks for 50 bikes at once.
      bikes: batchLoader((ids) => fleet.getBikes(ids), (bike) => bike.id),
      stations: batchLoader(() => fleet.listStations(), (station) => station.id),
    }),
    resolvers: {
      Query: {
        bike: async (_parent, args: { id: string }, context) => {
          const { id } = parseRequest(z.object({ id: uuidField }), args, 'graphql');
          const listed = await context.listedBikes.load(id);
          if (listed || !context.viewer.ops) return listed ?? null;
          return context.bikes.load(id);
        },
        fleetBikes: async (_parent, args: z.input<typeof fleetArgs>, context) => {
          requireScope(context, 'ops');
          const { first, after } = parseRequest(fleetArgs, args, 'graphql');
          const bikes = await fleet.listBikes(first, after ?? undefined);
          return { bikes, endCursor: bikes.length === first ? bikes[bikes.length - 1].id : null };
        },
        bikesNear: async (_parent, args: z.input<typeof nearArgs>) => {
          const { lat, lon, radiusMeters, first, after } = parseRequest(nearArgs, args, 'graphql');
          const page = await fleet.pageAvailableNear({
            center: { latitude: lat, longitude: lon },
            radiusMeters,
            pageSize: first,
            pageToken: after ?? '',
          });
          const edges = page.items.map((found) => ({ cursor: nearbyCursor(found), node: found.bike, distanceMeters: found.distanceMeters }));
          return { edges, pageInfo: { hasNextPage: page.nextPageToken !== '', endCursor: edges[edges.length - 1]?.cursor ?? null } };
        },
      },
      Bike: {
        // Another subgraph names the bike by its own id (a ride's bike): shown only to operations
        // and to the rider who holds it now.
        __resolveReference: async (reference: { fleetId: string }, context: InventoryContext) => {
          const bike = await context.bikes.load(reference.fleetId);
          if (!bike || !mayFollowBikeId(context.viewer, await holderOf(bike, context))) return null;
          return bike;
        },
        id: (bike: Bike, _args: unknown, context: InventoryContext) => shownBikeId(bike, context.viewer),
        fleetId: (bike: Bike) => bike.id,
        location: async (bike: Bike, _args: unknown, context: InventoryContext) =>
          mayLocateBike(bike, context.viewer, await holderOf(bike, context)) ? bike.location : null,
        station: (bike: Bike, _args: unknown, context: InventoryContext) => (bike.stationId ? context.stations.load(bike.stationId) : null),
      },
    },
  };
}
