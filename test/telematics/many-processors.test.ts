// Cleaning with three processors on one PostgreSQL database, each its own process, sharing the
// curated folder and the rejects folder as replicas share a bucket. Readings flow in while one
// processor stalls past its lease (SIGSTOP), dies between its files and its commit (SIGKILL), or
// processors come and go (scale out, scale in). In each case the ride totals, the curated Parquet
// and the rejects equal what one processor makes of the same input, and the stalled or killed
// processor's batch is fenced off or removed, never counted.
import { createLogger } from '../../services/platform/src/logger';
import { Curation } from '../../services/telematics/src/domain/curation';
import { CuratedWarehouse } from '../../services/telematics/src/store/curated-warehouse';
import { LocalCuratedFiles } from '../../services/telematics/src/zones/curated-files';
import { FileZoneStore } from '../../services/telematics/src/zones/file-zone-store';
import { cleanedUp, Cleaner, feed as feedRounds, LEASE_MS, pause, Place, type Outcome } from '../support/cleaning-cluster';
import { cleaningRounds, TEST_CLEANING } from '../support/cleaning-input';
import { eventually } from '../support/eventually';
import { describeWithPostgres } from '../support/postgres';

const ROUNDS = cleaningRounds(24, 40);
const feed = (place: Place, everyMs?: number, onRound?: (round: number) => Promise<void> | void) => feedRounds(place, ROUNDS, everyMs, onRound);

describeWithPostgres('cleaning with many processors on one database', () => {
  let truth: Outcome;
  const places: Place[] = [];
  const cleaners: Cleaner[] = [];
  const place = async (label: string) => {
    const opened = await new Place().open(label);
    places.push(opened);
    return opened;
  };
  const cleaner = (at: Place, holder: string, env?: Record<string, string>) => {
    const started = new Cleaner(at, holder, env);
    cleaners.push(started);
    return started;
  };

  beforeAll(async () => {
    // The truth: one processor, in this process, with the whole input stored first.
    const single = await place('cleaning_truth');
    for (const readings of ROUNDS) await single.store.insertReadings(readings);
    const warehouse = await CuratedWarehouse.open(new LocalCuratedFiles(single.curatedDir));
    const lake = new FileZoneStore(single.lakeDir, 'single');
    const curation = new Curation({
      store: single.store,
      sink: warehouse,
      rejects: lake,
      settings: TEST_CLEANING,
      metrics: { curated: () => undefined, dropped: () => undefined, leaseTakeover: () => undefined, fencedCommit: () => undefined, shardHandover: () => undefined },
      logger: createLogger('test', 'silent'),
      minIntervalMs: 0,
      batchLimit: 5000,
      holder: 'single',
      leaseMs: 60_000,
      shards: 1,
    });
    await curation.cleanEverything(new Date());
    warehouse.close();
    await lake.close();
    truth = await single.outcome();
    // The input is what it should be: every ride, every reading but the missing ones, each bike's jump.
    expect(truth.rideTotals).toHaveLength(24);
    expect(truth.rejects).toHaveLength(24);
    expect(truth.curated).toHaveLength(24 * 39); // 40 sent, one missing (filled), one jump (dropped)
    expect(truth.curated.filter((row) => String(row).includes('/true/'))).toHaveLength(24);
  });

  afterEach(async () => {
    await Promise.all(cleaners.splice(0).map((started) => started.stop()));
  });

  afterAll(async () => {
    await Promise.all(places.map((opened) => opened.close()));
  });

  it('fences off a processor that stalls past its lease mid-batch: another takes its shards over and nothing of its batch counts', async () => {
    const here = await place('cleaning_stall');
    // It waits 0.5 s between its files and its commit (well within its lease), so that the stop
    // lands in that window rather than after a commit that was quicker than the signal.
    const stalling = cleaner(here, 'stalling', { CLEANER_HOLD_BEFORE_COMMIT_MS: '500' });
    const others = [cleaner(here, 'b'), cleaner(here, 'c')];
    await Promise.all([stalling, ...others].map((started) => started.next('ready')));
    const stalled = (async () => {
      await stalling.next('before-commit');
      stalling.signal('SIGSTOP'); // its files are written; the process stops, renewals and all
      await pause(3 * LEASE_MS);
      stalling.signal('SIGCONT');
    })();
    await feed(here);
    await stalled;
    await cleanedUp(here);
    // Its batch in flight ends, one way or the other, once it runs again.
    await eventually(async () => expect(stalling.said('fenced').length + stalling.said('committed').length).toBeGreaterThan(0), { what: 'the stalled batch ending' });
    await Promise.all([stalling, ...others].map((started) => started.stop()));
    expect(await here.outcome()).toEqual(truth);
    expect(others.flatMap((started) => started.said('takeover')).length).toBeGreaterThan(0);
    expect(stalling.said('fenced').length).toBeGreaterThan(0);
  });

  it('recovers from a processor killed between its files and its commit: its files are removed, its readings cleaned once', async () => {
    const here = await place('cleaning_kill');
    const doomed = cleaner(here, 'doomed', { CLEANER_HOLD_BEFORE_COMMIT_MS: '2000' });
    const others = [cleaner(here, 'b'), cleaner(here, 'c')];
    await Promise.all([doomed, ...others].map((started) => started.next('ready')));
    const killed = (async () => {
      await doomed.next('before-commit');
      doomed.signal('SIGKILL');
    })();
    await feed(here);
    await killed;
    await cleanedUp(here);
    await Promise.all(others.map((started) => started.stop()));
    expect(others.flatMap((started) => started.said('takeover')).length).toBeGreaterThan(0);
    expect(await here.strayFiles()).toEqual([]);
    expect(await here.outcome()).toEqual(truth);
  });

  it('shares the shards as processors are added and removed while readings flow', async () => {
    const here = await place('cleaning_scale');
    const first = cleaner(here, 'first');
    await first.next('ready');
    let second: Cleaner | undefined;
    let third: Cleaner | undefined;
    await feed(here, 60, async (round) => {
      // Each new processor is awaited until it is up, so that it takes its share while readings
      // still flow (on a busy machine a start can outlast the rest of the feed).
      if (round === 10) await (second = cleaner(here, 'second')).next('ready');
      if (round === 20) await (third = cleaner(here, 'third')).next('ready');
      if (round === 30) await first.stop(); // scaled in: it lets its shards go
    });
    await cleanedUp(here);
    const added = [second!, third!];
    await Promise.all(added.map((started) => started.stop()));
    // Each processor cleaned some of it, and the first one's shards were handed over, not taken over.
    for (const started of [first, ...added]) expect(started.said('committed').length).toBeGreaterThan(0);
    expect(added.flatMap((started) => started.said('handover')).some((event) => event.reason === 'released')).toBe(true);
    expect(await here.outcome()).toEqual(truth);
  });
});
