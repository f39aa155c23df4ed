// The cleaner: event-driven, it wakes when the pipeline has stored readings (or when a reorder
// window it is waiting on closes), never on a timer while idle. Each run takes the readings that
// wait, applies the track rules per bike, writes the curated Parquet, and commits the batch in the
// database: the readings decided, each bike's state, the clean track, the ride totals and what it
// dropped (written to rejects/ once committed).
//
// Many processors share one database, so the cleaning is split in shards by a hash of the bike id
// (a bike's track stays in one shard, in order). Each shard has a lease in the database, with a
// fence that goes up whenever the lease passes to another holder:
// - a processor that is awake takes a fair share of the shards (the shard count over the processors
//   awake), gives up the rest to processors that came after it, and takes over a dead processor's
//   shards once their leases ran out (a few seconds);
// - it renews its leases while it holds them, also during a long run, with the database's clock;
// - a run cleans every shard its processor holds together, as one batch: one query reads what waits
//   in all of them, one Parquet file per hour partition holds it, and one transaction commits it, so
//   a run's steps and files do not grow with the shard count (each awaited step waits its turn
//   behind the doors on a busy process, and each file costs about the same whatever its size);
// - a batch takes its id from a sequence together with its intent (the partitions it is about to
//   write), and only while every one of its shards' fences is still its holder's;
// - the commit checks the fences in its own transaction: a holder that stalled past a lease and was
//   taken over commits nothing of the batch, and no reading is decided by two committed batches;
// - files of a batch that never committed (a crash, a holder fenced off) are never read (readers
//   leave out every batch with an intent), and the next holder of any of its shards removes them.
import type { Logger } from '../../../platform/src/logger';
import { inBackground, inRootSpan } from '../../../platform/src/telemetry/tracing';
import type { Rejection } from './reading';
import type { ZoneLine, ZoneWriter } from './lake';
import { cleanBikeTrack, type CleaningSettings, type CleanPoint, type PendingReading, type TrackState } from './track-cleaning';

/** Some shards among `of`. */
export interface ShardsOf {
  shards: readonly number[];
  of: number;
}

/** A shard's lease as its holder took it. */
export interface ShardLease {
  shard: number;
  fence: number;
}

export interface HolderLease extends ShardLease {
  holder: string;
}

/** A shard just taken, with who held it before and whether that holder let it go. */
export interface ClaimedShard extends ShardLease {
  previous?: string;
  released: boolean;
}

/** A batch refused because the lease of some of its shards passed to another holder since it began. */
export class FencedOffError extends Error {
  constructor(readonly leases: readonly ShardLease[]) {
    const named = leases.map((lease) => `${lease.shard} (fence ${lease.fence})`).join(', ');
    super(`the lease of cleaning shard ${named} passed to another processor; the batch is not committed`);
    this.name = 'FencedOffError';
  }
}

/** What one cleaning batch (a run over the shards its holder holds) changes, committed at once. */
export interface CurationCommit {
  batchId: number;
  leases: readonly HolderLease[];
  decided: { bikeId: string; sequence: number }[];
  states: TrackState[];
  points: CleanPoint[];
  lastSeen: { bikeId: string; at: Date }[];
  /** What the track rules dropped, for rejects/ once the batch is committed. */
  rejects: ZoneLine[];
}

export interface CurationStore {
  cleanerShards(wanted: number): Promise<number>;
  cleanerHeartbeat(holder: string, leaseMs: number): Promise<number>;
  cleanerAsleep(holder: string): Promise<void>;
  claimShards(holder: string, leaseMs: number, max: number): Promise<ClaimedShard[]>;
  renewShards(holder: string, leaseMs: number, held: readonly ShardLease[]): Promise<number[]>;
  releaseShards(holder: string, shards: readonly number[]): Promise<void>;
  heldShards(): Promise<{ shard: number; holder: string; until: Date }[]>;
  /** The oldest readings waiting in these shards, `limit` at most. */
  waitingReadings(shards: ShardsOf, limit: number): Promise<PendingReading[]>;
  trackStates(bikeIds: readonly string[]): Promise<Map<string, TrackState>>;
  /** Records a batch's intent and gives it its id, while all its leases are the holder's (else FencedOffError). */
  recordCurationIntent(leases: readonly HolderLease[], partitions: readonly string[]): Promise<number>;
  /** The intents no commit cleared of batches with any of these shards. */
  uncommittedIntents(shards: readonly number[]): Promise<{ batchId: number; shards: number[]; partitions: string[] }[]>;
  abandonCurationIntent(batchId: number): Promise<void>;
  rejectsOutbox(shards: readonly number[]): Promise<{ batchId: number; lines: ZoneLine[] }[]>;
  clearRejectsOutbox(batchIds: readonly number[]): Promise<void>;
  /** Commits a batch, or nothing of it (FencedOffError if one of its leases passed on). */
  commitCuration(commit: CurationCommit): Promise<void>;
}

