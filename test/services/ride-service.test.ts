// Contract of RideService's reads and its input checks (the flow itself is in test/flow/).
import { status } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { RideStatus } from '../../services/platform/src/generated/ecowheels/ride/v1/ride_service';
import { newBike, riderWithFunds } from '../support/fixtures';
import { expectStatus } from '../support/grpc-clients';
import { describeWithPostgres } from '../support/postgres';
import { useTestStack } from '../support/stack';

describeWithPostgres('RideService contract', () => {
  const running = useTestStack({ RIDE_UNLOCK_FEE_MINOR: '150', RIDE_PER_MINUTE_MINOR: '30', RIDE_HOLD_MINUTES: '20' });

  const completedRide = async (riderId: string) => {
    const bike = await newBike(running.clients);
    const { ride } = await running.clients.ride.startRide({ riderId, bikeId: bike.id, idempotencyKey: randomUUID() });
    return (await running.clients.ride.endRide({ rideId: ride!.id, riderId })).ride!;
  };

  it('GetPricing answers the configured tariff', async () => {
    expect((await running.clients.ride.getPricing({})).pricing).toEqual({
      unlockFee: { amountMinor: 150, currency: 'EUR' },
      perMinute: { amountMinor: 30, currency: 'EUR' },
      holdMinutes: 20,
    });
  });

  it('GetRide reads a ride with its tariff and hold key; NOT_FOUND and INVALID_ARGUMENT otherwise', async () => {
    const { riderId } = await riderWithFunds(running.clients);
    const ride = await completedRide(riderId);
    const { ride: read } = await running.clients.ride.getRide({ rideId: ride.id });
    expect(read).toMatchObject({
      status: RideStatus.RIDE_STATUS_COMPLETED,
      holdKey: `ride:${ride.id}`,
      fare: { amountMinor: 180, currency: 'EUR' },
      pricing: { holdMinutes: 20 },
    });
    await expectStatus(running.clients.ride.getRide({ rideId: randomUUID() }), status.NOT_FOUND, /does not exist/);
    await expectStatus(running.clients.ride.getRide({ rideId: '42' }), status.INVALID_ARGUMENT, /ride_id: must be a UUID/);
  });

  it('BatchGetRides reads many rides in one call and leaves unknown ids out', async () => {
    const { riderId } = await riderWithFunds(running.clients);
    const [a, b] = [await completedRide(riderId), await completedRide(riderId)];
    const { rides } = await running.clients.ride.batchGetRides({ rideIds: [a.id, b.id, randomUUID()] });
    expect(rides.map((ride) => ride.id).sort()).toEqual([a.id, b.id].sort());
  });

  it('ListRides pages through a rider\'s rides newest first, and only theirs', async () => {
    const { riderId } = await riderWithFunds(running.clients, 5000);
    const other = await riderWithFunds(running.clients);
    const rides = [await completedRide(riderId), await completedRide(riderId), await completedRide(riderId)];
    await completedRide(other.riderId);
    const first = await running.clients.ride.listRides({ riderId, pageSize: 2, pageToken: '' });
    const second = await running.clients.ride.listRides({ riderId, pageSize: 2, pageToken: first.nextPageToken });
    expect([...first.rides, ...second.rides].map((ride) => ride.id)).toEqual(rides.map((ride) => ride.id).reverse());
    expect(second.nextPageToken).toBe('');
    await expectStatus(running.clients.ride.listRides({ riderId, pageSize: 2, pageToken: 'bogus' }), status.INVALID_ARGUMENT, /page_token/);
  });

  it('StartRide and EndRide refuse malformed requests, naming each wrong field', async () => {
    const error = await expectStatus(
      running.clients.ride.startRide({ riderId: 'x', bikeId: '', idempotencyKey: 'short' }),
      status.INVALID_ARGUMENT,
    );
    expect(error.details).toMatch(/rider_id: must be a UUID/);
    expect(error.details).toMatch(/bike_id: must be a UUID/);
    expect(error.details).toMatch(/idempotency_key: must be 8 to 200 characters/);
    await expectStatus(
      running.clients.ride.endRide({ rideId: randomUUID(), riderId: randomUUID(), batteryPercent: 120 }),
      status.INVALID_ARGUMENT,
      /battery_percent: must be from 0 to 100/,
    );
  });

  it('StartRide for an unknown bike or rider answers NOT_FOUND', async () => {
    const { riderId } = await riderWithFunds(running.clients);
    await expectStatus(running.clients.ride.startRide({ riderId, bikeId: randomUUID(), idempotencyKey: randomUUID() }), status.NOT_FOUND, /no bike has the code .*; scan the code on the bike/);
    const bike = await newBike(running.clients);
    await expectStatus(running.clients.ride.startRide({ riderId: randomUUID(), bikeId: bike.id, idempotencyKey: randomUUID() }), status.NOT_FOUND, /rider .* does not exist/);
  });
});
