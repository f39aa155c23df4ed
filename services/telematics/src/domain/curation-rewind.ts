// Rewinding the cleaning to the moment before the first input of a range arrived, so that a replay
// (tools/replay.ts) rebuilds only what arrived from that hour on and leaves everything derived from
// earlier inputs exactly as it is.
//
// The track rules keep state per bike (its last clean point decides lateness, GPS jumps, gap
// filling and every segment's sums), and what arrived later was cleaned on top of what arrived
// earlier. So the rewind undoes the first batch that decided a reading of the range, B0, and every
// batch after it, for all bikes. Per bike each decision depends only on that bike's own state, so
// undoing a batch that also held earlier readings is harmless, as long as each bike's state goes
// back with it. Batch ids rise in commit order within a shard (one fenced holder at a time, and a
// batch takes every shard it cleans), and a bike stays in one shard, so "before B0" is, for each
// bike, the state it had when B0 was cleaned.
//
// What the rewind changes, in the database in ONE transaction (a crash leaves the old state or the
// rewound one, never half of it; a later run finds nothing left to undo and goes on):
// - each bike's state goes back to its last clean point before B0 (none: the bike has no state);
// - the clean track and the totals of the rides those batches added to go back to their points
//   before B0;
// - the batches' files are hidden as abandoned intents (readers leave them out, as they leave out
//   a batch that never committed), and the batches and their rejects outbox are forgotten;
// - readings that arrived in the range are forgotten (the replay stores them again from raw/, so
//   the per-reading rules apply too); earlier readings those batches decided wait to be cleaned again.
// Then, in the lake: the batches' files are removed (a crash before leaves them hidden, and the
// cleaner removes them like any abandoned batch's), rejects/ of the range is cleared, and the lines
// those batches wrote to earlier hours (a late or jumping reading that arrived before the range) are
// taken out, so that no refusal is kept twice once the replay has cleaned them again.
import type { RejectsEditor } from './lake';
import type { CuratedSink } from './curation';
import type { RideTotals } from './ride-impact';
import type { TrackState } from './track-cleaning';

/** What the rewind changes in the database, in one transaction. */
export interface CurationRewind {
  /** Readings that arrived from then on are forgotten: the replay stores them again. */
  from: Date;
  /** The first batch undone (every later one is undone too); none when no reading of the range was decided. */
  firstBatch?: number;
  /** The batches undone, each with its shards and the partitions its files are in. */
  undone: { batchId: number; shards: number[]; partitions: string[] }[];
  /** Every bike those batches decided readings of, with its state before them (none: no state). */
  bikes: { bikeId: string; state?: TrackState }[];
  /** Every ride they added points to, with its totals before them (none: the ride had no point before). */
  rides: { rideId: string; totals?: RideTotals }[];
}

/** What the batches from B0 on decided. */
export interface DecidedFrom {
  /** Each bike with readings among them, and the span of those readings' recorded times. */
  bikes: { bikeId: string; firstRecordedAt: Date; lastRecordedAt: Date }[];
  /** The rides of those readings. */
  rideIds: string[];
  /** The batches, each with the shards it cleaned. */
  batches: { batchId: number; shards: number[] }[];
}

export interface RewindStore {
  /** The first batch that decided a reading that arrived at or after `from`; undefined when none did. */
  firstBatchArrivedFrom(from: Date): Promise<number | undefined>;
  decidedFrom(batch: number): Promise<DecidedFrom>;
  /** Each bike's readings decided by batches below `batch`, at most `depth`, highest sequence first. */
  latestDecided(bikeIds: readonly string[], batch: number, depth: number): Promise<Map<string, { sequence: number; recordedAt: Date }[]>>;
  rideTotals(rideIds: readonly string[]): Promise<RideTotals[]>;
  rewindCuration(rewind: CurationRewind): Promise<void>;
  /** The hours (UTC) in which readings that arrived before `before` and wait to be cleaned arrived. */
  waitingArrivalHours(before: Date): Promise<Date[]>;
  /** Batches whose files are not to be read: begun and never committed, abandoned, or undone. */
  uncommittedBatchIds(): Promise<number[]>;
}

/** What the rewind reads of the curated files: the truth of what each batch kept. */
export interface CuratedHistory {
  /** Each bike's clean point with the highest sequence among batches below `batch`, recorded in [from, to). */
  lastPoints(bikeIds: readonly string[], batch: number, from: Date, to: Date): Promise<Map<string, TrackState>>;
  /** Each ride's totals over its points of batches below `batch`, recorded in [from, to); a ride with none is left out. */
  rideTotals(rideIds: readonly string[], batch: number, from: Date, to: Date): Promise<RideTotals[]>;
  /** The hour partitions each batch from `batch` on has points in, among points recorded in [from, to). */
  batchPartitions(batch: number, from: Date, to: Date): Promise<Map<number, string[]>>;
}

export interface RewindParts {
  store: RewindStore;
  history: CuratedHistory;
  sink: Pick<CuratedSink, 'removeBatch'>;
  rejects: RejectsEditor;
}

/** What a rewind undid, for the replay's report. */
export interface RewindSummary {
  firstBatch?: number;
  batches: number;
  bikes: number;
  rides: number;
  /** Reject lines taken out of hours before the range. */
  rejectLines: number;
}

/** The end of time, for open ranges: a year no partition reaches. */
const END_OF_TIME = new Date('9999-01-01T00:00:00Z');

