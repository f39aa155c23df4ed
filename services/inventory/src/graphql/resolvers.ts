// The inventory subgraph's resolvers: thin calls into the fleet, with entity lookups batched.
import type DataLoader from 'dataloader';
import { batchLoader } from '../../../platform/src/graphql/batch-loader';
import { z } from 'zod';
import { requireScope, type RequestContext, type SubgraphDefinition } from '../../../platform/src/graphql/subgraph-server';
import { latitudeField, longitudeField, parseRequest, rangeField, uuidField } from '../../../platform/src/grpc/validation';
import type { Bike, Station } from '../domain/bike';
import { nearbyCursor, type Fleet } from '../domain/fleet';

interface InventoryContext extends RequestContext {
  bikes: DataLoader<string, Bike | undefined>;
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

export function inventorySubgraph(fleet: Fleet): SubgraphDefinition<InventoryContext> {
  return {
    schemaFile: `${__dirname}/schema.graphql`,
    context: ({ riderId, scopes }) => ({
      riderId,
      scopes,
      ridersOfHeldBikes: batchLoader((ids) => fleet.ridersOfHeldBikes(ids), (held) => held.bikeId),
      // One query for every bike a request names: a page of 50 rides asks for 50 bikes at once.
      bikes: batchLoader((ids) => fleet.getBikes(ids), (bike) => bike.id),
      stations: batchLoader(() => fleet.listStations(), (station) => station.id),
    }),
    resolvers: {
      Query: {
        bike: async (_parent, args: { id: string }, context) => {
          const { id } = parseRequest(z.object({ id: uuidField }), args, 'graphql');
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
        __resolveReference: (reference: { id: string }, context: InventoryContext) => context.bikes.load(reference.id),
        // A bike in a ride is where its rider is: a location only they (and operations) may see.
        location: async (bike: Bike, _args: unknown, context: InventoryContext) => {
          if (bike.status === 'AVAILABLE' || context.scopes?.includes('ops')) return bike.location;
          if (!context.riderId) return null;
          return (await context.ridersOfHeldBikes.load(bike.id))?.riderId === context.riderId ? bike.location : null;
        },
        station: (bike: Bike, _args: unknown, context: InventoryContext) => (bike.stationId ? context.stations.load(bike.stationId) : null),
      },
    },
  };
}
