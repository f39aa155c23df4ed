// The inventory service's store under the fleet rules, on PGlite and on the PostgreSQL server.
import { randomUUID } from 'node:crypto';
import { Fleet } from '../../services/inventory/src/domain/fleet';
import { distanceMeters } from '../../services/inventory/src/domain/geo';
import { FleetStoreSql, INVENTORY_MIGRATIONS } from '../../services/inventory/src/store/fleet-store';
import { describeOnEachEngine } from '../support/engines';

describeOnEachEngine('fleet store', INVENTORY_MIGRATIONS, (db) => {
  const fleet = () => new Fleet(new FleetStoreSql(db()), 20);
  const bikeAt = (latitude: number, longitude: number, batteryPercent = 90) =>
    fleet().registerBike({ model: 'City', location: { latitude, longitude }, batteryPercent });

  it('finds available bikes near a point by true distance, nearest first, across pages', async () => {
    // Bikes around a point of their own (Rotterdam), some inside 800 m and some outside.
    const centre = { latitude: 51.9244, longitude: 4.4777 };
    const inside = [await bikeAt(51.9250, 4.4780), await bikeAt(51.9270, 4.4777), await bikeAt(51.9244, 4.4850)];
    await bikeAt(51.9400, 4.4777); // about 1.7 km north
    await bikeAt(51.9246, 4.4778, 10); // close, but too flat
    const seen: string[] = [];
    let after: { distanceMeters: number; listingId: string } | undefined;
    for (;;) {
      const page = await fleet().findAvailableNear({ center: centre, radiusMeters: 800, limit: 2, after });
      if (page.length === 0) break;
      for (const { bike, distanceMeters: distance } of page) {
        expect(distance).toBeCloseTo(distanceMeters(centre, bike.location), 3);
        seen.push(bike.id);
      }
      const last = page[page.length - 1];
      after = { distanceMeters: last.distanceMeters, listingId: last.bike.listingId };
    }
    const expected = [...inside].sort((a, b) => distanceMeters(centre, a.location) - distanceMeters(centre, b.location));
    expect(seen).toEqual(expected.map((bike) => bike.id));
  });

  it('reserves, unlocks and releases a bike, idempotent on the ride', async () => {
    const bike = await bikeAt(52, 5);
    const rideId = randomUUID();
    await fleet().reserve(bike.id, rideId);
    expect((await fleet().reserve(bike.id, rideId)).reservation.status).toBe('RESERVED');
    await fleet().unlock(bike.id, rideId);
    const released = await fleet().release(bike.id, rideId, { location: { latitude: 52.1, longitude: 5.1 }, batteryPercent: 40 });
    expect(released.bike).toMatchObject({ status: 'AVAILABLE', batteryPercent: 40, location: { latitude: 52.1, longitude: 5.1 } });
    expect((await fleet().release(bike.id, rideId, {})).bike.location).toEqual({ latitude: 52.1, longitude: 5.1 });
  });

  it('lists a bike under a new listing id after each trip, and finds it by its printed code all along', async () => {
    const bike = await bikeAt(52.2, 5.2);
    expect(bike.listingId).not.toBe(bike.id);
    expect((await fleet().identifyBike(bike.listingId)).id).toBe(bike.id);
    const rideId = randomUUID();
    await fleet().reserve(bike.id, rideId);
    await fleet().unlock(bike.id, rideId);
    expect((await fleet().getBikesByListingIds([bike.listingId])).map((held) => held.id)).toEqual([bike.id]);
    const { bike: parked } = await fleet().release(bike.id, rideId, { location: { latitude: 52.21, longitude: 5.21 } });
    expect(parked.listingId).not.toBe(bike.listingId);
    expect(await fleet().getBikesByListingIds([bike.listingId])).toEqual([]);
    await expect(fleet().identifyBike(bike.listingId)).rejects.toMatchObject({ kind: 'NOT_FOUND' });
    expect((await fleet().identifyBike(parked.listingId)).id).toBe(bike.id);
    expect((await fleet().identifyBike(bike.id)).listingId).toBe(parked.listingId);
    // A reading made during the trip, arriving late, does not move the relisted bike along the route.
    const during = { bikeId: bike.id, location: { latitude: 52.205, longitude: 5.205 }, batteryPercent: 60, recordedAt: new Date(Date.now() - 60_000) };
    expect(await fleet().recordTelemetry([during])).toBe(0);
    expect(await fleet().recordTelemetry([{ ...during, recordedAt: new Date(Date.now() + 1000) }])).toBe(1);
  });

  it('gives a bike to exactly one of several rides reserving it at once', async () => {
    const bike = await bikeAt(52, 5);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => fleet().reserve(bike.id, randomUUID())));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect((await fleet().getBike(bike.id)).status).toBe('RESERVED');
  });
});