/** How many of a bike's newest decided readings are looked at first for its last clean point. */
const FIRST_DEPTH = 8;

/**
 * Takes back everything derived from the inputs that arrived at or after `from` (see the header),
 * so that feeding them again rebuilds exactly that. Run it with no processor cleaning.
 */
export async function rewindCuration(from: Date, parts: RewindParts): Promise<RewindSummary> {
  const { store, history, sink, rejects } = parts;
  const firstBatch = await store.firstBatchArrivedFrom(from);
  let rewind: CurationRewind = { from, undone: [], bikes: [], rides: [] };
  if (firstBatch !== undefined) {
    const decided = await store.decidedFrom(firstBatch);
    const states = await statesBefore(parts, decided.bikes.map((bike) => bike.bikeId), firstBatch);
    // Every point of the undone batches lies between a bike's state before them (a fill starts
    // there) and the last reading they decided: the partitions their files are in.
    const times = [...decided.bikes.flatMap((bike) => [bike.firstRecordedAt, bike.lastRecordedAt]), ...[...states.values()].map((state) => state.lastRecordedAt)];
    const partitions = times.length > 0 ? await history.batchPartitions(firstBatch, minOf(times), afterMaxOf(times)) : new Map<number, string[]>();
    const current = await store.rideTotals(decided.rideIds);
    const before =
      current.length > 0
        ? await history.rideTotals(decided.rideIds, firstBatch, minOf(current.map((ride) => ride.firstRecordedAt)), afterMaxOf(current.map((ride) => ride.lastRecordedAt)))
        : [];
    const totals = new Map(before.map((ride) => [ride.rideId, ride]));
    rewind = {
      from,
      firstBatch,
      undone: decided.batches.map((batch) => ({ ...batch, partitions: partitions.get(batch.batchId) ?? [] })),
      bikes: decided.bikes.map(({ bikeId }) => ({ bikeId, state: states.get(bikeId) })),
      rides: decided.rideIds.map((rideId) => ({ rideId, totals: totals.get(rideId) })),
    };
  }
  await store.rewindCuration(rewind);

  // The lake, after the commit. Each step can run again: a run after a crash finds the batches
  // already hidden (and their readings waiting), and finishes what is left.
  for (const batch of rewind.undone) await sink.removeBatch(batch.batchId, batch.partitions);
  await rejects.clear('rejects', from, END_OF_TIME);
  // A refusal a batch wrote is for a reading it decided; the ones of undone batches that arrived
  // before the range wait again now, so their hours hold every line to take out.
  const hidden = new Set(await store.uncommittedBatchIds());
  let rejectLines = 0;
  for (const hour of await store.waitingArrivalHours(from)) {
    rejectLines += await rejects.removeLines('rejects', hour, (line) => hidden.has(curationBatchOf(line)));
  }
  return { firstBatch, batches: rewind.undone.length, bikes: rewind.bikes.length, rides: rewind.rides.length, rejectLines };
}

/**
 * Each bike's state before `batch`: its last clean point then (the curated row with the highest
 * sequence among earlier batches; the newest one is always measured, since a fill comes before the
 * reading that closes its gap), and the highest sequence those batches decided (a GPS jump moves
 * it on and keeps the position; a late reading lies below it). The point is looked for among the
 * bike's newest decided readings, more of them each round, so the curated files read are only
 * those of the days those readings were recorded in.
 */
async function statesBefore(parts: RewindParts, bikeIds: string[], batch: number): Promise<Map<string, TrackState>> {
  const states = new Map<string, TrackState>();
  let pending = bikeIds;
  for (let depth = FIRST_DEPTH; pending.length > 0; depth *= 4) {
    const latest = await parts.store.latestDecided(pending, batch, depth);
    // A bike with no reading decided before `batch` has no state.
    const asked = pending.filter((bikeId) => latest.has(bikeId));
    if (asked.length === 0) break;
    const times = asked.flatMap((bikeId) => latest.get(bikeId)!.map((reading) => reading.recordedAt));
    const points = await parts.history.lastPoints(asked, batch, minOf(times), afterMaxOf(times));
    pending = [];
    for (const bikeId of asked) {
      const readings = latest.get(bikeId)!;
      const point = points.get(bikeId);
      // A point at or above the lowest reading looked at is the last one: every reading above it was looked at too.
      if (point && point.lastSequence >= readings[readings.length - 1].sequence) states.set(bikeId, { ...point, lastSequence: readings[0].sequence });
      else if (readings.length === depth) pending.push(bikeId);
      // Else none of its readings is on the track: it cannot happen (a bike's first reading always
      // is), unless its files are lost; the bike then starts again with no state.
    }
  }
  return states;
}

/** The batch a reject line names (`curationBatch`, written by the cleaner); the door's refusals name none. */
function curationBatchOf(line: string): number {
  const batch = (JSON.parse(line) as { curationBatch?: unknown }).curationBatch;
  return typeof batch === 'number' ? batch : Number.NaN;
}

// By reduce, not Math.min(...): a spread of a million times overflows the stack.
const minOf = (times: Date[]) => new Date(times.reduce((min, time) => Math.min(min, time.getTime()), Number.POSITIVE_INFINITY));
/** Just after the latest time: the end of a half-open range that holds it. */
const afterMaxOf = (times: Date[]) => new Date(times.reduce((max, time) => Math.max(max, time.getTime()), Number.NEGATIVE_INFINITY) + 1);
