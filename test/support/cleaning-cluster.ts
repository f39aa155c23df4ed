// A cluster of telematics cleaners for the many-processor tests and the cleaning benchmark: a
// database, a curated folder and a lake folder of its own, the cleaner processes that share them
// (test/support/cleaning-processor.ts), and what cleaning made of the input.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openServiceDatabase } from '../../services/platform/src/database/migrations';
import type { Database } from '../../services/platform/src/database/database';
import { CuratedWarehouse } from '../../services/telematics/src/store/curated-warehouse';
import { TELEMATICS_MIGRATIONS, TelematicsStore } from '../../services/telematics/src/store/telematics-store';
import { LocalCuratedFiles } from '../../services/telematics/src/zones/curated-files';
import { FileZoneStore } from '../../services/telematics/src/zones/file-zone-store';
import type { AcceptedReading } from '../../services/telematics/src/domain/reading';
import { eventually } from './eventually';
import { createTestDatabase, type TestDatabase } from './postgres';

export const LEASE_MS = 1000;
const EVER = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2027-01-01T00:00:00Z') };

/** What cleaning made of the input: compared between one processor and three. */
export interface Outcome {
  rideTotals: unknown[];
  curated: unknown[];
  rejects: string[];
}

/** A test's own database, curated folder and lake folder. */
export class Place {
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
export class Cleaner {
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

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Stores the input's rounds one after another, as the doors would while processors clean. */
export async function feed(place: Place, rounds: AcceptedReading[][], everyMs = 40, onRound?: (round: number) => Promise<void> | void): Promise<void> {
  for (const [round, readings] of rounds.entries()) {
    await place.store.insertReadings(readings);
    await onRound?.(round);
    await pause(everyMs);
  }
}

export async function cleanedUp(place: Place, timeoutMs = 60_000): Promise<void> {
  await eventually(
    async () => {
      const [row] = await place.db.query<{ n: number }>('SELECT count(*)::int AS n FROM readings WHERE curation_batch IS NULL');
      if (row.n > 0) throw new Error(`${row.n} readings still wait`);
    },
    { timeoutMs, what: 'every reading cleaned' },
  );
}

