// Chaos: 1,000 ride flows while a fifth of the ride service's calls to user, inventory and payment
// fail (not run, or run with the answer lost) or answer past the deadline, and while each service
// in turn is killed with SIGKILL and brought back by the launcher's supervision. The riders behave
// like apps: they retry a call that failed in transit with the same idempotency key, start again
// with a new key when a start was undone, and wait while an end finishes. Afterwards, when the
// recovery sweep has settled everything: no ride charged twice, no bike or money left held, every
// completed ride charged its fare exactly once, and every wallet equal to its ledger.
import { randomUUID } from 'node:crypto';
import { status, type ServiceError } from '@grpc/grpc-js';
import { RideStatus, type Ride } from '../../services/platform/src/generated/ecowheels/ride/v1/ride_service';
import type { ProcessName } from '../../services/local-stack/src/launched-service';
import type { SupervisionEvent } from '../../services/local-stack/src/supervision';
import { eventually } from '../support/eventually';
import { newBike, riderWithFunds } from '../support/fixtures';
import { describeWithPostgres } from '../support/postgres';
import { TestStack } from '../support/stack';

const RIDERS = 40;
const FLOWS = 1000;
const TOP_UP_MINOR = 20_000;
const FAULTS = 'unavailable=0.08,lost=0.07,late=0.05,lateMs=1300,callers=ride';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const codeOf = (error: unknown) => (error as ServiceError).code;
/** Failed in transit: the same call may be repeated with the same key. */
const transient = (error: unknown) => [status.UNAVAILABLE, status.DEADLINE_EXCEEDED, status.INTERNAL, status.CANCELLED].includes(codeOf(error));

