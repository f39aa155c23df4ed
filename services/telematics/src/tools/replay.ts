// `npm run telematics:replay -- --from 2026-11-20T00`: rebuilds what was derived from the raw inputs
// that arrived from that hour (UTC) on, so a fixed cleaning rule applies to the past. Run it with
// the service stopped and the same environment as the service (DATA_DIR, TELEMATICS_DATABASE_URL,
// TELEMATICS_RAW_ZONE_URL...). It takes back everything derived from those inputs (the stored
// readings, the clean track, ride totals, bike states, curated Parquet and rejects: see
// domain/curation-rewind.ts), then sends every raw input from that hour on through the same
// pipeline and cleaner again, in the order it arrived, with the clock of its arrival: the rules
// decide as they would have live. What was derived from earlier inputs stays exactly as it is, and
// device credentials are kept.
// A range always runs to the end: readings that arrived later were cleaned on top of it (each
// bike's last clean point decides the next), so a --to before the newest raw input is refused.
// Without --from it replays the whole history: it forgets everything derived and rebuilds it.
import { parseArgs } from 'node:util';
import { openServiceDatabase } from '../../../platform/src/database/migrations';
import { createLogger } from '../../../platform/src/logger';
import { readTelematicsConfig } from '../config';
import { rewindCuration } from '../domain/curation-rewind';
import { BATCH_LIMIT, type Arrival } from '../domain/reading';
import { TELEMATICS_MIGRATIONS } from '../store/telematics-store';
import { hourOfPartition, type ZoneStore } from '../zones/zone-store';
import { openTelematics } from '../telematics-core';

const EVER = { from: new Date(0), to: new Date('9999-01-01T00:00:00Z') };
const HOUR_MS = 3_600_000;

function hourArg(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const date = new Date(/^\d{4}-\d{2}-\d{2}T\d{2}$/.test(value) ? `${value}:00:00Z` : value);
  if (Number.isNaN(date.getTime())) throw new Error(`"${value}" is not a time; use for example 2026-11-26T09 (an hour, UTC)`);
  return date;
}

/**
 * Replays the raw inputs that arrived from `from` on (all of them without it). `to`, if given, may
 * not leave any raw input out: readings after it were cleaned on top of the range.
 */
export async function replay(range: { from?: Date; to?: Date }, env: NodeJS.ProcessEnv = process.env): Promise<{ inputs: number; decided: number }> {
  const config = readTelematicsConfig(env);
  const logger = createLogger('telematics-replay', env.LOG_LEVEL ?? 'warn');
  const { db } = await openServiceDatabase({ ...config.database, migrations: TELEMATICS_MIGRATIONS });
  const core = await openTelematics(config, db, logger, { live: false });
  try {
    // A processor that cleans while the replay takes back and rebuilds would mix both: refused first.
    await core.curation.refuseWhileCleaning('replay');
    const from = range.from ?? EVER.from;
    // The raw zone is kept by the hour of arrival: a range that began inside an hour would forget
    // the readings of its second part and replay none of them.
    if (from.getTime() % HOUR_MS !== 0) throw new Error(`--from ${from.toISOString()} is not the start of an hour; give one, for example ${from.toISOString().slice(0, 13)}`);
    const raw = await core.zone.list('raw', EVER.from, EVER.to);
    const after = range.to ? raw.filter((key) => hourOfPartition(key)!.getTime() + HOUR_MS > range.to!.getTime()) : [];
    if (after.length > 0) {
      throw new Error(
        `${after.length} raw files arrived after ${range.to!.toISOString()} (the last in hour ${hourOfPartition(after[after.length - 1])!.toISOString()}), and readings after it were cleaned on top of the range, so the range cannot be rebuilt alone: replay from ${from.toISOString()} to the end (leave out --to)`,
      );
    }
    if (range.from) {
      const rewound = await rewindCuration(range.from, { store: core.store, history: core.warehouse, sink: core.warehouse, rejects: core.zone });
      logger.info(rewound, 'cleaning rewound to before the range');
    } else {
      await core.store.forgetDerived();
      await core.warehouse.clear();
      await core.zone.clear('rejects', EVER.from, EVER.to);
    }
    let inputs = 0;
    let decided = 0;
    let clock = from;
    for (const keys of byHour(raw.filter((key) => hourOfPartition(key)! >= from))) {
      const arrivals = await arrivalsInOrder(core.zone, keys);
      for (let start = 0; start < arrivals.length; start += BATCH_LIMIT) {
        const chunk = arrivals.slice(start, start + BATCH_LIMIT);
        await core.pipeline.submit(chunk);
        inputs += chunk.length;
        clock = chunk[chunk.length - 1].receivedAt;
        // The cleaner runs as the inputs' own clock moves on, as it did live. Readings of earlier
        // hours the rewind set waiting again are cleaned with the first of them.
        decided += await core.curation.cleanEverything(clock);
      }
    }
    // The end of the range: every window has closed.
    decided += await core.curation.cleanEverything(new Date(Math.max(clock.getTime(), Date.now()) + HOUR_MS));
    return { inputs, decided };
  } finally {
    await core.stop();
    await db.close();
  }
}

/** The raw zone's keys grouped by their hour partition (one file per writer each), in time order. */
function byHour(keys: string[]): string[][] {
  const hours = new Map<string, string[]>();
  for (const key of keys) {
    const hour = key.slice(0, key.lastIndexOf('/'));
    hours.set(hour, [...(hours.get(hour) ?? []), key]);
  }
  return [...hours.keys()].sort().map((hour) => hours.get(hour)!);
}

/**
 * An hour's inputs from every writer's file, in the order they arrived. One writer's file after
 * another would move the clock back and forth, and the rules would drop the readings of every
 * writer but the first as late.
 */
async function arrivalsInOrder(zone: Pick<ZoneStore, 'read'>, keys: string[]): Promise<Arrival[]> {
  const arrivals: Arrival[] = [];
  for (const key of keys) {
    for (const line of await zone.read(key)) {
      const raw = JSON.parse(line) as Arrival & { receivedAt: string };
      arrivals.push({ ...raw, receivedAt: new Date(raw.receivedAt) });
    }
  }
  // A stable sort: inputs of one writer that arrived at the same millisecond keep their order.
  return arrivals.sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime());
}

if (require.main === module) {
  const { values } = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' } } });
  const range = { from: hourArg(values.from), to: hourArg(values.to) };
  replay(range).then(
    ({ inputs, decided }) =>
      console.log(`replayed ${inputs} raw inputs ${range.from ? `from ${range.from.toISOString()}` : 'of the whole history'}; ${decided} readings cleaned again`),
    (error: unknown) => {
      console.error('replay failed:', error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
