// A rider's rides, newest first, a page at a time.
import { z } from 'zod';
import { encodePageToken, fetchPage } from '../../../platform/src/page-token';
import type { Ride } from './ride';
import type { RideStore } from './ride-flow';

const POSITION = z.object({ t: z.iso.datetime(), id: z.uuid() });
const positionOf = (ride: Ride) => ({ t: ride.createdAt.toISOString(), id: ride.id });

/** The cursor that continues a rider's list after this ride. */
export const rideCursor = (ride: Ride) => encodePageToken(positionOf(ride));

export function pageRidesOfRider(store: RideStore, riderId: string, pageSize: number, pageToken: string) {
  return fetchPage({
    pageSize,
    pageToken,
    position: POSITION,
    positionOf,
    fetch: (limit, after) => store.listByRider(riderId, limit, after && { createdAt: new Date(after.t), id: after.id }),
  });
}
