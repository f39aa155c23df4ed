// The ride flow writes its row twice per flow and not before each step (ride-flow.ts), so its lease
// must last through the calls in between: renewed before a call when less than half of it is left,
// and never written when the calls answer at once. A fake clock moves only when a call takes time.
import pino from 'pino';
import { RideFlow, type RideStore } from '../../services/ride/src/domain/ride-flow';
import type { Ride } from '../../services/ride/src/domain/ride';
import type { RideDependencies } from '../../services/ride/src/domain/ride-dependencies';

const LEASE_MS = 10_000;
const PRICING = { currency: 'EUR', unlockFeeMinor: 100, perMinuteMinor: 25, holdMinutes: 30 };

function flowWith(callMs: number) {
  let clock = Date.parse('2026-12-04T08:00:00Z');
  const now = () => new Date(clock);
  /** Each write of the row, with the lease it leaves, and the lease left when each call began. */
  const writes: { status: string; leaseLeftMs: number | undefined }[] = [];
  const leaseAtCall: Record<string, number> = {};
  let leaseUntil = 0;
  const rows = new Map<string, Ride>();
  const store = {
    findByKey: async () => undefined,
    insert: async (ride: Ride, until: Date) => {
      rows.set(ride.id, ride);
      leaseUntil = until.getTime();
      writes.push({ status: ride.status, leaseLeftMs: until.getTime() - clock });
      return 'inserted';
    },
    save: async (ride: Ride, until: Date | undefined) => {
      rows.set(ride.id, ride);
      if (until) leaseUntil = until.getTime();
      writes.push({ status: ride.status, leaseLeftMs: until && until.getTime() - clock });
    },
    beginEnding: async (ride: Ride, until: Date) => {
      rows.set(ride.id, ride);
      leaseUntil = until.getTime();
      writes.push({ status: ride.status, leaseLeftMs: until.getTime() - clock });
      return true;
    },
    find: async (id: string) => rows.get(id),
  } as unknown as RideStore;
  const call = (name: string) => async () => {
    leaseAtCall[name] = leaseUntil - clock;
    clock += callMs;
  };
  const services: RideDependencies = {
    identifyBike: async () => 'bike-1',
    verifyRider: async () => undefined,
    reserveBike: async () => {
      await call('reserve')();
      return { location: { latitude: 52.37, longitude: 4.9 } };
    },
    authorizePayment: call('authorize'),
    unlockBike: call('unlock'),
    capturePayment: call('capture'),
    voidPayment: call('void'),
    releaseBike: async () => {
      await call('release')();
      return undefined;
    },
  };
  const flow = new RideFlow(store, services, { pricing: PRICING, leaseMs: LEASE_MS, busyWaitMs: 1000 }, pino({ level: 'silent' }), now);
  return { flow, writes, leaseAtCall };
}

describe('the ride flow\'s lease', () => {
  it('writes the row twice per flow when the calls answer at once: no renewal', async () => {
    const { flow, writes } = flowWith(0);
    const ride = await flow.startRide({ riderId: 'rider-1', bikeId: 'EW-1', idempotencyKey: 'k1' });
    await flow.endRide({ rideId: ride.id, riderId: 'rider-1' });
    expect(writes.map((write) => write.status)).toEqual(['STARTING', 'ACTIVE', 'ENDING', 'COMPLETED']);
  });

  it('renews the lease before a call when less than half of it is left, so every call starts with more than half a lease', async () => {
    // Each call takes 40% of the lease: without renewals the third would begin with 20% left.
    const { flow, writes, leaseAtCall } = flowWith(0.4 * LEASE_MS);
    const ride = await flow.startRide({ riderId: 'rider-1', bikeId: 'EW-1', idempotencyKey: 'k1' });
    await flow.endRide({ rideId: ride.id, riderId: 'rider-1' });
    for (const name of ['reserve', 'authorize', 'unlock', 'capture', 'release']) expect(leaseAtCall[name]).toBeGreaterThanOrEqual(LEASE_MS / 2);
    // The start's third call would begin with 20% left: one renewal, a full lease. The end's second
    // call begins with 60% left: none.
    expect(writes.map((write) => write.status)).toEqual(['STARTING', 'STARTING', 'ACTIVE', 'ENDING', 'COMPLETED']);
    expect(writes.filter((write) => write.leaseLeftMs !== undefined).every((write) => write.leaseLeftMs === LEASE_MS)).toBe(true);
  });
});
