// telematics:replay --from F rebuilds only what arrived from F on. The input (test/support/
// replay-input.ts) is ingested live over three hours, with readings held, filled, late and jumping
// around F = 10:00; a replay from F must give back exactly what the live run derived, touch
// nothing derived from earlier inputs, and apply a changed cleaning rule only from F on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openServiceDatabase } from '../../services/platform/src/database/migrations';
import { rewindCuration } from '../../services/telematics/src/domain/curation-rewind';
import { CuratedWarehouse } from '../../services/telematics/src/store/curated-warehouse';
import { TELEMATICS_MIGRATIONS, TelematicsStore } from '../../services/telematics/src/store/telematics-store';
import { replay } from '../../services/telematics/src/tools/replay';
import { LocalCuratedFiles } from '../../services/telematics/src/zones/curated-files';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from '../support/postgres';
import { batchOfLine, curatedFiles, derived, hour, ingestLive, rejectLines, replayInput, testEnv } from '../support/replay-input';

const F = hour(10);

describeWithPostgres('telematics:replay of a range', () => {
  let server: TestDatabase;
  let dataDir: string;
  /** B0: the first batch that decided a reading that arrived from F on. */
  let firstBatch: number;

  beforeEach(async () => {
    server = await createTestDatabase('replay_range');
    dataDir = mkdtempSync(join(tmpdir(), 'ecowheels-replay-range-'));
    await ingestLive(testEnv(server, dataDir), replayInput());
    const [row] = await server.query<{ batch: string }>('SELECT min(curation_batch) AS batch FROM readings WHERE received_at >= $1', [F]);
    firstBatch = Number(row.batch);
  }, 120_000);
  afterEach(async () => {
    await server?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** What must not change: batches before B0 with their files (same bytes), readings and rejects. */
  async function before(): Promise<unknown> {
    return {
      batches: await server.query('SELECT id, reading_count, shard FROM curation_batches WHERE id < $1 ORDER BY id', [firstBatch]),
      readings: await server.query('SELECT bike_id, sequence, curation_batch FROM readings WHERE curation_batch < $1 ORDER BY bike_id, sequence', [firstBatch]),
      files: curatedFiles(dataDir).filter((file) => file.batch < firstBatch),
      rejects: (await rejectLines(dataDir)).filter((line) => line < 'rejects/dt=2026-11-26/hour=10' && !((batchOfLine(line) ?? 0) >= firstBatch)),
    };
  }

  it('gives back exactly what the live run derived, and leaves what arrived before F as it was', async () => {
    const truth = await derived(server, dataDir);
    const past = await before();
    // The input has what the test is about: a fill at F, held readings, late and jumping ones.
    expect(truth.curated.filter((row) => row.includes('/true/'))).toHaveLength(3);
    expect(truth.rejects.map((line) => /"rule":"([a-z.]+)"/.exec(line)![1]).sort()).toEqual(['gps.jump', 'gps.jump', 'gps.jump', 'order.late', 'order.late']);

    const result = await replay({ from: F }, testEnv(server, dataDir));
    expect(result.inputs).toBe(replayInput().filter((input) => input.receivedAt >= F).length);
    expect(await derived(server, dataDir)).toEqual(truth);
    expect(await before()).toEqual(past);
    // The undone batches' files are gone: every file left is a committed batch's.
    const committed = new Set((await server.query<{ id: string }>('SELECT id FROM curation_batches')).map((row) => Number(row.id)));
    expect(curatedFiles(dataDir).filter((file) => !committed.has(file.batch))).toEqual([]);
    // Nothing kept twice: the refusal of C's held jump, written after F into the hour before, was
    // taken out and written again.
    expect((await rejectLines(dataDir)).filter((line) => line.includes('"gps.jump"'))).toHaveLength(3);
  }, 120_000);

  it('applies a changed cleaning rule only to what arrived from F on, as if it had changed live at F', async () => {
    const past = await before();
    const [earlyRide] = await server.query("SELECT * FROM ride_totals WHERE last_recorded_at < '2026-11-26T10:00:00Z'");
    // Jumps of 5.5 km in 4 s are no jumps any more, and gaps are no longer filled.
    const faster = { TELEMATICS_MAX_IMPLIED_SPEED_KMH: '10000', TELEMATICS_MAX_FILL_READINGS: '0' };
    await replay({ from: F }, testEnv(server, dataDir, faster));

    // The same input ingested live, with the rule changed at F.
    const other = await createTestDatabase('replay_range_switched');
    const otherDir = mkdtempSync(join(tmpdir(), 'ecowheels-replay-range-'));
    try {
      await ingestLive(testEnv(other, otherDir), replayInput().filter((input) => input.receivedAt < F));
      await ingestLive(testEnv(other, otherDir, faster), replayInput().filter((input) => input.receivedAt >= F));
      const switched = await derived(other, otherDir);
      expect(await derived(server, dataDir)).toEqual(switched);
    } finally {
      await other.drop();
      rmSync(otherDir, { recursive: true, force: true });
    }
    expect(await before()).toEqual(past);
    const [sameRide] = await server.query('SELECT * FROM ride_totals WHERE ride_id = $1', [earlyRide.ride_id]);
    expect(sameRide).toEqual(earlyRide);
    // A's jump before F is still refused; B's after F and C's held one (decided after F) are kept.
    const jumps = (await rejectLines(dataDir)).filter((line) => line.includes('"gps.jump"'));
    expect(jumps.map((line) => line.slice(0, line.indexOf(' ')))).toEqual(['rejects/dt=2026-11-26/hour=09']);
    // A's gap before F stays filled; the ones after F are not.
    expect(await server.query('SELECT ride_id, sequence FROM track_points WHERE filled')).toEqual([{ ride_id: '1d0e7c1e-0000-4000-8000-000000000001', sequence: '5' }]);
  }, 180_000);

  it('finishes, when run again, a replay that stopped right after it took the cleaning back', async () => {
    const truth = await derived(server, dataDir);
    const { db } = await openServiceDatabase({ url: server.url, dataDir: '', migrations: TELEMATICS_MIGRATIONS });
    const warehouse = await CuratedWarehouse.open(new LocalCuratedFiles(join(dataDir, 'telematics-lake', 'curated')));
    try {
      const store = new TelematicsStore(db);
      // The database's part commits; then the process dies before its files and rejects are done.
      const dies = () => Promise.reject(new Error('killed'));
      await expect(rewindCuration(F, { store, history: warehouse, sink: { removeBatch: dies }, rejects: { clear: dies, removeLines: dies } })).rejects.toThrow('killed');
      expect(await server.query('SELECT 1 FROM readings WHERE received_at >= $1', [F])).toEqual([]);
    } finally {
      warehouse.close();
      await db.close();
    }
    await replay({ from: F }, testEnv(server, dataDir));
    expect(await derived(server, dataDir)).toEqual(truth);
  }, 120_000);

  it('refuses a range that ends before the newest raw input, and changes nothing', async () => {
    const truth = await derived(server, dataDir);
    const files = curatedFiles(dataDir);
    const batches = await server.query('SELECT id FROM curation_batches ORDER BY id');
    await expect(replay({ from: F, to: hour(11) }, testEnv(server, dataDir))).rejects.toThrow(
      /raw files arrived after 2026-11-26T11:00:00.000Z .*readings after it were cleaned on top of the range.*replay from 2026-11-26T10:00:00.000Z to the end/,
    );
    // Nor one that starts inside an hour: the raw zone is kept by the hour.
    await expect(replay({ from: new Date(F.getTime() + 1_800_000) }, testEnv(server, dataDir))).rejects.toThrow(/is not the start of an hour; give one, for example 2026-11-26T10/);
    expect(await derived(server, dataDir)).toEqual(truth);
    expect(curatedFiles(dataDir)).toEqual(files);
    expect(await server.query('SELECT id FROM curation_batches ORDER BY id')).toEqual(batches);
  }, 120_000);
});
