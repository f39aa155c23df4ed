// The ride service's store: the rules the database itself enforces for the flow (one open ride per
// rider, one ride per key, leases), on PGlite and on the PostgreSQL server.
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { holdKeyOf, type Ride } from '../../services/ride/src/domain/ride';
import type { RideDependencies } from '../../services/ride/src/domain/ride-dependencies';
import { RideFlow } from '../../services/ride/src/domain/ride-flow';
import { RIDE_MIGRATIONS, RideStoreSql } from '../../services/ride/src/store/ride-store';
import { describeOnEachEngine } from '../support/engines';

const pricing = { currency: 'EUR', unlockFeeMinor: 100, perMinuteMinor: 25, holdMinutes: 30 };

function newRide(riderId: string = randomUUID(), idempotencyKey: string = randomUUID()): Ride {
  const id = randomUUID();
  const now = new Date();
  const bikeId = randomUUID();
  return {
    id,
    riderId,
    bikeId,
    bikeCode: bikeId,
    idempotencyKey,
    status: 'STARTING',
    startStep: 'VERIFYING',
    pricing,
    holdKey: holdKeyOf(id),
    failureReason: '',
    createdAt: now,
    updatedAt: now,
  };
}

const inSeconds = (seconds: number) => new Date(Date.now() + seconds * 1000);

describeOnEachEngine('ride store', RIDE_MIGRATIONS, (db) => {
  const store = () => new RideStoreSql(db());

  it('stores a ride and reads it back whole', async () => {
    const ride: Ride = { ...newRide(), startLocation: { latitude: 52.1, longitude: 4.2 }, failureKind: 'UNAVAILABLE', failureReason: 'x' };
    expect(await store().insert(ride, inSeconds(10))).toBe('inserted');
    expect(await store().find(ride.id)).toEqual(ride);
  });

  it('says whether a new ride clashes with its key or with the rider\'s open ride', async () => {
    const first = newRide();
    await store().insert(first, inSeconds(10));
    expect(await store().insert({ ...newRide(first.riderId, first.idempotencyKey) }, inSeconds(10))).toBe('duplicate_key');
    expect(await store().insert(newRide(first.riderId), inSeconds(10))).toBe('rider_busy');
    await store().save({ ...first, status: 'CANCELLED' }, undefined);
    expect(await store().insert(newRide(first.riderId), inSeconds(10))).toBe('inserted');
  });

  it('lets one worker at a time hold a flow, and hands stale ones to recovery', async () => {
    const ride = newRide();
    await store().insert(ride, inSeconds(10));
    expect(await store().claim(ride.id, new Date(), inSeconds(10))).toBe(false);
    expect((await store().claimStale(new Date(), inSeconds(10), 100)).map((r) => r.id)).not.toContain(ride.id);
    // Time passes beyond the lease: recovery may take it, once.
    const later = inSeconds(20);
    const claimed = await store().claimStale(later, new Date(later.getTime() + 10_000), 100);
    expect(claimed.map((r) => r.id)).toContain(ride.id);
    expect((await store().claimStale(later, new Date(later.getTime() + 10_000), 100)).map((r) => r.id)).not.toContain(ride.id);
  });

  it('moves a ride to ENDING only from ACTIVE', async () => {
    const ride = newRide();
    await store().insert(ride, inSeconds(10));
    expect(await store().beginEnding({ ...ride, status: 'ENDING' }, inSeconds(10))).toBe(false);
    await store().save({ ...ride, status: 'ACTIVE', startTime: new Date() }, undefined);
    expect(await store().beginEnding({ ...ride, status: 'ENDING', fareMinor: 125 }, inSeconds(10))).toBe(true);
    expect(await store().beginEnding({ ...ride, status: 'ENDING', fareMinor: 999 }, inSeconds(10))).toBe(false);
    expect((await store().find(ride.id))!.fareMinor).toBe(125);
  });

  it('lists a rider\'s rides newest first, after a position', async () => {
    const riderId = randomUUID();
    const rides: Ride[] = [];
    for (let n = 0; n < 3; n += 1) {
      const ride = { ...newRide(riderId), status: 'CANCELLED' as const, createdAt: new Date(Date.now() + n * 1000) };
      await store().insert(ride, inSeconds(10));
      rides.push(ride);
    }
    const first = await store().listByRider(riderId, 2);
    expect(first.map((r) => r.id)).toEqual([rides[2].id, rides[1].id]);
    const rest = await store().listByRider(riderId, 2, { createdAt: first[1].createdAt, id: first[1].id });
    expect(rest.map((r) => r.id)).toEqual([rides[0].id]);
  });
});

describeOnEachEngine('ride flow, when our own code fails', RIDE_MIGRATIONS, (db) => {
  it('undoes the start, records no detail, and lets the fault through as it is (the gRPC layer logs it once and answers INTERNAL)', async () => {
    const calls: string[] = [];
    const fault = new TypeError("Cannot read properties of undefined (reading 'latitude')");
    const dependencies: RideDependencies = {
      identifyBike: async (code) => code,
      verifyRider: async () => void calls.push('verify'),
      reserveBike: async () => {
        calls.push('reserve');
        throw fault; // a programming error, not a refusal
      },
      authorizePayment: async () => void calls.push('authorize'),
      unlockBike: async () => void calls.push('unlock'),
      capturePayment: async () => void calls.push('capture'),
      voidPayment: async () => void calls.push('void'),
      releaseBike: async () => {
        calls.push('release');
        return undefined;
      },
    };
    const logged: { level: number; msg: string }[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
    const store = new RideStoreSql(db());
    const flow = new RideFlow(store, dependencies, { pricing, leaseMs: 5000, busyWaitMs: 1000 }, logger);
    const riderId = randomUUID();
    await expect(flow.startRide({ riderId, bikeId: randomUUID(), idempotencyKey: randomUUID() })).rejects.toBe(fault);
    expect(calls).toEqual(['verify', 'reserve', 'release']);
    const [ride] = (await db().query<{ status: string; failure_reason: string }>('SELECT status, failure_reason FROM rides WHERE rider_id = $1', [riderId]));
    expect(ride).toEqual({ status: 'CANCELLED', failure_reason: 'the ride could not start because of an internal error; start again' });
    expect(logged.filter((line) => line.level >= 50 || JSON.stringify(line).includes('latitude'))).toEqual([]); // 50: error
  });
});