export interface CuratedSink {
  /** The partitions a batch's points go to. */
  partitionsOf(points: readonly CleanPoint[]): string[];
  writeBatch(batchId: number, points: readonly CleanPoint[]): Promise<number>;
  /** Removes a batch's files from those partitions; answers what it removed. */
  removeBatch(batchId: number, partitions: readonly string[]): Promise<string[]>;
}

export interface CurationMetrics {
  curated(points: readonly CleanPoint[], now: Date): void;
  dropped(rule: string): void;
  /** A shard's lease taken after it ran out in another holder's hands (that one died or stalled). */
  leaseTakeover(shard: number): void;
  /** A batch refused at commit: its holder's lease had passed to another. */
  fencedCommit(shard: number): void;
  /** A shard passed from one processor to another: `released` (let go) or `expired` (taken over). */
  shardHandover(shard: number, reason: 'released' | 'expired'): void;
  /** The shard count is known: counters an alert watches start at zero (an increase needs a first sample). */
  shardsKnown?(count: number): void;
}

/** Told of every committed batch: the inventory relay and the rider lookup listen. */
export type CuratedListener = (batch: { points: readonly CleanPoint[]; states: readonly TrackState[] }) => void;

export interface CurationOptions {
  store: CurationStore;
  sink: CuratedSink;
  rejects: ZoneWriter;
  settings: CleaningSettings;
  metrics: CurationMetrics;
  logger: Logger;
  /** The least time between two runs after a batch that was not full, so a busy stream makes a few larger files, not many tiny ones (ms). */
  minIntervalMs: number;
  /** Readings per batch at most (the oldest first, of all the shards the holder holds). */
  batchLimit: number;
  /** Who this cleaner is (unique per process), and how long a shard's lease lasts unrenewed (ms). */
  holder: string;
  leaseMs: number;
  /** How many shards the first processor on a database makes (TELEMATICS_CLEANER_SHARDS). */
  shards: number;
  /** How long a processor with nothing to clean keeps its shards before it lets them go (ms). */
  idleMs?: number;
  onCurated?: CuratedListener;
  /** Test-only: runs between a batch's files being written and its commit (a stall, a crash). */
  beforeCommit?: (batch: { batchId: number; shards: number[] }) => Promise<void>;
}

/**
 * How long a holder trusts that a shard it holds has nothing left over (ms). A holder fenced off
 * after recording its intent may still write its files afterwards; looking again this often removes
 * them within a minute (its abandoned batch is asked for an hour), at two queries a look.
 */
const LEFTOVERS_AGAIN_MS = 60_000;

export class Curation {
  private running: Promise<void> | undefined;
  private again = false;
  /** The last run's batch was full: the next runs at once (the least interval is for small batches). */
  private full = false;
  private timer: NodeJS.Timeout | undefined;
  private renewer: NodeJS.Timeout | undefined;
  private lastRunAt = 0;
  private lastWorkAt = 0;
  private stopped = false;
  private shardCount: number | undefined;
  /** The shards this processor holds, with their fences. */
  private readonly held = new Map<number, number>();
  /** The shards whose leftovers this holder removed, under which fence and when (see removeUncommitted). */
  private readonly tidied = new Map<number, { fence: number; at: number }>();

  constructor(private readonly options: CurationOptions) {}

  /** Cleans whatever waits (readings stored before a crash); the run removes what a crashed one left first. */
  start(): void {
    this.poke();
  }

  /** There is new work: run soon (runs never overlap; a poke during a run runs once more after it). */
  poke(): void {
    if (this.stopped) return;
    this.lastWorkAt = Date.now();
    if (this.running) {
      this.again = true;
      return;
    }
    const wait = this.full ? 0 : Math.max(0, this.lastRunAt + this.options.minIntervalMs - Date.now());
    this.schedule(wait);
  }

  /** The shards this processor holds now. */
  shards(): number[] {
    return [...this.held.keys()].sort((a, b) => a - b);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    // Woken by a reading's request, the run is not part of that request's trace; only its batches are traced.
    this.timer = inBackground(() =>
      setTimeout(() => {
        this.timer = undefined;
        this.running = this.runLive().finally(() => {
          this.running = undefined;
          if (this.again) {
            this.again = false;
            this.poke();
          }
        });
      }, delayMs),
    );
  }

