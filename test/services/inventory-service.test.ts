// Contract of InventoryService: every RPC's success path and its error statuses, against the real
// service process on a PostgreSQL database.
import { status } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import {
  BikeStatus,
  ReservationStatus,
  type InventoryServiceClient,
} from '../../services/platform/src/generated/ecowheels/inventory/v1/inventory_service';
import { CENTRE } from '../support/fixtures';
import { expectStatus, inventoryClient, type TestClient } from '../support/grpc-clients';
import { describeWithPostgres } from '../support/postgres';
import { SingleService } from '../support/stack';

describeWithPostgres('InventoryService contract', () => {
  let running: SingleService;
  let inventory: TestClient<InventoryServiceClient>;

  beforeAll(async () => {
    running = await SingleService.start('inventory', { INVENTORY_MIN_BATTERY_PERCENT: '15' });
    inventory = inventoryClient(running.address, running.credentials);
  });
  afterAll(async () => {
    inventory?.close();
    await running?.stop();
  });

  const bikeAt = async (location = CENTRE, batteryPercent = 80) =>
    (await inventory.registerBike({ model: 'EcoWheels City 3', location, batteryPercent, stationId: '' })).bike!;

  describe('RegisterBike, GetBike and BatchGetBikes', () => {
    it('registers an available bike and reads it back', async () => {
      const bike = await bikeAt();
      expect(bike).toMatchObject({ status: BikeStatus.BIKE_STATUS_AVAILABLE, batteryPercent: 80, location: CENTRE, stationId: '' });
      expect((await inventory.getBike({ bikeId: bike.id })).bike).toEqual(bike);
    });

    it('parks a bike at a station that exists, and refuses one that does not with NOT_FOUND', async () => {
      const { station } = await inventory.createStation({ name: 'Dam Square', location: CENTRE, capacity: 20 });
      const { bike } = await inventory.registerBike({ model: 'Cargo', location: CENTRE, batteryPercent: 90, stationId: station!.id });
      expect(bike!.stationId).toBe(station!.id);
      await expectStatus(
        inventory.registerBike({ model: 'Cargo', location: CENTRE, batteryPercent: 90, stationId: randomUUID() }),
        status.NOT_FOUND,
        /station .* does not exist/,
      );
    });

    it('refuses a bike without a location, with a battery over 100 or a latitude off the globe', async () => {
      const missing = await expectStatus(
        inventory.registerBike({ model: 'X', location: undefined, batteryPercent: 101, stationId: '' }),
        status.INVALID_ARGUMENT,
      );
      expect(missing.details).toMatch(/location: is required/);
      expect(missing.details).toMatch(/battery_percent: must be from 0 to 100/);
      await expectStatus(
        inventory.registerBike({ model: 'X', location: { latitude: 91, longitude: 0 }, batteryPercent: 50, stationId: '' }),
        status.INVALID_ARGUMENT,
        /location.latitude: must be from -90 to 90/,
      );
    });

    it('answers NOT_FOUND for an unknown bike, and leaves unknown ids out of a batch', async () => {
      await expectStatus(inventory.getBike({ bikeId: randomUUID() }), status.NOT_FOUND, /does not exist/);
      const bike = await bikeAt();
      const { bikes } = await inventory.batchGetBikes({ bikeIds: [bike.id, randomUUID()] });
      expect(bikes.map((found) => found.id)).toEqual([bike.id]);
      await expectStatus(inventory.batchGetBikes({ bikeIds: ['x'] }), status.INVALID_ARGUMENT, /bike_ids/);
    });
  });

  describe('ListAvailableBikesNear', () => {
    // A place of its own, far from the other tests' bikes: Utrecht.
    const utrecht = { latitude: 52.0907, longitude: 5.1214 };
    const offset = (metresNorth: number) => ({ latitude: utrecht.latitude + metresNorth / 111_195, longitude: utrecht.longitude });

    it('lists available, charged bikes within the radius, nearest first, a page at a time', async () => {
      const near = await bikeAt(offset(100));
      const nearer = await bikeAt(offset(50));
      const far = await bikeAt(offset(900));
      await bikeAt(offset(5000)); // outside the radius
      await bikeAt(offset(20), 10); // too flat to ride
      const inMaintenance = await bikeAt(offset(30));
      await inventory.updateBikeStatus({ bikeId: inMaintenance.id, status: BikeStatus.BIKE_STATUS_MAINTENANCE });

      const first = await inventory.listAvailableBikesNear({ center: utrecht, radiusMeters: 1000, pageSize: 2, pageToken: '' });
      expect(first.bikes.map((entry) => entry.bike!.id)).toEqual([nearer.id, near.id]);
      expect(first.bikes[0].distanceMeters).toBeCloseTo(50, 0);
      const second = await inventory.listAvailableBikesNear({
        center: utrecht,
        radiusMeters: 1000,
        pageSize: 2,
        pageToken: first.nextPageToken,
      });
      expect(second.bikes.map((entry) => entry.bike!.id)).toEqual([far.id]);
      expect(second.nextPageToken).toBe('');
    });

    it('refuses a radius out of range and a page token it did not issue', async () => {
      await expectStatus(
        inventory.listAvailableBikesNear({ center: utrecht, radiusMeters: 0, pageSize: 0, pageToken: '' }),
        status.INVALID_ARGUMENT,
        /radius_meters: must be from 1 to 50000/,
      );
      await expectStatus(
        inventory.listAvailableBikesNear({ center: utrecht, radiusMeters: 100, pageSize: 0, pageToken: 'garbage' }),
        status.INVALID_ARGUMENT,
        /page_token is not one this list returned/,
      );
    });
  });

  describe('ReserveBike, UnlockBike and ReleaseBike', () => {
    it('takes a bike through reserved, in ride and back to available where it was left', async () => {
      const bike = await bikeAt();
      const rideId = randomUUID();
      const reserved = await inventory.reserveBike({ bikeId: bike.id, rideId , riderId: '' });
      expect(reserved.reservation!.status).toBe(ReservationStatus.RESERVATION_STATUS_RESERVED);
      expect(reserved.bike!.status).toBe(BikeStatus.BIKE_STATUS_RESERVED);
      const unlocked = await inventory.unlockBike({ bikeId: bike.id, rideId });
      expect(unlocked.bike!.status).toBe(BikeStatus.BIKE_STATUS_IN_RIDE);
      const end = { latitude: 52.37, longitude: 4.89 };
      const released = await inventory.releaseBike({ bikeId: bike.id, rideId, location: end, batteryPercent: 61 });
      expect(released.reservation!.status).toBe(ReservationStatus.RESERVATION_STATUS_RELEASED);
      expect(released.bike).toMatchObject({ status: BikeStatus.BIKE_STATUS_AVAILABLE, location: end, batteryPercent: 61 });
    });

    it('answers a repeated reserve, unlock or release for the same ride with the same result', async () => {
      const bike = await bikeAt();
      const rideId = randomUUID();
      const first = await inventory.reserveBike({ bikeId: bike.id, rideId , riderId: '' });
      const again = await inventory.reserveBike({ bikeId: bike.id, rideId , riderId: '' });
      expect(again.reservation).toEqual(first.reservation);
      await inventory.unlockBike({ bikeId: bike.id, rideId });
      expect((await inventory.unlockBike({ bikeId: bike.id, rideId })).bike!.status).toBe(BikeStatus.BIKE_STATUS_IN_RIDE);
      await inventory.releaseBike({ bikeId: bike.id, rideId });
      const releasedTwice = await inventory.releaseBike({ bikeId: bike.id, rideId });
      expect(releasedTwice.bike!.status).toBe(BikeStatus.BIKE_STATUS_AVAILABLE);
      const rows = await running.db.query('SELECT * FROM reservations WHERE ride_id = $1', [rideId]);
      expect(rows).toHaveLength(1);
    });

    it('refuses a bike held by another ride, in maintenance or too flat, with FAILED_PRECONDITION', async () => {
      const bike = await bikeAt();
      await inventory.reserveBike({ bikeId: bike.id, rideId: randomUUID() , riderId: '' });
      await expectStatus(inventory.reserveBike({ bikeId: bike.id, rideId: randomUUID() , riderId: '' }), status.FAILED_PRECONDITION, /reserved for another ride/);
      const broken = await bikeAt();
      await inventory.updateBikeStatus({ bikeId: broken.id, status: BikeStatus.BIKE_STATUS_MAINTENANCE });
      await expectStatus(inventory.reserveBike({ bikeId: broken.id, rideId: randomUUID() , riderId: '' }), status.FAILED_PRECONDITION, /in maintenance/);
      const flat = await bikeAt(CENTRE, 5);
      await expectStatus(inventory.reserveBike({ bikeId: flat.id, rideId: randomUUID() , riderId: '' }), status.FAILED_PRECONDITION, /5% battery, below the 15%/);
    });

    it('refuses a reserve that arrives after the same ride was released, so the bike is not stranded', async () => {
      const bike = await bikeAt();
      const rideId = randomUUID();
      const released = await inventory.releaseBike({ bikeId: bike.id, rideId });
      expect(released.reservation!.status).toBe(ReservationStatus.RESERVATION_STATUS_RELEASED);
      await expectStatus(inventory.reserveBike({ bikeId: bike.id, rideId , riderId: '' }), status.FAILED_PRECONDITION, /already released/);
      expect((await inventory.getBike({ bikeId: bike.id })).bike!.status).toBe(BikeStatus.BIKE_STATUS_AVAILABLE);
    });

    it('refuses to unlock a bike the ride has not reserved, and answers NOT_FOUND for an unknown bike', async () => {
      const bike = await bikeAt();
      await expectStatus(inventory.unlockBike({ bikeId: bike.id, rideId: randomUUID() }), status.FAILED_PRECONDITION, /has not reserved/);
      await expectStatus(inventory.reserveBike({ bikeId: randomUUID(), rideId: randomUUID() , riderId: '' }), status.NOT_FOUND);
      await expectStatus(inventory.reserveBike({ bikeId: bike.id, rideId: 'not-a-uuid' , riderId: '' }), status.INVALID_ARGUMENT, /ride_id: must be a UUID/);
    });

    it('lets only one of many concurrent rides reserve the same bike', async () => {
      const bike = await bikeAt();
      const attempts = await Promise.allSettled(
        Array.from({ length: 8 }, () => inventory.reserveBike({ bikeId: bike.id, rideId: randomUUID() , riderId: '' })),
      );
      expect(attempts.filter((attempt) => attempt.status === 'fulfilled')).toHaveLength(1);
      const rows = await running.db.query(`SELECT * FROM reservations WHERE bike_id = $1 AND status <> 'RELEASED'`, [bike.id]);
      expect(rows).toHaveLength(1);
    });
  });

  describe('UpdateBikeStatus and stations', () => {
    it('sends a bike to maintenance and back, but not while a ride holds it', async () => {
      const bike = await bikeAt();
      const repaired = await inventory.updateBikeStatus({ bikeId: bike.id, status: BikeStatus.BIKE_STATUS_MAINTENANCE, batteryPercent: 100 });
      expect(repaired.bike).toMatchObject({ status: BikeStatus.BIKE_STATUS_MAINTENANCE, batteryPercent: 100 });
      await inventory.updateBikeStatus({ bikeId: bike.id, status: BikeStatus.BIKE_STATUS_AVAILABLE });
      await inventory.reserveBike({ bikeId: bike.id, rideId: randomUUID() , riderId: '' });
      await expectStatus(
        inventory.updateBikeStatus({ bikeId: bike.id, status: BikeStatus.BIKE_STATUS_MAINTENANCE }),
        status.FAILED_PRECONDITION,
        /end or cancel that ride first/,
      );
      await expectStatus(
        inventory.updateBikeStatus({ bikeId: bike.id, status: BikeStatus.BIKE_STATUS_IN_RIDE }),
        status.INVALID_ARGUMENT,
        /status: must be BIKE_STATUS_AVAILABLE or BIKE_STATUS_MAINTENANCE/,
      );
    });

    it('creates stations and lists them by name; refuses a zero capacity', async () => {
      const name = `Station ${randomUUID()}`;
      const { station } = await inventory.createStation({ name, location: CENTRE, capacity: 12 });
      const { stations } = await inventory.listStations({});
      expect(stations).toContainEqual(station);
      await expectStatus(inventory.createStation({ name, location: CENTRE, capacity: 0 }), status.INVALID_ARGUMENT, /capacity/);
    });
  });
});
