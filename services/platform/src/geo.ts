// Great-circle geometry that several services share: the haversine distance between two WGS 84
// points, on the mean earth radius (IUGG). Good to about 0.5% anywhere, which is far below GPS noise.

export interface LatLon {
  latitude: number;
  longitude: number;
}

/** The one rule for coordinates, for requests, readings and settings alike: WGS 84 degrees. */
export const LATITUDE = { min: -90, max: 90, message: 'must be from -90 to 90' } as const;
export const LONGITUDE = { min: -180, max: 180, message: 'must be from -180 to 180' } as const;
export const isLatitude = (value: number) => Number.isFinite(value) && value >= LATITUDE.min && value <= LATITUDE.max;
export const isLongitude = (value: number) => Number.isFinite(value) && value >= LONGITUDE.min && value <= LONGITUDE.max;

export const EARTH_RADIUS_METERS = 6_371_008.8;
/** The length of one degree of latitude (and of longitude at the equator). */
export const METERS_PER_DEGREE_LATITUDE = (Math.PI * EARTH_RADIUS_METERS) / 180;

export function distanceMeters(a: LatLon, b: LatLon): number {
  const radians = (degrees: number) => (degrees * Math.PI) / 180;
  const dLat = radians(b.latitude - a.latitude);
  const dLon = radians(b.longitude - a.longitude);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(radians(a.latitude)) * Math.cos(radians(b.latitude)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_METERS * Math.asin(Math.min(1, Math.sqrt(h)));
}
