// One telematics cleaner as its own process, for the many-processor tests: it shares the database,
// the curated folder and the rejects folder with the others, as replicas share a database and a
// bucket. It prints what happens to it as JSON lines (its shards' handovers and takeovers, fenced
// commits, each batch about to commit) for the test to act on: SIGSTOP it mid-batch (a stall),
// SIGKILL it between its files and its commit (a crash), SIGTERM it (scaled in).
//   CLEANER_DATABASE_URL, CLEANER_CURATED_DIR, CLEANER_LAKE_DIR, CLEANER_HOLDER,
//   CLEANER_LEASE_MS, CLEANER_SHARDS, CLEANER_BATCH_LIMIT, CLEANER_HOLD_BEFORE_COMMIT_MS (optional)
import { openServiceDatabase } from '../../services/platform/src/database/migrations';
import { createLogger } from '../../services/platform/src/logger';
import { Curation, type CurationMetrics } from '../../services/telematics/src/domain/curation';
import { CuratedWarehouse } from '../../services/telematics/src/store/curated-warehouse';
import { TELEMATICS_MIGRATIONS, TelematicsStore } from '../../services/telematics/src/store/telematics-store';
import { LocalCuratedFiles } from '../../services/telematics/src/zones/curated-files';
import { FileZoneStore } from '../../services/telematics/src/zones/file-zone-store';
import { TEST_CLEANING } from './cleaning-input';

const env = process.env;
const say = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);

async function main(): Promise<void> {
  const holder = env.CLEANER_HOLDER ?? `cleaner-${process.pid}`;
  const { db } = await openServiceDatabase({ url: env.CLEANER_DATABASE_URL, dataDir: '', migrations: TELEMATICS_MIGRATIONS });
  const warehouse = await CuratedWarehouse.open(new LocalCuratedFiles(env.CLEANER_CURATED_DIR!));
  const lake = new FileZoneStore(env.CLEANER_LAKE_DIR!, holder);
  const holdMs = Number(env.CLEANER_HOLD_BEFORE_COMMIT_MS ?? 0);
  const metrics: CurationMetrics = {
    curated: () => undefined,
    dropped: () => undefined,
    leaseTakeover: (shard) => say({ event: 'takeover', holder, shard }),
    fencedCommit: (shard) => say({ event: 'fenced', holder, shard }),
    shardHandover: (shard, reason) => say({ event: 'handover', holder, shard, reason }),
  };
  const curation = new Curation({
    store: new TelematicsStore(db),
    sink: warehouse,
    rejects: lake,
    settings: TEST_CLEANING,
    metrics,
    logger: createLogger('cleaner', 'silent'),
    minIntervalMs: 0,
    batchLimit: Number(env.CLEANER_BATCH_LIMIT ?? 50),
    holder,
    leaseMs: Number(env.CLEANER_LEASE_MS ?? 1000),
    shards: Number(env.CLEANER_SHARDS ?? 8),
    onCurated: (batch) => say({ event: 'committed', holder, points: batch.points.length }),
    beforeCommit: async ({ batchId, shards }) => {
      say({ event: 'before-commit', holder, batchId, shards });
      if (holdMs > 0) await new Promise((resolve) => setTimeout(resolve, holdMs));
    },
  });
  // A processor is poked by the readings it stores; here the test stores them, so it looks often.
  const looking = setInterval(() => curation.poke(), 100);
  curation.start();
  say({ event: 'ready', holder });
  process.once('SIGTERM', () => {
    clearInterval(looking);
    curation
      .stop()
      .then(async () => {
        warehouse.close();
        await lake.close();
        await db.close();
        say({ event: 'stopped', holder });
        process.exit(0);
      })
      .catch(() => process.exit(1));
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
