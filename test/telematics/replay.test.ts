// telematics:replay on a raw zone written by two processors at once: each wrote its own file of
// the hour, and a bike's readings alternate between them. The replay takes the hour's inputs of
// every writer in the order they arrived, so none is dropped as late; it refuses to run while a
// processor holds a cleaning lease. (A range from an hour on: replay-range.test.ts.)
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openServiceDatabase } from '../../services/platform/src/database/migrations';
import { OPERATOR_SENDER } from '../../services/telematics/src/domain/ingest-pipeline';
import { DeviceCredentialStore } from '../../services/telematics/src/store/device-credential-store';
import { TELEMATICS_MIGRATIONS, TelematicsStore } from '../../services/telematics/src/store/telematics-store';
import { replay } from '../../services/telematics/src/tools/replay';
import { hourPartition } from '../../services/telematics/src/zones/zone-store';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from '../support/postgres';
import { TEST_ENV } from '../support/stack';
import { readingJson } from '../support/telematics';

const BIKE = '0b0e7c1e-0000-4000-8000-0000000000d1';
const START = Date.UTC(2026, 10, 26, 9, 10, 0);

describeWithPostgres('telematics:replay', () => {
  let server: TestDatabase;
  let dataDir: string;
  const env = () => ({ ...process.env, ...TEST_ENV, LOG_LEVEL: 'silent', DATA_DIR: dataDir, TELEMATICS_DATABASE_URL: server.url });

  beforeEach(async () => {
    server = await createTestDatabase('replay');
    dataDir = mkdtempSync(join(tmpdir(), 'ecowheels-replay-'));
    // Two writers, one file each for the hour; the bike's readings alternate between them.
    const hour = join(dataDir, 'telematics-lake', 'raw', hourPartition(new Date(START)));
    mkdirSync(hour, { recursive: true });
    for (const [writer, parity] of [['writer-a', 1], ['writer-b', 0]] as const) {
      const lines = Array.from({ length: 20 }, (_, n) => n + 1)
        .filter((sequence) => sequence % 2 === parity)
        .map((sequence) => {
          const recordTime = new Date(START + sequence * 2000).toISOString();
          const payload = JSON.stringify(readingJson(BIKE, sequence, { recordTime, latitude: 52.37 + sequence * 0.0001 }));
          return JSON.stringify({ door: 'file', sender: OPERATOR_SENDER, receivedAt: new Date(START + sequence * 2000 + 300).toISOString(), encoding: 'json', payload });
        });
      writeFileSync(join(hour, `${writer}.ndjson`), `${lines.join('\n')}\n`);
    }
  });
  afterEach(async () => {
    await server?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("takes every writer's inputs of an hour in the order they arrived", async () => {
    const { db } = await openServiceDatabase({ url: server.url, dataDir: '', migrations: TELEMATICS_MIGRATIONS });
    await new DeviceCredentialStore(db).saveDevice({ bikeId: BIKE, secretHash: '0'.repeat(64) }, false); // devices are kept by a replay
    await db.close();
    const result = await replay({}, env());
    expect(result).toEqual({ inputs: 20, decided: 20 });
    // Nothing dropped: the rules saw the bike's readings in order (one file after the other, half
    // of them would be refused as late).
    const rejectsDir = join(dataDir, 'telematics-lake', 'rejects');
    const rejected = existsSync(rejectsDir) ? (readdirSync(rejectsDir, { recursive: true }) as string[]).filter((name) => name.endsWith('.ndjson')) : [];
    expect(rejected.flatMap((name) => readFileSync(join(rejectsDir, name), 'utf8').split('\n').filter(Boolean))).toEqual([]);
    const [track] = await server.query<{ last_sequence: string }>('SELECT last_sequence FROM bike_tracks WHERE bike_id = $1', [BIKE]);
    expect(Number(track.last_sequence)).toBe(20);
  });

  it('refuses while a processor holds a cleaning lease', async () => {
    const { db } = await openServiceDatabase({ url: server.url, dataDir: '', migrations: TELEMATICS_MIGRATIONS });
    try {
      const store = new TelematicsStore(db);
      await store.cleanerShards(8);
      await store.claimShards('a-running-processor', 60_000, 1);
      await expect(replay({}, env())).rejects.toThrow(/a telematics processor is cleaning \(shard \d: a-running-processor\)/);
      await expect(replay({ from: new Date(START) }, env())).rejects.toThrow(/a telematics processor is cleaning/);
    } finally {
      await db.close();
    }
  });
});