  /** How often a holder renews its leases and looks at its shards: a third of the lease. */
  private get tickMs(): number {
    return Math.max(50, Math.floor(this.options.leaseMs / 3));
  }

  private async runLive(): Promise<void> {
    this.lastRunAt = Date.now();
    this.full = false;
    const { holder, logger } = this.options;
    try {
      await this.balance(await this.shardCountOf());
      const leases = [...this.held].map(([shard, fence]) => ({ shard, fence, holder }));
      await this.tidy(leases);
      const { decided, more, wakeAt } = this.stopped ? { decided: 0, more: false, wakeAt: undefined } : await this.runOnce(new Date(), leases);
      if (decided > 0) this.lastWorkAt = Date.now();
      if (more) {
        // A full batch: its files are as large as files get, so the next batch need not wait.
        this.full = true;
        this.again = true;
        return;
      }
      const idleMs = this.options.idleMs ?? 3 * this.options.leaseMs;
      if (Date.now() - this.lastWorkAt > idleMs && !wakeAt) {
        // Nothing to clean for a while: let the shards go and sleep until readings are stored here
        // again. Another processor that stores readings takes them.
        await this.sleep();
        return;
      }
      // Awake: readings stored by other processors in this one's shards are found at the next look.
      const next = Math.min(this.tickMs, wakeAt ? Math.max(0, wakeAt.getTime() - Date.now()) : Infinity);
      this.schedule(next);
    } catch (error) {
      // The readings stay waiting in the database; the next look (or the restart) cleans them. A
      // batch that failed may have left its files or its rejects: the next run looks for leftovers.
      this.tidied.clear();
      if (error instanceof FencedOffError) {
        for (const { shard, fence } of error.leases) {
          this.options.metrics.fencedCommit(shard);
          if (this.held.get(shard) === fence) this.held.delete(shard);
          logger.warn({ shard, fence, holder }, 'cleaning batch fenced off: another processor took one of its shards over; nothing of it committed');
        }
      } else logger.error({ err: error }, 'cleaning batch failed; the readings wait for the next run');
      this.schedule(this.tickMs);
    }
  }

  /**
   * Takes this processor's fair share of the shards (the count over the processors awake), gives
   * up what is over it for the processors that came after, and takes over shards whose lease ran out.
   */
  private async balance(count: number): Promise<void> {
    const { store, holder, leaseMs, metrics, logger } = this.options;
    const awake = await store.cleanerHeartbeat(holder, leaseMs);
    const fair = Math.ceil(count / Math.max(1, awake));
    if (this.held.size > fair) {
      const extra = this.shards().slice(fair);
      await store.releaseShards(holder, extra);
      for (const shard of extra) this.held.delete(shard);
      logger.info({ shards: extra, awake }, 'cleaning shards given up for another processor');
    }
    const claimed = await store.claimShards(holder, leaseMs, fair - this.held.size);
    for (const lease of claimed) {
      this.held.set(lease.shard, lease.fence);
      if (lease.previous && lease.previous !== holder) {
        metrics.shardHandover(lease.shard, lease.released ? 'released' : 'expired');
        if (!lease.released) {
          metrics.leaseTakeover(lease.shard);
          logger.warn({ shard: lease.shard, fence: lease.fence, previous: lease.previous }, 'took over a cleaning shard whose holder stopped renewing its lease');
        }
      }
    }
    if (claimed.length > 0) logger.debug({ shards: claimed.map((lease) => lease.shard), held: this.shards() }, 'cleaning shards taken');
    this.keepRenewing();
  }

  /** While this processor holds shards, their leases are renewed every tick, runs or no runs. */
  private keepRenewing(): void {
    if (this.renewer || this.held.size === 0) return;
    this.renewer = setInterval(() => {
      void this.renew();
    }, this.tickMs);
    this.renewer.unref();
  }

  private async renew(): Promise<void> {
    const { store, holder, leaseMs, logger } = this.options;
    const held = [...this.held].map(([shard, fence]) => ({ shard, fence }));
    try {
      await store.cleanerHeartbeat(holder, leaseMs);
      const kept = new Set(await store.renewShards(holder, leaseMs, held));
      for (const { shard, fence } of held) {
        if (kept.has(shard) || this.held.get(shard) !== fence) continue;
        this.held.delete(shard);
        logger.warn({ shard, fence }, 'lost the lease of a cleaning shard (renewed too late); its batch in flight will not commit');
      }
    } catch (error) {
      logger.warn({ err: error }, 'could not renew the cleaning leases; trying again');
    }
    if (this.held.size === 0) this.stopRenewing();
  }

