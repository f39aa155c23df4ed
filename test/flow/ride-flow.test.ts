// The ride flow across the four real service processes: the happy path, every failure path with
// its compensation checked in each service's database, and retries that must change nothing.
import { status } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { RideStatus } from '../../services/platform/src/generated/ecowheels/ride/v1/ride_service';
import { RiderStatus } from '../../services/platform/src/generated/ecowheels/user/v1/user_service';
import { newBike, newRider, riderWithFunds, topUp } from '../support/fixtures';
import { expectStatus } from '../support/grpc-clients';
import { describeWithPostgres } from '../support/postgres';
import { rideIdForKey, rideState } from '../support/ride-state';
import { useSharedStack } from '../support/stack';

// The default tariff: 1.00 EUR to unlock, 0.25 EUR a minute, 30 minutes held at the start.
const HOLD = 100 + 25 * 30;

describeWithPostgres('ride flow across the four services', () => {
  const running = useSharedStack();

  it('starts a ride (rider checked, bike reserved and unlocked, money held) and ends it (fare captured, bike parked)', async () => {
    const { riderId } = await riderWithFunds(running.clients, 2000);
    const bike = await newBike(running.clients);
    const { ride } = await running.clients.ride.startRide({ riderId, bikeId: bike.id, idempotencyKey: randomUUID() });
    expect(ride).toMatchObject({ status: RideStatus.RIDE_STATUS_ACTIVE, riderId, bikeId: bike.id, startLocation: bike.location });
    expect(await rideState(running.stack, ride!.id, bike.id, riderId)).toMatchObject({
      ride: 'ACTIVE',
      bike: 'IN_RIDE',
      reservation: ['UNLOCKED'],
      hold: ['AUTHORIZED'],
      held: [HOLD],
      wallet: { available: 2000 - HOLD, held: HOLD },
    });

    const end = { latitude: 52.3702, longitude: 4.8952 };
    const { ride: ended } = await running.clients.ride.endRide({ rideId: ride!.id, riderId, endLocation: end, batteryPercent: 64 });
    // Under a minute: the unlock fee plus one started minute.
    expect(ended).toMatchObject({ status: RideStatus.RIDE_STATUS_COMPLETED, fare: { amountMinor: 125, currency: 'EUR' }, endLocation: end });
    expect(await rideState(running.stack, ride!.id, bike.id, riderId)).toMatchObject({
      ride: 'COMPLETED',
      bike: 'AVAILABLE',
      bikeLocation: end,
      reservation: ['RELEASED'],
      hold: ['CAPTURED'],
      captured: [125],
      wallet: { available: 2000 - 125, held: 0 },
      ledger: ['HOLD', 'CAPTURE', 'RELEASE'],
    });
  });

  describe('when a step fails, the steps before it are undone', () => {
    it('a suspended rider: refused before the ride exists, so nothing is reserved or held', async () => {
      const { riderId } = await riderWithFunds(running.clients);
      await running.clients.user.updateRiderStatus({ riderId, status: RiderStatus.RIDER_STATUS_SUSPENDED, reason: 'test' });
      const bike = await newBike(running.clients);
      const key = randomUUID();
      await expectStatus(running.clients.ride.startRide({ riderId, bikeId: bike.id, idempotencyKey: key }), status.FAILED_PRECONDITION, /suspended/);
      expect(await rideIdForKey(running.stack, riderId, key)).toBeUndefined();
      const holds = await running.stack.db.payment.query('SELECT hold_key FROM holds WHERE rider_id = $1', [riderId]);
      expect(holds).toEqual([]);
      expect(await rideState(running.stack, randomUUID(), bike.id, riderId)).toMatchObject({ ride: undefined, bike: 'AVAILABLE', reservation: [], wallet: { available: 2000, held: 0 } });
    });

    it('an unverified rider is refused the same way', async () => {
      const { riderId } = await newRider(running.clients, { verified: false });
      const bike = await newBike(running.clients);
      await expectStatus(running.clients.ride.startRide({ riderId, bikeId: bike.id, idempotencyKey: randomUUID() }), status.FAILED_PRECONDITION, /not been verified/);
      expect((await running.clients.inventory.getBike({ bikeId: bike.id })).bike!.status).toBe(1 /* AVAILABLE */);
    });

    it('a bike already taken: the other ride keeps it, and this ride holds no money', async () => {
      const first = await riderWithFunds(running.clients);
      const second = await riderWithFunds(running.clients);
      const bike = await newBike(running.clients);
      const { ride: firstRide } = await running.clients.ride.startRide({ riderId: first.riderId, bikeId: bike.id, idempotencyKey: randomUUID() });
      const key = randomUUID();
      await expectStatus(
        running.clients.ride.startRide({ riderId: second.riderId, bikeId: bike.id, idempotencyKey: key }),
        status.FAILED_PRECONDITION,
        /in a ride; choose another bike/,
      );
      expect(await rideState(running.stack, await rideIdForKey(running.stack, second.riderId, key), bike.id, second.riderId)).toMatchObject({
        ride: 'CANCELLED',
        bike: 'IN_RIDE',
        reservation: ['RELEASED'],
        hold: [],
        wallet: { available: 2000, held: 0 },
      });
      expect((await rideState(running.stack, firstRide!.id, bike.id, first.riderId)).reservation).toEqual(['UNLOCKED']);
    });

    it('insufficient funds: the bike is released and the hold voided', async () => {
      const { riderId } = await riderWithFunds(running.clients, 300);
      const bike = await newBike(running.clients);
      const key = randomUUID();
      await expectStatus(
        running.clients.ride.startRide({ riderId, bikeId: bike.id, idempotencyKey: key }),
        status.FAILED_PRECONDITION,
        /insufficient funds: 3.00 EUR available, 8.50 EUR needed/,
      );
      expect(await rideState(running.stack, await rideIdForKey(running.stack, riderId, key), bike.id, riderId)).toMatchObject({
        ride: 'CANCELLED',
        bike: 'AVAILABLE',
        reservation: ['RELEASED'],
        hold: ['VOIDED'],
        held: [0],
        wallet: { available: 300, held: 0 },
      });
    });
  });

  describe('retries change nothing', () => {
    it('the same start, sent again and concurrently, makes one ride, one reservation and one hold', async () => {
      const { riderId } = await riderWithFunds(running.clients);
      const bike = await newBike(running.clients);
      const request = { riderId, bikeId: bike.id, idempotencyKey: randomUUID() };
      const first = await running.clients.ride.startRide(request);
      const repeats = await Promise.all([1, 2, 3].map(() => running.clients.ride.startRide(request)));
      for (const repeat of repeats) expect(repeat.ride!.id).toBe(first.ride!.id);
      expect(await running.stack.db.ride.query('SELECT id FROM rides WHERE rider_id = $1', [riderId])).toHaveLength(1);
      expect(await rideState(running.stack, first.ride!.id, bike.id, riderId)).toMatchObject({
        reservation: ['UNLOCKED'],
        hold: ['AUTHORIZED'],
        wallet: { available: 2000 - HOLD, held: HOLD },
        ledger: ['HOLD'],
      });
    });

    it('concurrent first attempts with one key make one ride', async () => {
      const { riderId } = await riderWithFunds(running.clients);
      const bike = await newBike(running.clients);
      const request = { riderId, bikeId: bike.id, idempotencyKey: randomUUID() };
      const results = await Promise.allSettled([1, 2, 3].map(() => running.clients.ride.startRide(request)));
      // Twins that find the flow running wait for it and answer with the same ride.
      expect(results.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      const ids = new Set(results.map((result) => (result as PromiseFulfilledResult<{ ride?: { id: string } }>).value.ride!.id));
      expect(ids.size).toBe(1);
      expect((await rideState(running.stack, [...ids][0], bike.id, riderId)).ledger).toEqual(['HOLD']);
    });

    it('the same end, sent again, charges once', async () => {
      const { riderId } = await riderWithFunds(running.clients);
      const bike = await newBike(running.clients);
      const { ride } = await running.clients.ride.startRide({ riderId, bikeId: bike.id, idempotencyKey: randomUUID() });
      const ends = await Promise.all([1, 2].map(() => running.clients.ride.endRide({ rideId: ride!.id, riderId })));
      const again = await running.clients.ride.endRide({ rideId: ride!.id, riderId });
      expect(new Set([...ends, again].map((end) => end.ride!.fare!.amountMinor)).size).toBe(1);
      expect(await rideState(running.stack, ride!.id, bike.id, riderId)).toMatchObject({
        ride: 'COMPLETED',
        ledger: ['HOLD', 'CAPTURE', 'RELEASE'],
        wallet: { available: 2000 - 125, held: 0 },
      });
    });

    it('a failed start, retried with its key, gets the same error and does nothing more', async () => {
      const { riderId } = await riderWithFunds(running.clients, 300);
      const bike = await newBike(running.clients);
      const request = { riderId, bikeId: bike.id, idempotencyKey: randomUUID() };
      await expectStatus(running.clients.ride.startRide(request), status.FAILED_PRECONDITION, /insufficient funds/);
      await topUp(running.clients, riderId, 5000);
      await expectStatus(running.clients.ride.startRide(request), status.FAILED_PRECONDITION, /insufficient funds/);
      expect(await running.stack.db.ride.query('SELECT id FROM rides WHERE rider_id = $1', [riderId])).toHaveLength(1);
    });
  });

  describe('rules of the flow', () => {
    it('a rider rides one bike at a time', async () => {
      const { riderId } = await riderWithFunds(running.clients, 5000);
      const [bikeA, bikeB] = [await newBike(running.clients), await newBike(running.clients)];
      await running.clients.ride.startRide({ riderId, bikeId: bikeA.id, idempotencyKey: randomUUID() });
      await expectStatus(
        running.clients.ride.startRide({ riderId, bikeId: bikeB.id, idempotencyKey: randomUUID() }),
        status.FAILED_PRECONDITION,
        /already has a ride in progress/,
      );
      expect((await running.clients.inventory.getBike({ bikeId: bikeB.id })).bike!.status).toBe(1 /* AVAILABLE */);
    });

    it('only the ride\'s rider may end it, and only a ride that exists', async () => {
      const { riderId } = await riderWithFunds(running.clients);
      const bike = await newBike(running.clients);
      const { ride } = await running.clients.ride.startRide({ riderId, bikeId: bike.id, idempotencyKey: randomUUID() });
      await expectStatus(running.clients.ride.endRide({ rideId: ride!.id, riderId: randomUUID() }), status.PERMISSION_DENIED, /another rider/);
      await expectStatus(running.clients.ride.endRide({ rideId: randomUUID(), riderId }), status.NOT_FOUND, /does not exist/);
    });

    it('a key reused for another bike is refused', async () => {
      const { riderId } = await riderWithFunds(running.clients);
      const [bikeA, bikeB] = [await newBike(running.clients), await newBike(running.clients)];
      const key = randomUUID();
      await running.clients.ride.startRide({ riderId, bikeId: bikeA.id, idempotencyKey: key });
      await expectStatus(running.clients.ride.startRide({ riderId, bikeId: bikeB.id, idempotencyKey: key }), status.INVALID_ARGUMENT, /already used/);
    });
  });
});
