// Who sees which bike, under which id, and where: the rules that keep riders from being followed
// (docs/rider-privacy.md). A rider app sees a bike under its listing id, which is replaced after
// every trip, and sees a bike's place only while it is available, or while that rider holds it.
// Operations (an API key with the ops scope) see the fleet under the bikes' own ids.
import type { Bike } from './bike';

export interface Viewer {
  /** The rider the request is for, if it carries a rider's token. */
  riderId?: string;
  /** An API key with the ops scope: the whole fleet, under the bikes' own ids. */
  ops: boolean;
}

/** The id a viewer sees the bike under. */
export const shownBikeId = (bike: Bike, viewer: Viewer): string => (viewer.ops ? bike.id : bike.listingId);

/**
 * Whether a viewer who named the bike by its own id (the code printed on it, or another part of
 * the API such as a ride's bike) may see it now. Not by anyone else: whoever once saw that id (it
 * never changes) could otherwise watch every later trip of the bike start and end.
 */
export const mayFollowBikeId = (viewer: Viewer, holderRiderId: string | undefined): boolean =>
  viewer.ops || (viewer.riderId !== undefined && viewer.riderId === holderRiderId);

/** Whether a viewer may see where the bike is: a held bike is where its rider is. */
export const mayLocateBike = (bike: Bike, viewer: Viewer, holderRiderId: string | undefined): boolean =>
  bike.status === 'AVAILABLE' || mayFollowBikeId(viewer, holderRiderId);
