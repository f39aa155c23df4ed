// The geometry of "bikes near a point": a cheap latitude/longitude box that the database can use
// an index for, and the exact great-circle distance (haversine) that orders and filters results.
import type { GeoPoint } from './bike';

export const EARTH_RADIUS_METERS = 6_371_008.8;
const METERS_PER_DEGREE_LATITUDE = (Math.PI * EARTH_RADIUS_METERS) / 180;

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

export function distanceMeters(a: GeoPoint, b: GeoPoint): number {
  const radians = (degrees: number) => (degrees * Math.PI) / 180;
  const dLat = radians(b.latitude - a.latitude);
  const dLon = radians(b.longitude - a.longitude);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(radians(a.latitude)) * Math.cos(radians(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_METERS * Math.asin(Math.min(1, Math.sqrt(h)));
}
