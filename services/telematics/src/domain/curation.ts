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
// - a batch takes its id from a sequence together with its intent (the partitions it is about to
//   write), and only while the fence is still its holder's;
// - the commit checks the fence in its own transaction: a holder that stalled past its lease and was
//   taken over commits nothing, and no reading is decided by two committed batches;
// - files of a batch that never committed (a crash, a holder fenced off) are never read (readers
//   leave out every batch with an intent), and the shard's next holder removes them.
import type { Logger } from '../../../platform/src/logger';
import { inBackground, inRootSpan } from '../../../platform/src/telemetry/tracing';
import type { Rejection } from './reading';
import type { ZoneLine, ZoneWriter } from './lake';
import { cleanBikeTrack, type CleaningSettings, type CleanPoint, type PendingReading, type TrackState } from './track-cleaning';

/** One shard among `of`. */
export interface ShardOf {
  shard: number;
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

/** A commit refused because the shard's lease passed to another holder since the batch began. */
export class FencedOffError extends Error {
  constructor(
    readonly shard: number,
    readonly fence: number,
  ) {
    super(`the lease of cleaning shard ${shard} passed to another processor (fence ${fence} is no longer current); the batch is not committed`);
    this.name = 'FencedOffError';
  }
}

/** What one cleaning batch changes, committed at once. */
export interface CurationCommit {
  batchId: number;
  lease: HolderLease;
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
  waitingReadings(shard: ShardOf, limit: number): Promise<PendingReading[]>;
  trackStates(bikeIds: readonly string[]): Promise<Map<string, TrackState>>;
  recordCurationIntent(lease: HolderLease, partitions: readonly string[]): Promise<number | undefined>;
  uncommittedIntents(shard: number): Promise<{ batchId: number; partitions: string[] }[]>;
  abandonCurationIntent(batchId: number): Promise<void>;
  rejectsOutbox(shard: number): Promise<{ batchId: number; lines: ZoneLine[] }[]>;
  clearRejectsOutbox(batchId: number): Promise<void>;
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
  /** The least time between two runs, so a busy stream makes a few larger files, not many tiny ones (ms). */
  minIntervalMs: number;
  /** Readings per run at most. */
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
  beforeCommit?: (batch: { batchId: number; shard: number }) => Promise<void>;
}

export class Curation {
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private renewer: NodeJS.Timeout | undefined;
  private lastRunAt = 0;
  private lastWorkAt = 0;
  private stopped = false;
  private shardCount: number | undefined;
  /** The shards this processor holds, with their fences. */
  private readonly held = new Map<number, number>();

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
    const wait = Math.max(0, this.lastRunAt + this.options.minIntervalMs - Date.now());
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
    const { holder, logger } = this.options;
    try {
      await this.balance(await this.shardCountOf());
      let more = false;
      let wakeAt: Date | undefined;
      for (const [shard, fence] of [...this.held]) {
        if (this.stopped) break;
        const lease = { shard, fence, holder };
        await this.removeUncommitted(lease);
        const result = await this.runOnce(new Date(), lease);
        if (result.decided > 0) this.lastWorkAt = Date.now();
        more ||= result.more;
        if (result.wakeAt && (!wakeAt || result.wakeAt < wakeAt)) wakeAt = result.wakeAt;
      }
      if (more) {
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
      // The readings stay waiting in the database; the next look (or the restart) cleans them.
      if (error instanceof FencedOffError) {
        this.options.metrics.fencedCommit(error.shard);
        this.held.delete(error.shard);
        logger.warn({ shard: error.shard, fence: error.fence, holder }, 'cleaning batch fenced off: another processor took the shard over; nothing of it committed');
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
   * Before a shard's first batch under this lease: writes the rejects a crash after a commit left in
   * the outbox, and removes the files of the shard's batches that never committed (left by a run that
   * died, or by a holder fenced off). This holder's own runs never overlap, so none is in flight.
   */
  async removeUncommitted(lease: ShardLease): Promise<void> {
    const { store, sink, rejects, logger } = this.options;
    for (const { batchId, lines } of await store.rejectsOutbox(lease.shard)) {
      await rejects.write(lines);
      await store.clearRejectsOutbox(batchId);
    }
    for (const { batchId, partitions } of await store.uncommittedIntents(lease.shard)) {
      const removed = await sink.removeBatch(batchId, partitions);
      await store.abandonCurationIntent(batchId);
      if (removed.length > 0) logger.warn({ batchId, shard: lease.shard, files: removed }, 'removed curated files of a batch that never committed');
    }
  }

  /**
   * One cleaning batch of a shard this processor holds, with `now` as the reorder window's clock.
   * Answers how many readings it decided, whether more wait than one batch takes, and when the
   * earliest held reading's window closes. Throws FencedOffError if the lease passed on meanwhile.
   */
  async runOnce(now: Date, lease: HolderLease): Promise<{ decided: number; more: boolean; wakeAt?: Date }> {
    const { store, settings, batchLimit } = this.options;
    const waiting = await store.waitingReadings({ shard: lease.shard, of: await this.shardCountOf() }, batchLimit);
    if (waiting.length === 0) return { decided: 0, more: false };
    return inRootSpan('telematics.curate_batch', { 'ecowheels.telematics.waiting': waiting.length, 'ecowheels.telematics.shard': lease.shard }, async (span) => {
      const byBike = new Map<string, PendingReading[]>();
      for (const pending of waiting) {
        const list = byBike.get(pending.reading.bikeId);
        if (list) list.push(pending);
        else byBike.set(pending.reading.bikeId, [pending]);
      }
      const states = await store.trackStates([...byBike.keys()]);

      const decided: CurationCommit['decided'] = [];
      const points: CleanPoint[] = [];
      const changed: TrackState[] = [];
      const lastSeen: CurationCommit['lastSeen'] = [];
      const dropped: { receivedAt: Date; rejection: Rejection }[] = [];
      let wakeAt: Date | undefined;
      for (const [bikeId, pending] of byBike) {
        // A bike's readings in the order it recorded them (the batch took them by arrival).
        pending.sort((a, b) => a.reading.sequence - b.reading.sequence);
        const cleaned = cleanBikeTrack(states.get(bikeId), pending, now, settings);
        decided.push(...cleaned.decided.map((reading) => ({ bikeId, sequence: reading.sequence })));
        points.push(...cleaned.points);
        const arrivedAt = new Map(pending.map((p) => [p.reading.sequence, p.receivedAt]));
        dropped.push(...cleaned.dropped.map(({ reading, rejection }) => ({ receivedAt: arrivedAt.get(reading.sequence) ?? now, rejection: { ...rejection, reading } })));
        if (cleaned.state && cleaned.state !== states.get(bikeId)) changed.push(cleaned.state);
        if (cleaned.decided.length > 0) {
          const latest = cleaned.decided.reduce((max, reading) => Math.max(max, reading.recordedAt.getTime()), 0);
          lastSeen.push({ bikeId, at: new Date(latest) });
        }
        if (cleaned.wakeAt && (!wakeAt || cleaned.wakeAt < wakeAt)) wakeAt = cleaned.wakeAt;
      }
      span.setAttributes({ 'ecowheels.telematics.decided': decided.length, 'ecowheels.telematics.points': points.length });
      if (decided.length === 0) return { decided: 0, more: false, wakeAt };

      const batchId = await store.recordCurationIntent(lease, this.options.sink.partitionsOf(points));
      if (batchId === undefined) throw new FencedOffError(lease.shard, lease.fence);
      span.setAttribute('ecowheels.telematics.batch', batchId);
      await this.options.sink.writeBatch(batchId, points);
      const rejects = dropped.map(({ receivedAt, rejection }) => ({ zone: 'rejects' as const, at: receivedAt, line: JSON.stringify({ ...rejection, curationBatch: batchId }) }));
      await this.options.beforeCommit?.({ batchId, shard: lease.shard });
      await store.commitCuration({ batchId, lease, decided, states: changed, points, lastSeen, rejects });
      // Committed: the rejects go to rejects/ (a crash before this leaves them in the outbox).
      if (rejects.length > 0) {
        await this.options.rejects.write(rejects);
        await store.clearRejectsOutbox(batchId);
      }
      this.options.metrics.curated(points, new Date());
      for (const { rejection } of dropped) this.options.metrics.dropped(rejection.rule);
      this.options.onCurated?.({ points, states: changed });
      return { decided: decided.length, more: waiting.length >= batchLimit, wakeAt };
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
      let total = 0;
      for (const lease of claimed) {
        const holderLease = { ...lease, holder };
        await this.removeUncommitted(holderLease);
        for (;;) {
          await store.renewShards(holder, leaseMs, claimed);
          const { decided, more } = await this.runOnce(now, holderLease);
          total += decided;
          if (!more || decided === 0) break;
        }
      }
      return total;
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
