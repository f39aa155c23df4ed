// What happens when a service is down or the ride service dies half-way through a flow. Each case
// ends with all four databases consistent: no bike held and no money held by a ride that is not
// on, and no ride charged twice.
import { status } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { eventually } from '../support/eventually';
import { newBike, riderWithFunds } from '../support/fixtures';
import { expectStatus } from '../support/grpc-clients';
import { describeWithPostgres } from '../support/postgres';
import { rideIdForKey, rideState, settledState, startReaches } from '../support/ride-state';
import { TestStack } from '../support/stack';

describeWithPostgres('ride flow recovery', () => {
  let stack: TestStack;
  let clients: ReturnType<TestStack['clients']>;

  // One stack for the file: each case uses a rider and a bike of its own, and whatever it stopped,
  // froze or killed runs again before the next case.
  beforeAll(async () => {
    stack = await TestStack.start();
    clients = stack.clients();
  });
  afterEach(async () => {
    for (const name of ['user', 'inventory', 'payment', 'ride', 'telematics', 'gateway'] as const) {
      const process = stack.service(name);
      if (process.ending === undefined) process.signal('SIGCONT');
      else await stack.restart(name);
    }
    for (const client of Object.values(clients)) client.close();
    clients = stack.clients();
  });
  afterAll(async () => {
    for (const client of Object.values(clients ?? {})) client.close();
    await stack?.stop();
  });

  /** Kills the ride service with SIGKILL (no clean-up of any kind) and starts it again. */
  const crashAndRestartRide = async () => {
    const ride = stack.service('ride');
    ride.signal('SIGKILL');
    await ride.waitForExit();
    await stack.restart('ride');
    clients.ride.close();
    clients.ride = stack.clients().ride;
  };

  it('with the payment service down, a start releases the bike at once and voids the hold once payment is back', async () => {
    const { riderId } = await riderWithFunds(clients);
    const bike = await newBike(clients);
    const key = randomUUID();
    await stack.service('payment').stop();
    const refused = await expectStatus(clients.ride.startRide({ riderId, bikeId: bike.id, idempotencyKey: key }), status.UNAVAILABLE, /payment/);
    // The rider hears which part is down, never its address or the call that failed; nor does the ride keep them.
    expect(refused.details).toBe('the payment service is unavailable right now; retry shortly');
    const rideId = await rideIdForKey(stack, riderId, key);
    const [stored] = await stack.db.ride.query<{ failure_reason: string }>('SELECT failure_reason FROM rides WHERE id = $1', [rideId]);
    expect(stored.failure_reason).toBe('the payment service is unavailable right now; retry shortly');
    expect(await rideState(stack, rideId, bike.id, riderId)).toMatchObject({ ride: 'CANCELLING', bike: 'AVAILABLE', reservation: ['RELEASED'] });

    await stack.restart('payment');
    const settled = await settledState(stack, { rideId, bikeId: bike.id, riderId }, 'CANCELLED');
    expect(settled).toMatchObject({ bike: 'AVAILABLE', hold: ['VOIDED'], wallet: { available: 2000, held: 0 } });
  });

  it('a ride service killed while payment is holding money undoes the start after a restart', async () => {
    const { riderId } = await riderWithFunds(clients);
    const bike = await newBike(clients);
    const key = randomUUID();
    // Freeze payment so the flow stops inside Authorize, then kill the ride service there.
    stack.service('payment').signal('SIGSTOP');
    const inFlight = clients.ride.startRide({ riderId, bikeId: bike.id, idempotencyKey: key }).catch((error: unknown) => error);
    const rideId = await startReaches(stack, riderId, 'authorize');
    await crashAndRestartRide();
    stack.service('payment').signal('SIGCONT');
    await inFlight;

    const settled = await settledState(stack, { rideId, bikeId: bike.id, riderId }, 'CANCELLED');
    expect(settled).toMatchObject({
      bike: 'AVAILABLE',
      reservation: ['RELEASED'],
      hold: ['VOIDED'],
      wallet: { available: 2000, held: 0 },
    });
    // The interrupted key is spent: retrying it says so instead of starting a second flow.
    await expectStatus(clients.ride.startRide({ riderId, bikeId: bike.id, idempotencyKey: key }), status.UNAVAILABLE, /interrupted/);
  });

  it('a ride service killed after the fare was captured finishes the end after a restart, charging once', async () => {
    const { riderId } = await riderWithFunds(clients);
    const bike = await newBike(clients);
    const { ride } = await clients.ride.startRide({ riderId, bikeId: bike.id, idempotencyKey: randomUUID() });
    const end = { latitude: 52.36, longitude: 4.88 };
    // Freeze inventory so the end flow stops inside ReleaseBike, after Capture.
    stack.service('inventory').signal('SIGSTOP');
    const inFlight = clients.ride.endRide({ rideId: ride!.id, riderId, endLocation: end }).catch((error: unknown) => error);
    await eventually(async () => {
      expect((await rideState(stack, ride!.id, bike.id, riderId)).hold).toEqual(['CAPTURED']);
    }, { what: 'the end flow to capture the fare' });
    await crashAndRestartRide();
    stack.service('inventory').signal('SIGCONT');
    await inFlight;

    const settled = await settledState(stack, { rideId: ride!.id, bikeId: bike.id, riderId }, 'COMPLETED');
    expect(settled).toMatchObject({
      bike: 'AVAILABLE',
      bikeLocation: end,
      reservation: ['RELEASED'],
      ledger: ['HOLD', 'CAPTURE', 'RELEASE'],
      wallet: { available: 2000 - 125, held: 0 },
    });
    // The rider asking again sees the finished ride, charged once.
    const again = await clients.ride.endRide({ rideId: ride!.id, riderId });
    expect(again.ride!.fare!.amountMinor).toBe(125);
  });

  it('a ride service killed while the bike was reserved holds no bike and no money after a restart', async () => {
    const { riderId } = await riderWithFunds(clients);
    const bike = await newBike(clients);
    // Inventory's ReserveBike waits on the bike's row, held here (IdentifyBike before it only reads).
    const lock = new pg.Client({ connectionString: stack.db.inventory.url });
    await lock.connect();
    await lock.query('BEGIN');
    await lock.query('SELECT 1 FROM bikes WHERE id = $1 FOR UPDATE', [bike.id]);
    const inFlight = clients.ride.startRide({ riderId, bikeId: bike.id, idempotencyKey: randomUUID() }).catch((error: unknown) => error);
    const rideId = await startReaches(stack, riderId, 'reserve');
    await crashAndRestartRide();
    await lock.query('ROLLBACK');
    await lock.end();
    await inFlight;
    const settled = await settledState(stack, { rideId, bikeId: bike.id, riderId }, 'CANCELLED');
    // Recovery cannot know how far the start got, so it undoes every step: the hold it never asked
    // for is recorded as voided (refusing a late Authorize), and no money moved.
    expect(settled).toMatchObject({ bike: 'AVAILABLE', reservation: ['RELEASED'], hold: ['VOIDED'], held: [0], ledger: [], wallet: { available: 2000, held: 0 } });
  });
});
