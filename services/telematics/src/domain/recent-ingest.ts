// What the operations dashboard shows of ingestion right now: inputs per second over the last
// minute, and refusals by rule over the last hour (the pipeline's and the track rules'). Counted in
// this process as the pipeline and the cleaner report them, in one-second and one-minute buckets,
// so asking costs nothing. With several processors each counts its own share; production reads the
// same counters, summed, from Prometheus (telematics_readings_received_total and so on).
import type { CurationMetrics } from './curation';
import type { IngestMetrics } from './ingest-pipeline';

const SECONDS = 60;
const MINUTES = 60;

export class RecentIngest {
  /** Inputs received per second, a ring of the last minute, keyed by the second. */
  private readonly perSecond = new Map<number, number>();
  /** Refusals per minute and rule, a ring of the last hour. */
  private readonly refusals = new Map<number, Map<string, number>>();

  constructor(private readonly now: () => number = Date.now) {}

  received(count: number): void {
    const second = Math.floor(this.now() / 1000);
    this.perSecond.set(second, (this.perSecond.get(second) ?? 0) + count);
    for (const key of this.perSecond.keys()) if (key <= second - SECONDS) this.perSecond.delete(key);
  }

  refused(rule: string, count: number): void {
    const minute = Math.floor(this.now() / 60_000);
    const rules = this.refusals.get(minute) ?? new Map<string, number>();
    rules.set(rule, (rules.get(rule) ?? 0) + count);
    this.refusals.set(minute, rules);
    for (const key of this.refusals.keys()) if (key <= minute - MINUTES) this.refusals.delete(key);
  }

  /** Inputs per second, averaged over the last full minute. */
  readingsPerSecond(): number {
    const second = Math.floor(this.now() / 1000);
    let total = 0;
    for (const [key, count] of this.perSecond) if (key > second - SECONDS && key < second) total += count;
    return total / (SECONDS - 1);
  }

  /** Refusals by rule over the last hour, most frequent first. */
  refusalsLastHour(): { rule: string; count: number }[] {
    const minute = Math.floor(this.now() / 60_000);
    const totals = new Map<string, number>();
    for (const [key, rules] of this.refusals) {
      if (key <= minute - MINUTES) continue;
      for (const [rule, count] of rules) totals.set(rule, (totals.get(rule) ?? 0) + count);
    }
    return [...totals.entries()].map(([rule, count]) => ({ rule, count })).sort((a, b) => b.count - a.count || a.rule.localeCompare(b.rule));
  }

  /** The pipeline's metrics, also counted here. */
  ingestMetrics(inner: IngestMetrics): IngestMetrics {
    return {
      ...inner,
      received: (door, count) => {
        inner.received(door, count);
        this.received(count);
      },
      rejected: (door, rule, count) => {
        inner.rejected(door, rule, count);
        this.refused(rule, count);
      },
    };
  }

  /** The cleaner's metrics, also counted here. */
  curationMetrics(inner: CurationMetrics): CurationMetrics {
    return {
      ...inner,
      dropped: (rule) => {
        inner.dropped(rule);
        this.refused(rule, 1);
      },
    };
  }
}