  private stopRenewing(): void {
    if (this.renewer) clearInterval(this.renewer);
    this.renewer = undefined;
  }

  private async sleep(): Promise<void> {
    const shards = this.shards();
    this.held.clear();
    this.stopRenewing();
    await this.options.store.releaseShards(this.options.holder, shards);
    await this.options.store.cleanerAsleep(this.options.holder);
  }

  /**
   * Removes the leftovers of the shards just taken, of every shard after a run failed, and of each
   * again every LEFTOVERS_AGAIN_MS: not before every run, where it was two of a shard's dozen steps.
   */
  private async tidy(leases: readonly ShardLease[]): Promise<void> {
    const due = leases.filter((lease) => {
      const last = this.tidied.get(lease.shard);
      return last?.fence !== lease.fence || Date.now() - last.at >= LEFTOVERS_AGAIN_MS;
    });
    if (due.length === 0) return;
    await this.removeUncommitted(due);
    for (const lease of due) this.tidied.set(lease.shard, { fence: lease.fence, at: Date.now() });
  }

  /**
   * Before a shard's first batch under this lease: writes the rejects a crash after a commit left in
   * the outbox, and removes the files of the shards' batches that never committed (left by a run
   * that died, or by a holder fenced off). This holder's own runs never overlap, so none is in flight.
   */
  async removeUncommitted(leases: readonly ShardLease[]): Promise<void> {
    const { store, sink, rejects, logger } = this.options;
    const shards = leases.map((lease) => lease.shard);
    const outbox = await store.rejectsOutbox(shards);
    if (outbox.length > 0) {
      await rejects.write(outbox.flatMap((batch) => batch.lines));
      await store.clearRejectsOutbox(outbox.map((batch) => batch.batchId));
    }
    for (const { batchId, shards: of, partitions } of await store.uncommittedIntents(shards)) {
      const removed = await sink.removeBatch(batchId, partitions);
      await store.abandonCurationIntent(batchId);
      if (removed.length > 0) logger.warn({ batchId, shards: of, files: removed }, 'removed curated files of a batch that never committed');
    }
  }

  /**
   * One cleaning batch over shards this processor holds, with `now` as the reorder window's clock.
   * Answers how many readings it decided, whether more wait than one batch takes, and when the
   * earliest held reading's window closes. Throws FencedOffError if a lease passed on meanwhile.
   */
  async runOnce(now: Date, leases: readonly HolderLease[]): Promise<{ decided: number; more: boolean; wakeAt?: Date }> {
    const { store, sink, settings, batchLimit } = this.options;
    if (leases.length === 0) return { decided: 0, more: false };
    const shards = leases.map((lease) => lease.shard);
    const waiting = await store.waitingReadings({ shards, of: await this.shardCountOf() }, batchLimit);
    if (waiting.length === 0) return { decided: 0, more: false };
    return inRootSpan('telematics.curate_batch', { 'ecowheels.telematics.waiting': waiting.length, 'ecowheels.telematics.shards': shards }, async (span) => {
      const states = await store.trackStates([...new Set(waiting.map((pending) => pending.reading.bikeId))]);
      const cleaned = cleanWaiting(waiting, states, now, settings);
      span.setAttributes({ 'ecowheels.telematics.decided': cleaned.decided.length, 'ecowheels.telematics.points': cleaned.points.length });
      if (cleaned.decided.length === 0) return { decided: 0, more: false, wakeAt: cleaned.wakeAt };

      const batchId = await store.recordCurationIntent(leases, sink.partitionsOf(cleaned.points));
      span.setAttribute('ecowheels.telematics.batch', batchId);
      await sink.writeBatch(batchId, cleaned.points);
      const rejects = cleaned.dropped.map(({ receivedAt, rejection }) => ({ zone: 'rejects' as const, at: receivedAt, line: JSON.stringify({ ...rejection, curationBatch: batchId }) }));
      await this.options.beforeCommit?.({ batchId, shards });
      await store.commitCuration({ batchId, leases, decided: cleaned.decided, states: cleaned.changed, points: cleaned.points, lastSeen: cleaned.lastSeen, rejects });
      // Committed: the rejects go to rejects/ (a crash before this leaves them in the outbox).
      if (rejects.length > 0) {
        await this.options.rejects.write(rejects);
        await store.clearRejectsOutbox([batchId]);
      }
      this.options.metrics.curated(cleaned.points, new Date());
      for (const { rejection } of cleaned.dropped) this.options.metrics.dropped(rejection.rule);
      this.options.onCurated?.({ points: cleaned.points, states: cleaned.changed });
      return { decided: cleaned.decided.length, more: waiting.length >= batchLimit, wakeAt: cleaned.wakeAt };
    });
  }

