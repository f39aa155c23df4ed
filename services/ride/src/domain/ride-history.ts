// A rider's rides, newest first, a page at a time.
import { z } from 'zod';
import { fetchPage } from '../../../platform/src/page-token';
import type { Ride } from './ride';
import type { RideStore } from './ride-flow';

export function pageRidesOfRider(store: RideStore, riderId: string, pageSize: number, pageToken: string) {
  return fetchPage({
    pageSize,
    pageToken,
    position: z.object({ t: z.string().datetime(), id: z.string().uuid() }),
    positionOf: (ride: Ride) => ({ t: ride.createdAt.toISOString(), id: ride.id }),
    fetch: (limit, after) => store.listByRider(riderId, limit, after && { createdAt: new Date(after.t), id: after.id }),
  });
}
