// Rules that need no network or database: the tariff, the ride's undo plan and the geometry.
import { boundingBox, distanceMeters } from '../../services/inventory/src/domain/geo';
import { fare, holdAmount, startedMinutes } from '../../services/ride/src/domain/pricing';
import { attempted, type Ride } from '../../services/ride/src/domain/ride';
import { formatMoney } from '../../services/platform/src/money';

const pricing = { currency: 'EUR', unlockFeeMinor: 100, perMinuteMinor: 25, holdMinutes: 30 };
const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, seconds));

describe('pricing', () => {
  it.each([
    [0, 0],
    [1, 1],
    [60, 1],
    [61, 2],
    [600, 10],
  ])('counts %i seconds as %i started minutes', (seconds, minutes) => {
    expect(startedMinutes(at(0), at(seconds))).toBe(minutes);
  });

  it('charges the unlock fee plus each started minute', () => {
    expect(fare(pricing, at(0), at(125))).toEqual({ amountMinor: 100 + 3 * 25, currency: 'EUR' });
  });

  it('never charges for negative time if clocks disagree', () => {
    expect(fare(pricing, at(30), at(0)).amountMinor).toBe(100);
  });

  it('holds the unlock fee plus the hold minutes at the start', () => {
    expect(holdAmount(pricing)).toEqual({ amountMinor: 850, currency: 'EUR' });
  });
});

describe('what a failed start must undo', () => {
  const ride = (startStep: Ride['startStep']) => ({ startStep }) as Ride;

  it('undoes nothing when the rider check failed', () => {
    expect([attempted(ride('VERIFYING'), 'RESERVING'), attempted(ride('VERIFYING'), 'AUTHORIZING')]).toEqual([false, false]);
  });

  it('releases the bike once the reservation was attempted, and voids once the hold was', () => {
    expect([attempted(ride('RESERVING'), 'RESERVING'), attempted(ride('RESERVING'), 'AUTHORIZING')]).toEqual([true, false]);
    expect([attempted(ride('UNLOCKING'), 'RESERVING'), attempted(ride('UNLOCKING'), 'AUTHORIZING')]).toEqual([true, true]);
  });
});

describe('geometry', () => {
  const dam = { latitude: 52.3731, longitude: 4.8926 };
  const centraal = { latitude: 52.3791, longitude: 4.9003 };

  it('measures great-circle distances in metres', () => {
    // 0.0060° of latitude is 667.2 m; 0.0077° of longitude at 52.37° N is 522.6 m: 847.5 m apart.
    expect(distanceMeters(dam, centraal)).toBeCloseTo(847.5, 0);
    expect(distanceMeters(dam, dam)).toBe(0);
  });

  it('makes a box that holds every point within the radius', () => {
    const box = boundingBox(dam, 1000);
    for (let bearing = 0; bearing < 360; bearing += 15) {
      const radians = (bearing * Math.PI) / 180;
      const point = {
        latitude: dam.latitude + (999 / 111_195) * Math.cos(radians),
        longitude: dam.longitude + (999 / (111_195 * Math.cos((dam.latitude * Math.PI) / 180))) * Math.sin(radians),
      };
      expect(point.latitude).toBeGreaterThanOrEqual(box.minLatitude);
      expect(point.latitude).toBeLessThanOrEqual(box.maxLatitude);
      expect(point.longitude).toBeGreaterThanOrEqual(box.minLongitude);
      expect(point.longitude).toBeLessThanOrEqual(box.maxLongitude);
    }
  });

  it('opens the box to every longitude near a pole or across the antimeridian', () => {
    expect(boundingBox({ latitude: 89.9999, longitude: 0 }, 5000)).toMatchObject({ minLongitude: -180, maxLongitude: 180 });
    expect(boundingBox({ latitude: 0, longitude: 179.999 }, 5000)).toMatchObject({ minLongitude: -180, maxLongitude: 180 });
  });
});

describe('money', () => {
  it.each([
    [0, '0.00 EUR'],
    [5, '0.05 EUR'],
    [1250, '12.50 EUR'],
    [-150, '-1.50 EUR'],
  ])('formats %i minor units as %s', (amountMinor, text) => {
    expect(formatMoney({ amountMinor, currency: 'EUR' })).toBe(text);
  });
});
