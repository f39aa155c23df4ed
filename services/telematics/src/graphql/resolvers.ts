// The telematics subgraph: a ride's distance, energy, CO2 and track, a bike's last report, a
// rider's own impact, and the fleet's impact from the warehouse (ops scope only). Thin calls
// into the domain, with ride and bike lookups batched per request.
import type DataLoader from 'dataloader';
import { z } from 'zod';
import { batchLoader } from '../../../platform/src/graphql/batch-loader';
import { graphqlError } from '../../../platform/src/graphql/errors';
import { requireRider, requireScope, type RequestContext, type SubgraphDefinition } from '../../../platform/src/graphql/subgraph-server';
import { parseRequest, rangeField } from '../../../platform/src/grpc/validation';
import { IMPACT_MAX_SPAN_MS, IMPACT_MAX_SPAN_TEXT, impactTimeField } from '../../../platform/src/impact-buckets';
import type { RideImpact } from '../domain/ride-impact';
import type { RecentIngest } from '../domain/recent-ingest';
import type { RideImpacts } from '../domain/ride-impacts';
import type { TrackPoint } from '../store/telematics-store';

interface TelematicsContext extends RequestContext {
  impacts: DataLoader<string, RideImpact | undefined>;
  lastSeen: DataLoader<string, { bikeId: string; at: Date } | undefined>;
}

export interface TelematicsReads {
  impacts: RideImpacts;
  lastSeen(bikeIds: readonly string[]): Promise<Map<string, Date>>;
  track(rideId: string, limit: number): Promise<TrackPoint[]>;
  recent: Pick<RecentIngest, 'readingsPerSecond' | 'refusalsLastHour'>;
  waiting(): Promise<{ readings: number; oldestReceivedAt?: Date }>;
}

// The range rules run only once both ends are times: zod runs an object's refinements even when a
// field failed, and a refinement that read a string as a Date made `from: "yesterday"` an internal error.
const whenValid = { when: (payload: { issues: readonly unknown[] }) => payload.issues.length === 0 };
const fleetArgs = z
  .object({ from: impactTimeField, to: impactTimeField, groupBy: z.enum(['DAY', 'HOUR']) })
  .refine((args) => args.to > args.from, { error: 'to must be after from', path: ['to'], ...whenValid })
  .refine((args) => args.to.getTime() - args.from.getTime() <= IMPACT_MAX_SPAN_MS[args.groupBy], { error: IMPACT_MAX_SPAN_TEXT, path: ['to'], ...whenValid });
const trackArgs = z.object({ first: rangeField(1000) });

export function telematicsSubgraph(reads: TelematicsReads): SubgraphDefinition<TelematicsContext> {
  const impactOf = (ride: { id: string }, context: TelematicsContext) => context.impacts.load(ride.id.toLowerCase());
  return {
    schemaFile: `${__dirname}/schema.graphql`,
    context: ({ riderId, scopes }) => ({
      riderId,
      scopes,
      impacts: batchLoader((ids) => reads.impacts.rides(ids), (impact) => impact.rideId),
      lastSeen: batchLoader(
        async (ids) => [...(await reads.lastSeen(ids)).entries()].map(([bikeId, at]) => ({ bikeId, at })),
        (entry) => entry.bikeId,
      ),
    }),
    resolvers: {
      Query: {
        ingestionHealth: async (_parent, _args: unknown, context: TelematicsContext) => {
          requireScope(context, 'ops');
          const waiting = await reads.waiting();
          return {
            readingsPerSecond: reads.recent.readingsPerSecond(),
            rejectsLastHour: reads.recent.refusalsLastHour(),
            waitingReadings: waiting.readings,
            lagSeconds: waiting.oldestReceivedAt ? Math.max(0, (Date.now() - waiting.oldestReceivedAt.getTime()) / 1000) : 0,
          };
        },
        fleetImpact: async (_parent, args: { from: string; to: string; groupBy: string }, context: TelematicsContext) => {
          requireScope(context, 'ops');
          const { from, to, groupBy } = parseRequest(fleetArgs, args, 'graphql');
          const buckets = await reads.impacts.fleet(from, to, groupBy === 'DAY' ? 'day' : 'hour');
          return buckets.map((bucket) => ({ ...bucket, start: bucket.start.toISOString() }));
        },
      },
      Ride: {
        __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
        distanceMeters: async (ride: { id: string }, _args: unknown, context: TelematicsContext) => (await impactOf(ride, context))?.distanceMeters ?? null,
        movingSeconds: async (ride: { id: string }, _args: unknown, context: TelematicsContext) => (await impactOf(ride, context))?.movingSeconds ?? null,
        energyWh: async (ride: { id: string }, _args: unknown, context: TelematicsContext) => (await impactOf(ride, context))?.energyWh ?? null,
        co2AvoidedGrams: async (ride: { id: string }, _args: unknown, context: TelematicsContext) => (await impactOf(ride, context))?.co2AvoidedGrams ?? null,
        track: async (ride: { id: string }, args: { first: number }) => {
          const { first } = parseRequest(trackArgs, args, 'graphql');
          const points = await reads.track(ride.id.toLowerCase(), first);
          return points.map((point) => ({ ...point, recordedAt: point.recordedAt.toISOString() }));
        },
      },
      Bike: {
        // Keyed by the bike's own id, which clients never see (they see a listing id that rotates).
        __resolveReference: (reference: { fleetId: string }) => ({ fleetId: reference.fleetId }),
        lastSeenAt: async (bike: { fleetId: string }, _args: unknown, context: TelematicsContext) => {
          return (await context.lastSeen.load(bike.fleetId.toLowerCase()))?.at.toISOString() ?? null;
        },
      },
      User: {
        __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
        impact: (user: { id: string }, _args: unknown, context: TelematicsContext) => {
          if (user.id !== requireRider(context)) throw graphqlError('PERMISSION_DENIED', 'riders may read only their own impact');
          return reads.impacts.rider(user.id);
        },
      },
    },
  };
}
