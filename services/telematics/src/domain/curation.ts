// The cleaner: event-driven, it wakes when the pipeline has stored readings (or when a reorder
// window it is waiting on closes), never on a timer while idle. Each run takes the readings that
// wait, applies the track rules per bike, writes the curated Parquet, keeps what it dropped under
// rejects/, and commits the batch in the database: the readings decided, each bike's state, the
// clean track and the ride totals. Before it writes the Parquet, it records which partitions it
// is about to write (an intent the commit clears). A crash in between leaves files of a batch that
// never committed; the next run of whichever cleaner holds the lease removes exactly those files
// before its own batch, and the readings are cleaned again.
import type { Logger } from '../../../platform/src/logger';
import { inSpan } from '../../../platform/src/telemetry/tracing';
import type { Rejection } from './reading';
import type { ZoneWriter } from './lake';
import { cleanBikeTrack, type CleaningSettings, type CleanPoint, type PendingReading, type TrackState } from './track-cleaning';

/** What one cleaning batch changes, committed at once. */
export interface CurationCommit {
  batchId: number;
  decided: { bikeId: string; sequence: number }[];
  states: TrackState[];
  points: CleanPoint[];
  lastSeen: { bikeId: string; at: Date }[];
}

export interface CurationStore {
  claimCleaner(holder: string, until: Date): Promise<boolean>;
  releaseCleaner(holder: string): Promise<void>;
  waitingReadings(limit: number): Promise<PendingReading[]>;
  trackStates(bikeIds: readonly string[]): Promise<Map<string, TrackState>>;
  lastBatchId(): Promise<number>;
  recordCurationIntent(batchId: number, partitions: readonly string[]): Promise<void>;
  uncommittedIntents(): Promise<{ batchId: number; partitions: string[] }[]>;
  dropCurationIntent(batchId: number): Promise<void>;
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
  /**
   * Who this cleaner is, for the lease that lets one cleaner run at a time among processors that
   * share the database, and how long a lease lasts without renewal (ms).
   */
  holder: string;
  leaseMs: number;
  onCurated?: CuratedListener;
}

export class Curation {
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private lastRunAt = 0;
  private stopped = false;

  constructor(private readonly options: CurationOptions) {}

  /** Cleans whatever waits (readings stored before a crash); the run removes what a crashed one left first. */
  start(): void {
    this.poke();
  }

  /** There is new work: run soon (runs never overlap; a poke during a run runs once more after it). */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const wait = Math.max(0, this.lastRunAt + this.options.minIntervalMs - Date.now());
    this.schedule(wait);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.runLive().finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
    }, delayMs);
  }

  private async runLive(): Promise<void> {
    this.lastRunAt = Date.now();
    try {
      // Another processor cleans now: what this one stored waits in the database, where that one
      // finds it. Try again when its lease could have run out.
      if (!(await this.options.store.claimCleaner(this.options.holder, new Date(Date.now() + this.options.leaseMs)))) {
        this.schedule(this.options.leaseMs);
        return;
      }
      await this.removeUncommitted();
      const { more, wakeAt } = await this.runOnce(new Date());
      if (more) this.again = true;
      else if (wakeAt) this.schedule(Math.max(0, wakeAt.getTime() - Date.now()));
    } catch (error) {
      // The readings stay waiting in the database; the next poke (or the restart) cleans them.
      this.options.logger.error({ err: error }, 'cleaning batch failed; the readings wait for the next run');
    }
  }

  /**
   * Removes the files of batches that never committed. Only the lease's holder writes curated files
   * and its runs never overlap, so an intent still recorded now was left by a run that died (this
   * process's before a restart, or another processor's, with the files in a shared bucket).
   */
  async removeUncommitted(): Promise<void> {
    for (const { batchId, partitions } of await this.options.store.uncommittedIntents()) {
      const removed = await this.options.sink.removeBatch(batchId, partitions);
      await this.options.store.dropCurationIntent(batchId);
      this.options.logger.warn({ batchId, files: removed }, 'removed curated files of a batch that never committed');
    }
  }

  /**
   * One cleaning batch, with `now` as the reorder window's clock. Answers whether more readings
   * wait than one batch takes, and when the earliest held reading's window closes.
   */
  async runOnce(now: Date): Promise<{ decided: number; more: boolean; wakeAt?: Date }> {
    const { store, settings, batchLimit } = this.options;
    const waiting = await store.waitingReadings(batchLimit);
    if (waiting.length === 0) return { decided: 0, more: false };
    return inSpan('telematics.curate_batch', { 'ecowheels.telematics.waiting': waiting.length }, async (span) => {
      const byBike = new Map<string, PendingReading[]>();
      for (const pending of waiting) {
        const list = byBike.get(pending.reading.bikeId);
        if (list) list.push(pending);
        else byBike.set(pending.reading.bikeId, [pending]);
      }
      const states = await store.trackStates([...byBike.keys()]);

      // Read afresh: another holder may have committed batches since this one last ran.
      const commit: CurationCommit = { batchId: (await store.lastBatchId()) + 1, decided: [], states: [], points: [], lastSeen: [] };
      const dropped: { receivedAt: Date; rejection: Rejection }[] = [];
      let wakeAt: Date | undefined;
      for (const [bikeId, pending] of byBike) {
        const cleaned = cleanBikeTrack(states.get(bikeId), pending, now, settings);
        commit.decided.push(...cleaned.decided.map((reading) => ({ bikeId, sequence: reading.sequence })));
        commit.points.push(...cleaned.points);
        const arrivedAt = new Map(pending.map((p) => [p.reading.sequence, p.receivedAt]));
        dropped.push(...cleaned.dropped.map(({ reading, rejection }) => ({ receivedAt: arrivedAt.get(reading.sequence) ?? now, rejection: { ...rejection, reading } })));
        if (cleaned.state && cleaned.state !== states.get(bikeId)) commit.states.push(cleaned.state);
        if (cleaned.decided.length > 0) {
          const latest = cleaned.decided.reduce((max, reading) => Math.max(max, reading.recordedAt.getTime()), 0);
          commit.lastSeen.push({ bikeId, at: new Date(latest) });
        }
        if (cleaned.wakeAt && (!wakeAt || cleaned.wakeAt < wakeAt)) wakeAt = cleaned.wakeAt;
      }
      span.setAttributes({ 'ecowheels.telematics.decided': commit.decided.length, 'ecowheels.telematics.points': commit.points.length });
      if (commit.decided.length === 0) return { decided: 0, more: false, wakeAt };

      await store.recordCurationIntent(commit.batchId, this.options.sink.partitionsOf(commit.points));
      await this.options.sink.writeBatch(commit.batchId, commit.points);
      if (dropped.length > 0) {
        await this.options.rejects.write(
          dropped.map(({ receivedAt, rejection }) => ({ zone: 'rejects' as const, at: receivedAt, line: JSON.stringify({ ...rejection, curationBatch: commit.batchId }) })),
        );
      }
      await store.commitCuration(commit);
      this.options.metrics.curated(commit.points, new Date());
      for (const { rejection } of dropped) this.options.metrics.dropped(rejection.rule);
      this.options.onCurated?.({ points: commit.points, states: commit.states });
      return { decided: commit.decided.length, more: waiting.length >= batchLimit, wakeAt };
    });
  }

  /** Waits for a run in progress and takes no new work. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
    await this.options.store.releaseCleaner(this.options.holder).catch(() => undefined); // it runs out anyway
  }
}
