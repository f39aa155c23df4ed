// `npm run telematics:replay -- --from 2026-11-20T00 --to 2026-11-27T00`: rebuilds the curated
// data from the raw zone, so a fixed cleaning rule applies to the past. Run it with the service
// stopped and the same environment as the service (DATA_DIR, TELEMATICS_DATABASE_URL,
// TELEMATICS_RAW_ZONE_URL...). It forgets everything derived (accepted readings, the clean track,
// ride totals, curated Parquet, and the rejects of the range), then sends every raw input of the
// range through the same pipeline and cleaner again, in the order it arrived, with the clock of
// its arrival: the rules decide as they would have live. Device credentials are kept.
// Without --from and --to it replays everything. Since it rebuilds every derived table, a range
// that leaves raw inputs out is refused unless --forget-outside-range says to keep only the range
// (after the raw zone before it was archived, say).
import { parseArgs } from 'node:util';
import { openServiceDatabase } from '../../../platform/src/database/migrations';
import { createLogger } from '../../../platform/src/logger';
import { readTelematicsConfig } from '../config';
import { BATCH_LIMIT, type Arrival } from '../domain/reading';
import { TELEMATICS_MIGRATIONS } from '../store/telematics-store';
import type { ZoneStore } from '../zones/zone-store';
import { openTelematics } from '../telematics-core';

function hourArg(value: string | undefined, fallback: Date): Date {
  if (!value) return fallback;
  const date = new Date(/^\d{4}-\d{2}-\d{2}T\d{2}$/.test(value) ? `${value}:00:00Z` : value);
  if (Number.isNaN(date.getTime())) throw new Error(`"${value}" is not a time; use for example 2026-11-26T09 (an hour, UTC)`);
  return date;
}

export async function replay(range: { from: Date; to: Date; forgetOutsideRange?: boolean }, env: NodeJS.ProcessEnv = process.env): Promise<{ inputs: number; decided: number }> {
  const config = readTelematicsConfig(env);
  const logger = createLogger('telematics-replay', env.LOG_LEVEL ?? 'warn');
  const { db } = await openServiceDatabase({ ...config.database, migrations: TELEMATICS_MIGRATIONS });
  const core = await openTelematics(config, db, logger, { live: false });
  try {
    // A processor that cleans while the replay forgets and rebuilds would mix both: refused first.
    await core.curation.refuseWhileCleaning('replay');
    const everything = await core.zone.list('raw', new Date(0), new Date('9999-01-01T00:00:00Z'));
    const inRange = await core.zone.list('raw', range.from, range.to);
    if (everything.length > inRange.length && !range.forgetOutsideRange) {
      throw new Error(
        `${everything.length - inRange.length} raw files lie outside ${range.from.toISOString()} to ${range.to.toISOString()}, and a replay rebuilds every derived table: replay the whole history (no --from, --to), or pass --forget-outside-range to keep only this range`,
      );
    }
    await core.store.forgetDerived();
    await core.warehouse.clear();
    await core.zone.clear('rejects', range.from, range.to);
    let inputs = 0;
    let decided = 0;
    let clock = range.from;
    for (const keys of byHour(inRange)) {
      const arrivals = await arrivalsInOrder(core.zone, keys);
      for (let start = 0; start < arrivals.length; start += BATCH_LIMIT) {
        const chunk = arrivals.slice(start, start + BATCH_LIMIT);
        await core.pipeline.submit(chunk);
        inputs += chunk.length;
        clock = chunk[chunk.length - 1].receivedAt;
        // The cleaner runs as the inputs' own clock moves on, as it did live.
        decided += await core.curation.cleanEverything(clock);
      }
    }
    // The end of the range: every window has closed.
    decided += await core.curation.cleanEverything(new Date(Math.max(clock.getTime(), Date.now()) + 3_600_000));
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
  const { values } = parseArgs({ options: { from: { type: 'string' }, to: { type: 'string' }, 'forget-outside-range': { type: 'boolean' } } });
  const range = { from: hourArg(values.from, new Date(0)), to: hourArg(values.to, new Date('9999-01-01T00:00:00Z')), forgetOutsideRange: values['forget-outside-range'] };
  replay(range).then(
    ({ inputs, decided }) => console.log(`replayed ${inputs} raw inputs from ${range.from.toISOString()} to ${range.to.toISOString()}; ${decided} readings cleaned again`),
    (error: unknown) => {
      console.error('replay failed:', error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