describeWithPostgres('chaos: ride flows under injected faults and SIGKILL', () => {
  let stack: TestStack;
  let clients: ReturnType<TestStack['clients']>;
  const events: SupervisionEvent[] = [];

  beforeAll(async () => {
    stack = await TestStack.start({ GRPC_INJECT_FAULTS: FAULTS, RIDE_CALL_DEADLINE_MS: '1000', RIDE_FLOW_LEASE_MS: '2500', RIDE_RECOVERY_INTERVAL_MS: '300' });
    clients = stack.clients();
    stack.stack.supervise((event) => events.push(event));
  }, 120_000);
  afterAll(async () => {
    for (const client of Object.values(clients ?? {})) client.close();
    await stack?.stop();
  });

  it(`keeps every invariant through ${FLOWS} flows`, async () => {
    const riders = await Promise.all(Array.from({ length: RIDERS }, () => riderWithFunds(clients, TOP_UP_MINOR)));
    const bikes = await Promise.all(Array.from({ length: RIDERS }, () => newBike(clients, 100)));
    const figures = { completed: 0, startsUndone: 0, startRetries: 0, endRetries: 0, waitsForEnd: 0, gaveUp: 0, kills: 0 };
    let remaining = FLOWS;

    /** A call to the ride service, repeated while it fails in transit (a kill, a restart). */
    const withRetries = async <T>(call: () => Promise<T>, counter: 'startRetries' | 'endRetries'): Promise<T> => {
      for (let attempt = 0; ; attempt += 1) {
        try {
          return await call();
        } catch (error) {
          if (!transient(error) || attempt >= 30) throw error;
          figures[counter] += 1;
          await sleep(100 + attempt * 50);
        }
      }
    };

    const startOnce = async (riderId: string, bikeId: string): Promise<Ride | undefined> => {
      // One tap of "start": retried in transit with its key; undone starts answer the same again,
      // and a few of those mean the app offers a fresh start (a new key).
      const key = randomUUID();
      for (let attempt = 0; attempt < 3; attempt += 1) {
        try {
          const { ride } = await clients.ride.startRide({ riderId, bikeId, idempotencyKey: key });
          return ride;
        } catch (error) {
          if (codeOf(error) === status.FAILED_PRECONDITION) {
            await sleep(200); // the bike or rider is still busy with a ride being settled
            return undefined;
          }
          if (!transient(error)) throw error;
          figures.startRetries += 1;
          await sleep(150);
        }
      }
      figures.startsUndone += 1;
      return undefined;
    };

    const rideOnce = async (riderId: string, bikeId: string): Promise<boolean> => {
      let ride: Ride | undefined;
      for (let tap = 0; tap < 8 && !ride; tap += 1) ride = await startOnce(riderId, bikeId);
      if (!ride) return false;
      await withRetries(
        () =>
          clients.ride.endRide({ rideId: ride.id, riderId, endLocation: { latitude: 52.37, longitude: 4.89 } }).catch((error: unknown) => {
            // "has ended; charging is delayed and will finish automatically": nothing to repeat.
            if (codeOf(error) === status.UNAVAILABLE && /has ended/.test((error as ServiceError).details)) return undefined;
            throw error;
          }),
        'endRetries',
      );
      // The next ride waits until this one is settled (the recovery sweep finishes a delayed end).
      await eventually(
        async () => {
          const { ride: now } = await clients.ride.getRide({ rideId: ride.id });
          if (now?.status !== RideStatus.RIDE_STATUS_COMPLETED) {
            figures.waitsForEnd += 1;
            throw new Error(`ride ${ride.id} is ${RideStatus[now?.status ?? 0]}`);
          }
        },
        { timeoutMs: 90_000, what: 'the ride to complete' },
      ).catch((error: Error) => {
        // What the flow's services last warned of says why the end did not finish.
        const warnings = (['ride', 'inventory', 'payment'] as const).flatMap((name) =>
          stack.service(name).output.filter((line) => /"level":(40|50)/.test(line)).slice(-10).map((line) => `${name}: ${line.slice(0, 600)}`),
        );
        throw new Error(`${error.message}\nthe last warnings:\n${warnings.join('\n')}`);
      });
      figures.completed += 1;
      return true;
    };

    const worker = async (index: number) => {
      const { riderId } = riders[index];
      const bikeId = bikes[index].id;
      while (remaining > 0) {
        remaining -= 1;
        try {
          if (!(await rideOnce(riderId, bikeId))) figures.gaveUp += 1;
        } catch (error) {
          figures.gaveUp += 1;
          if (!transient(error) && codeOf(error) !== status.FAILED_PRECONDITION) throw error;
        }
      }
    };

    // Each service killed in turn while the flows run; supervision starts it again.
    let running = true;
    const victims: ProcessName[] = ['payment', 'inventory', 'user', 'ride', 'telematics', 'gateway'];
    const killer = (async () => {
      for (const victim of victims) {
        await sleep(3000);
        if (!running) return;
        stack.service(victim).signal('SIGKILL');
        figures.kills += 1;
        await eventually(async () => expect(events.filter((event) => event.name === victim && event.kind === 'restarted')).toHaveLength(1), {
          timeoutMs: 60_000,
          what: `${victim} to be restarted`,
        }).catch((error: Error) => {
          throw new Error(`${error.message}\nsupervision said: ${JSON.stringify(events.filter((event) => event.name === victim))}\nits last lines: ${stack.service(victim).output.slice(-8).join('\n')}`);
        });
      }
    })();

    const started = Date.now();
    await Promise.all(riders.map((_rider, index) => worker(index)));
    running = false;
    await killer;
    /** Settled: nothing left starting, ending or cancelling. */
    const settled = () =>
      eventually(
        async () => {
          const [open] = await stack.db.ride.query<{ count: number }>("SELECT count(*)::int AS count FROM rides WHERE status IN ('STARTING', 'ENDING', 'CANCELLING')");
          expect(open.count).toBe(0);
        },
        { timeoutMs: 60_000, what: 'every flow to settle' },
      );
    await settled();
    // A rider whose app gave up on a start that did go through finds the ride in their list, and
    // ends it, as the app's "current ride" screen lets them.
    const forgotten = await stack.db.ride.query<{ id: string; rider_id: string }>("SELECT id, rider_id FROM rides WHERE status = 'ACTIVE'");
    for (const ride of forgotten) {
      await withRetries(() => clients.ride.endRide({ rideId: ride.id, riderId: ride.rider_id, endLocation: { latitude: 52.37, longitude: 4.89 } }), 'endRetries').catch((error: unknown) => {
        if (!(codeOf(error) === status.UNAVAILABLE && /has ended/.test((error as ServiceError).details))) throw error;
      });
    }
    await settled();
    const seconds = (Date.now() - started) / 1000;

    const [rides] = await stack.db.ride.query<{ completed: number; cancelled: number; active: number }>(
      "SELECT count(*) FILTER (WHERE status = 'COMPLETED')::int AS completed, count(*) FILTER (WHERE status = 'CANCELLED')::int AS cancelled, count(*) FILTER (WHERE status = 'ACTIVE')::int AS active FROM rides",
    );
    const fares = new Map(
      (await stack.db.ride.query<{ hold_key: string; fare_minor: number }>("SELECT hold_key, fare_minor::int AS fare_minor FROM rides WHERE status = 'COMPLETED'")).map((row) => [row.hold_key, row.fare_minor]),
    );
    const captures = await stack.db.payment.query<{ hold_key: string; captures: number; captured: number; status: string }>(
      `SELECT h.hold_key, h.status, h.captured_minor::int AS captured,
              (SELECT count(*)::int FROM ledger_entries e WHERE e.hold_key = h.hold_key AND e.kind = 'CAPTURE') AS captures
         FROM holds h`,
    );
    const doubleCharges = captures.filter((hold) => hold.captures > 1);
    const stuckHolds = captures.filter((hold) => hold.status === 'AUTHORIZED');
    const chargedWrong = [...fares].filter(([holdKey, fare]) => {
      const hold = captures.find((candidate) => candidate.hold_key === holdKey);
      return !hold || hold.captures !== 1 || hold.captured !== fare;
    });
    const chargedWithoutRide = captures.filter((hold) => hold.captures > 0 && !fares.has(hold.hold_key));
    const [bikesHeld] = await stack.db.inventory.query<{ count: number }>("SELECT count(*)::int AS count FROM bikes WHERE status IN ('RESERVED', 'IN_RIDE')");
    const [reservationsOpen] = await stack.db.inventory.query<{ count: number }>("SELECT count(*)::int AS count FROM reservations WHERE status <> 'RELEASED'");
    const wallets = await stack.db.payment.query<{ rider_id: string; available: number; held: number; ledger_available: number; ledger_held: number; topped_up: number; captured: number }>(
      `SELECT w.rider_id, w.available_minor::int AS available, w.held_minor::int AS held,
              coalesce(sum(e.available_delta_minor), 0)::int AS ledger_available, coalesce(sum(e.held_delta_minor), 0)::int AS ledger_held,
              coalesce(sum(e.available_delta_minor) FILTER (WHERE e.kind = 'TOP_UP'), 0)::int AS topped_up,
              (SELECT coalesce(sum(h.captured_minor - h.refunded_minor), 0)::int FROM holds h WHERE h.rider_id = w.rider_id) AS captured
         FROM wallets w LEFT JOIN ledger_entries e ON e.rider_id = w.rider_id GROUP BY w.rider_id`,
    );
    const unbalanced = wallets.filter((wallet) => wallet.available !== wallet.ledger_available || wallet.held !== wallet.ledger_held || wallet.held !== 0 || wallet.available !== wallet.topped_up - wallet.captured);

    console.log(
      [
        `chaos: ${FLOWS} flows by ${RIDERS} riders in ${seconds.toFixed(0)} s, faults ${FAULTS}, ${figures.kills} services killed with SIGKILL (${victims.join(', ')})`,
        `  completed rides ${rides.completed} (flows completed ${figures.completed}, given up ${figures.gaveUp}, rides the app lost track of and ended from the list ${forgotten.length}); starts cancelled ${rides.cancelled}; taps that found a start undone ${figures.startsUndone}`,
        `  retries in transit: start ${figures.startRetries}, end ${figures.endRetries}; polls for an end to settle ${figures.waitsForEnd}`,
        `  restarts by supervision: ${events.filter((event) => event.kind === 'restarted').map((event) => event.name).join(', ')}`,
        `  double charges ${doubleCharges.length}, completed rides not charged their fare exactly once ${chargedWrong.length}, charges without a completed ride ${chargedWithoutRide.length}`,
        `  holds left authorized ${stuckHolds.length}, bikes left held ${bikesHeld.count}, reservations left open ${reservationsOpen.count}, rides left active ${rides.active}`,
        `  wallets whose totals differ from their ledger ${unbalanced.length} of ${wallets.length}`,
      ].join('\n'),
    );
    expect(rides.completed).toBe(figures.completed + forgotten.length);
    // The rest gave up after eight undone starts in a row, as a rider would; on a loaded machine,
    // where calls miss their 1 s deadline more often, more of them do.
    expect(figures.completed).toBeGreaterThan(FLOWS * 0.6);
    expect({ doubleCharges, chargedWrong, chargedWithoutRide, stuckHolds, bikesHeld: bikesHeld.count, reservationsOpen: reservationsOpen.count, active: rides.active, unbalanced }).toEqual({
      doubleCharges: [],
      chargedWrong: [],
      chargedWithoutRide: [],
      stuckHolds: [],
      bikesHeld: 0,
      reservationsOpen: 0,
      active: 0,
      unbalanced: [],
    });
    expect(events.filter((event) => event.kind === 'gave-up')).toEqual([]);
  }, 600_000);
});