  /** Throws, naming them, while other processors hold cleaning leases; `then` is what to do after stopping them. */
  async refuseWhileCleaning(then: string): Promise<void> {
    const held = (await this.options.store.heldShards()).filter((lease) => lease.holder !== this.options.holder);
    if (held.length > 0) {
      throw new Error(`a telematics processor is cleaning (${held.map((lease) => `shard ${lease.shard}: ${lease.holder}`).join('; ')}); stop every processor, then ${then}`);
    }
  }

  /** The shard count (the database's), read once; the counters an alert watches start at zero then. */
  private async shardCountOf(): Promise<number> {
    if (this.shardCount === undefined) {
      this.shardCount = await this.options.store.cleanerShards(this.options.shards);
      this.options.metrics.shardsKnown?.(this.shardCount);
    }
    return this.shardCount;
  }

  /**
   * Cleans everything that waits, holding every shard (the replay, with the service stopped);
   * refuses while a processor holds a lease. `now` is the reorder windows' clock.
   */
  async cleanEverything(now: Date): Promise<number> {
    const { store, holder, leaseMs } = this.options;
    const count = await this.shardCountOf();
    const claimed = await store.claimShards(holder, leaseMs, count);
    try {
      if (claimed.length < count) {
        await this.refuseWhileCleaning('clean');
        throw new Error('a telematics processor took a cleaning lease just now; stop every processor, then clean');
      }
      const leases = claimed.map((lease) => ({ ...lease, holder }));
      await this.removeUncommitted(leases);
      let total = 0;
      for (;;) {
        await store.renewShards(holder, leaseMs, claimed);
        const { decided, more } = await this.runOnce(now, leases);
        total += decided;
        if (!more || decided === 0) return total;
      }
    } finally {
      await store.releaseShards(holder, claimed.map((lease) => lease.shard));
    }
  }

  /** Waits for a run in progress, takes no new work, and lets its shards go. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await inBackground(() => this.sleep()).catch(() => undefined); // the leases run out anyway
  }
}

/** What a batch makes of the waiting readings. */
interface Cleaned {
  decided: CurationCommit['decided'];
  points: CleanPoint[];
  /** The states of the bikes whose track moved on. */
  changed: TrackState[];
  lastSeen: CurationCommit['lastSeen'];
  dropped: { receivedAt: Date; rejection: Rejection }[];
  wakeAt?: Date;
}

/** Applies the track rules to the waiting readings, bike by bike, against the bikes' states. */
function cleanWaiting(waiting: readonly PendingReading[], states: ReadonlyMap<string, TrackState>, now: Date, settings: CleaningSettings): Cleaned {
  const byBike = new Map<string, PendingReading[]>();
  for (const pending of waiting) {
    const list = byBike.get(pending.reading.bikeId);
    if (list) list.push(pending);
    else byBike.set(pending.reading.bikeId, [pending]);
  }
  const result: Cleaned = { decided: [], points: [], changed: [], lastSeen: [], dropped: [] };
  for (const [bikeId, pending] of byBike) {
    // A bike's readings in the order it recorded them (the batch took them by arrival).
    pending.sort((a, b) => a.reading.sequence - b.reading.sequence);
    const cleaned = cleanBikeTrack(states.get(bikeId), pending, now, settings);
    result.decided.push(...cleaned.decided.map((reading) => ({ bikeId, sequence: reading.sequence })));
    result.points.push(...cleaned.points);
    const arrivedAt = new Map(pending.map((p) => [p.reading.sequence, p.receivedAt]));
    result.dropped.push(...cleaned.dropped.map(({ reading, rejection }) => ({ receivedAt: arrivedAt.get(reading.sequence) ?? now, rejection: { ...rejection, reading } })));
    if (cleaned.state && cleaned.state !== states.get(bikeId)) result.changed.push(cleaned.state);
    if (cleaned.decided.length > 0) {
      const latest = cleaned.decided.reduce((max, reading) => Math.max(max, reading.recordedAt.getTime()), 0);
      result.lastSeen.push({ bikeId, at: new Date(latest) });
    }
    if (cleaned.wakeAt && (!result.wakeAt || cleaned.wakeAt < result.wakeAt)) result.wakeAt = cleaned.wakeAt;
  }
  return result;
}
