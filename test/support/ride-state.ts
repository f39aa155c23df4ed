// Reads what each service stored about one ride, straight from their databases, so flow tests can
// check that the four stay consistent (no bike held and no money held by a ride that is not on).
import { eventually } from './eventually';
import type { TestStack } from './stack';

/** Any stack whose databases a test can read: its own, or the shared one. */
type WithDatabases = Pick<TestStack, 'db'>;

export async function rideState(stack: WithDatabases, rideId: string, bikeId: string, riderId: string) {
  const [ride] = await stack.db.ride.query<{ status: string; fare_minor: number | null }>(
    'SELECT status, fare_minor::int AS fare_minor FROM rides WHERE id = $1',
    [rideId],
  );
  const [bike] = await stack.db.inventory.query<{ status: string; latitude: number; longitude: number }>(
    'SELECT status, latitude, longitude FROM bikes WHERE id = $1',
    [bikeId],
  );
  const reservations = await stack.db.inventory.query<{ status: string }>('SELECT status FROM reservations WHERE ride_id = $1', [rideId]);
  const holds = await stack.db.payment.query<{ status: string; authorized_minor: number; captured_minor: number }>(
    'SELECT status, authorized_minor::int AS authorized_minor, captured_minor::int AS captured_minor FROM holds WHERE hold_key = $1',
    [`ride:${rideId}`],
  );
  const [wallet] = await stack.db.payment.query<{ available: number; held: number }>(
    'SELECT available_minor::int AS available, held_minor::int AS held FROM wallets WHERE rider_id = $1',
    [riderId],
  );
  const entries = await stack.db.payment.query<{ kind: string }>(
    'SELECT kind FROM ledger_entries WHERE hold_key = $1 ORDER BY seq',
    [`ride:${rideId}`],
  );
  return {
    ride: ride?.status,
    fareMinor: ride?.fare_minor,
    bike: bike?.status,
    bikeLocation: bike && { latitude: bike.latitude, longitude: bike.longitude },
    reservation: reservations.map((row) => row.status),
    hold: holds.map((row) => row.status),
    held: holds.map((row) => row.authorized_minor),
    captured: holds.map((row) => row.captured_minor),
    wallet,
    ledger: entries.map((row) => row.kind),
  };
}

/** The id of the ride a StartRide with this key made (a failed start answers no ride). */
export async function rideIdForKey(stack: WithDatabases, riderId: string, idempotencyKey: string): Promise<string> {
  const [row] = await stack.db.ride.query<{ id: string }>('SELECT id FROM rides WHERE rider_id = $1 AND idempotency_key = $2', [
    riderId,
    idempotencyKey,
  ]);
  return row?.id;
}

/** Waits until recovery (or a retry) brings the ride to `status`, and answers the state then. */
export function settledState(stack: WithDatabases, ids: { rideId: string; bikeId: string; riderId: string }, status: string) {
  return eventually(
    async () => {
      const state = await rideState(stack, ids.rideId, ids.bikeId, ids.riderId);
      expect(state.ride).toBe(status);
      return state;
    },
    { what: `ride ${ids.rideId} to become ${status}`, timeoutMs: 30_000 },
  );
}

/**
 * Waits until the rider's start flow is inside a step, and answers the ride id. The flow writes no
 * step down (ride-flow.ts), so this reads what the services stored: `reserve`, the ride row exists
 * (it is written just before ReserveBike); `authorize`, inventory holds the bike for it too (the
 * next call is Authorize).
 */
export function startReaches(stack: WithDatabases, riderId: string, step: 'reserve' | 'authorize'): Promise<string> {
  return eventually(
    async () => {
      const [row] = await stack.db.ride.query<{ id: string; status: string }>('SELECT id, status FROM rides WHERE rider_id = $1', [riderId]);
      expect(row?.status).toBe('STARTING');
      if (step === 'authorize') {
        const held = await stack.db.inventory.query<{ status: string }>('SELECT status FROM reservations WHERE ride_id = $1', [row.id]);
        expect(held.map((reservation) => reservation.status)).toEqual(['RESERVED']);
      }
      return row.id;
    },
    { what: `the start flow to reach ${step}` },
  );
}
