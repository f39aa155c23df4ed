// Cleaning with three processors on one PostgreSQL database, each its own process, sharing the
// curated folder and the rejects folder as replicas share a bucket. Readings flow in while one
// processor stalls past its lease (SIGSTOP), dies between its files and its commit (SIGKILL), or
// processors come and go (scale out, scale in). In each case the ride totals, the curated Parquet
// and the rejects equal what one processor makes of the same input, and the stalled or killed
// processor's batch is fenced off or removed, never counted.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openServiceDatabase } from '../../services/platform/src/database/migrations';
import type { Database } from '../../services/platform/src/database/database';
import { createLogger } from '../../services/platform/src/logger';
import { Curation } from '../../services/telematics/src/domain/curation';
import { CuratedWarehouse } from '../../services/telematics/src/store/curated-warehouse';
import { TELEMATICS_MIGRATIONS, TelematicsStore } from '../../services/telematics/src/store/telematics-store';
import { LocalCuratedFiles } from '../../services/telematics/src/zones/curated-files';
import { FileZoneStore } from '../../services/telematics/src/zones/file-zone-store';
import { cleaningRounds, TEST_CLEANING } from '../support/cleaning-input';
import { eventually } from '../support/eventually';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from '../support/postgres';

const LEASE_MS = 1000;
const ROUNDS = cleaningRounds(24, 40);
const EVER = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2027-01-01T00:00:00Z') };

/** What cleaning made of the input: compared between one processor and three. */
interface Outcome {
  rideTotals: unknown[];
  curated: unknown[];
  rejects: string[];
}

/** A test's own database, curated folder and lake folder. */
class Place {
  readonly dir = mkdtempSync(join(tmpdir(), 'ecowheels-cleaners-'));
  readonly curatedDir = join(this.dir, 'curated');
  readonly lakeDir = join(this.dir, 'lake');
  server!: TestDatabase;
  db!: Database;
  store!: TelematicsStore;

  async open(label: string): Promise<this> {
    this.server = await createTestDatabase(label);
    this.db = (await openServiceDatabase({ url: this.server.url, dataDir: '', migrations: TELEMATICS_MIGRATIONS })).db;
    this.store = new TelematicsStore(this.db);
    return this;
  }

  async outcome(): Promise<Outcome> {
    const rideTotals = await this.db.query(
      `SELECT ride_id, round(distance_meters::numeric, 6)::text AS distance, round(energy_wh::numeric, 6)::text AS energy,
              round(moving_seconds::numeric, 6)::text AS moving, reading_count, filled_count FROM ride_totals ORDER BY ride_id`,
    );
    const warehouse = await CuratedWarehouse.open(new LocalCuratedFiles(this.curatedDir));
    warehouse.hideUncommitted(() => this.store.uncommittedBatchIds());
    try {
      const curated = (
        await warehouse.query(EVER.from, EVER.to, 'SELECT bike_id, sequence, filled, round(segment_meters, 6) AS meters, round(segment_wh, 6) AS wh FROM curated ORDER BY bike_id, sequence')
      ).map((row) => `${row.bike_id}/${row.sequence}/${row.filled}/${row.meters}/${row.wh}`);
      const lake = new FileZoneStore(this.lakeDir, 'reader');
      const rejects: string[] = [];
      for (const key of await lake.list('rejects', EVER.from, EVER.to)) {
        for (const line of await lake.read(key)) {
          const { rule, reading } = JSON.parse(line) as { rule: string; reading: { bikeId: string; sequence: number } };
          rejects.push(`${reading.bikeId}/${reading.sequence}/${rule}`);
        }
      }
      return { rideTotals, curated, rejects: rejects.sort() };
    } finally {
      warehouse.close();
    }
  }

  /** Curated files on disk of batches that never committed (there must be none once cleaned). */
  async strayFiles(): Promise<string[]> {
    const uncommitted = new Set(await this.store.uncommittedBatchIds());
    const files = existsSync(this.curatedDir) ? (readdirSync(this.curatedDir, { recursive: true }) as string[]) : [];
    return files.filter((file) => {
      const match = /batch-(\d+)\.parquet$/.exec(file);
      return match !== null && uncommitted.has(Number(match[1]));
    });
  }

  async close(): Promise<void> {
    await this.db?.close();
    await this.server?.drop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A cleaner process (test/support/cleaning-processor.ts) and what it said. */
class Cleaner {
  readonly events: Record<string, unknown>[] = [];
  private readonly child: ChildProcess;
  readonly exited: Promise<void>;
  private readonly listeners: ((event: Record<string, unknown>) => void)[] = [];

  constructor(place: Place, readonly holder: string, env: Record<string, string> = {}) {
    this.child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '../support/cleaning-processor.ts')], {
      env: { ...process.env, CLEANER_DATABASE_URL: place.server.url, CLEANER_CURATED_DIR: place.curatedDir, CLEANER_LAKE_DIR: place.lakeDir, CLEANER_HOLDER: holder, CLEANER_LEASE_MS: String(LEASE_MS), CLEANER_SHARDS: '8', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const event = JSON.parse(line) as Record<string, unknown>;
      this.events.push(event);
      for (const listener of this.listeners) listener(event);
    });
  }

  /** Resolves at the first event of this kind. */
  next(kind: string): Promise<Record<string, unknown>> {
    const seen = this.events.find((event) => event.event === kind);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.listeners.push((event) => event.event === kind && resolve(event)));
  }

  said(kind: string): Record<string, unknown>[] {
    return this.events.filter((event) => event.event === kind);
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Stores the input's rounds one after another, as the doors would while processors clean. */
async function feed(place: Place, everyMs = 40, onRound?: (round: number) => Promise<void> | void): Promise<void> {
  for (const [round, readings] of ROUNDS.entries()) {
    await place.store.insertReadings(readings);
    await onRound?.(round);
    await pause(everyMs);
  }
}

async function cleanedUp(place: Place): Promise<void> {
  await eventually(
    async () => {
      const [row] = await place.db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings WHERE curation_batch IS NULL');
      if (row.n > 0) throw new Error(`${row.n} readings still wait`);
    },
    { timeoutMs: 60_000, what: 'every reading cleaned' },
  );
}

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
    const stalling = cleaner(here, 'stalling');
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
      if (round === 10) second = cleaner(here, 'second');
      if (round === 20) third = cleaner(here, 'third');
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
