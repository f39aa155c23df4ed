// The geometry of "bikes near a point": a cheap latitude/longitude box that the database can use
// an index for, and the exact great-circle distance (haversine) that orders and filters results.
import { METERS_PER_DEGREE_LATITUDE } from '../../../platform/src/geo';
import type { GeoPoint } from './bike';

export { distanceMeters, EARTH_RADIUS_METERS } from '../../../platform/src/geo';

export interface BoundingBox {
  minLatitude: number;
  maxLatitude: number;
  minLongitude: number;
  maxLongitude: number;
}

/** A box that contains every point within radiusMeters of center (and a little more). */
export function boundingBox(center: GeoPoint, radiusMeters: number): BoundingBox {
  const deltaLatitude = radiusMeters / METERS_PER_DEGREE_LATITUDE;
  const cosine = Math.cos((center.latitude * Math.PI) / 180);
  // Near a pole, or when the box would cross the antimeridian, every longitude may qualify.
  const deltaLongitude = cosine < 1e-6 ? 180 : deltaLatitude / cosine;
  const crossesAntimeridian =
    center.longitude - deltaLongitude < -180 || center.longitude + deltaLongitude > 180;
  return {
    minLatitude: Math.max(-90, center.latitude - deltaLatitude),
    maxLatitude: Math.min(90, center.latitude + deltaLatitude),
    minLongitude: crossesAntimeridian ? -180 : center.longitude - deltaLongitude,
    maxLongitude: crossesAntimeridian ? 180 : center.longitude + deltaLongitude,
  };
}
