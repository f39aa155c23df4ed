// The one ingest pipeline behind every door (MQTT, HTTPS, the gRPC stream, dropped files), and the
// one place that decides when a reading may be acknowledged. For each input, in order:
//   1. the per-reading rules (schema and units, ranges, clock) and the device rules (a provisioned
//      bike, sending as itself);
//   2. the raw zone gets every input as it arrived, and rejects/ every refusal with its reason;
//   3. the accepted readings are stored once per (bike, sequence): the rest are duplicates;
//   4. only then does submit() resolve, and only then does a door acknowledge.
// Steps 2 and 3 run as a group commit: inputs that arrive while a flush runs share the next one.
// After a flush the cleaner is told there is work (event-driven: nothing polls while idle).
import { SpanKind, TraceFlags, type Link } from '@opentelemetry/api';
import { inSpan } from '../../../platform/src/telemetry/tracing';
import { GroupCommit } from './group-commit';
import type { AcceptedReading, Arrival, Door, ReadingIntake, Reading, Rejection, Verdict } from './reading';
import { checkReading, type PayloadDecoder, type ReadingLimits } from './reading-rules';
import type { DeviceRegistry } from './device-registry';
import type { ZoneLine, ZoneWriter } from './lake';

/** What the pipeline counts; the adapter turns these into OpenTelemetry metrics. */
export interface IngestMetrics {
  received(door: Door, count: number): void;
  accepted(door: Door, count: number): void;
  duplicate(door: Door, count: number): void;
  rejected(door: Door, rule: string, count: number): void;
  rawBytes(bytes: number): void;
}

export interface ReadingSink {
  /** Stores each reading not stored before; answers the keys ("bike:sequence") that were new. */
  insertReadings(accepted: readonly AcceptedReading[]): Promise<Set<string>>;
}

export interface IngestPipelineOptions {
  devices: DeviceRegistry;
  readings: ReadingSink;
  /** The doors' wire formats: turns each arrival's payload into a candidate for the rules. */
  decode: PayloadDecoder;
  zone: ZoneWriter;
  limits: ReadingLimits;
  metrics: IngestMetrics;
  /** Called after each flush that stored new readings. */
  onStored: () => void;
}

/** Inputs per flush at most, so a backlog is flushed in bounded steps. */
const MAX_GROUP_SIZE = 10_000;

/** An input with its verdict so far: a candidate reading, or a refusal. */
export type Checked = { arrival: Arrival; reading: Reading; rejection?: undefined } | { arrival: Arrival; reading?: undefined; rejection: Rejection };

/** The operator identity: the gRPC stream and dropped files may send for any provisioned bike. */
export const OPERATOR_SENDER = 'operator';

export const readingKey = (reading: Pick<Reading, 'bikeId' | 'sequence'>) => `${reading.bikeId}:${reading.sequence}`;

export class IngestPipeline implements ReadingIntake {
  private readonly commits: GroupCommit<Checked[], Verdict[]>;
  /** Inputs handed in one at a time (submitOne) in this turn of the event loop, not yet submitted. */
  private single: { arrival: Arrival; resolve: (verdict: Verdict) => void; reject: (error: unknown) => void }[] = [];

  constructor(private readonly options: IngestPipelineOptions) {
    // Two flushes at once: one's raw-zone fsync overlaps the other's database insert. A reading
    // that arrives twice in both is still claimed by exactly one insert; the other is a duplicate.
    this.commits = new GroupCommit((groups) => this.flush(groups), MAX_GROUP_SIZE, 2);
  }

  /**
   * Takes in a batch from one door. Resolves with a verdict per input, in order, once every input
   * is in the raw zone, every refusal in rejects/, and every accepted reading stored: the door may
   * acknowledge then, and not before. Rejects if the raw zone or the database failed: nothing of
   * the batch may then be acknowledged, and the sender retries.
   */
  async submit(arrivals: readonly Arrival[]): Promise<Verdict[]> {
    if (arrivals.length === 0) return [];
    return this.commits.add(await this.judge(arrivals), arrivals.length);
  }

  /**
   * Takes in one input, from a door that receives them one by one (an MQTT publish). The inputs
   * handed in during one turn of the event loop go in as one batch, as submit() takes them: judged
   * together and one entry in the group commit, where each alone was one. Resolves with the input's
   * verdict once its batch is durable; a batch that fails fails every input in it.
   */
  submitOne(arrival: Arrival): Promise<Verdict> {
    return new Promise<Verdict>((resolve, reject) => {
      if (this.single.length === 0) setImmediate(() => this.submitSingles());
      this.single.push({ arrival, resolve, reject });
    });
  }

  private submitSingles(): void {
    const batch = this.single;
    this.single = [];
    this.submit(batch.map((entry) => entry.arrival)).then(
      (verdicts) => batch.forEach((entry, index) => entry.resolve(verdicts[index])),
      (error: unknown) => batch.forEach((entry) => entry.reject(error)),
    );
  }

  /**
   * The rules alone, with nothing stored: the per-reading rules, then the device rules. The stream's
   * edge answers devices with these before the processor, which judges again, takes them in.
   */
  async judge(arrivals: readonly Arrival[]): Promise<Checked[]> {
    // The clock rules compare a reading with when it arrived, so a replay judges it as it was judged.
    const checked: Checked[] = arrivals.map((arrival) => {
      const result = checkReading(this.options.decode(arrival), this.options.limits, arrival.receivedAt);
      return 'reading' in result ? { arrival, reading: result.reading } : { arrival, rejection: result.rejection };
    });
    return this.checkDevices(checked);
  }

  /**
   * Keeps an input that a door refused before the rules could see it (a publish to another bike's
   * topic): it still goes to the raw zone and to rejects/, with the door's reason.
   */
  async refuse(arrival: Arrival, rejection: Rejection): Promise<void> {
    await this.commits.add([{ arrival, rejection }], 1);
  }

  /** Resolves once every batch submitted so far has been flushed, the inputs of submitOne waiting for their turn included. */
  async idle(): Promise<void> {
    while (this.single.length > 0) await new Promise((resolve) => setImmediate(resolve));
    return this.commits.idle();
  }

  /** The device rules: a provisioned bike, sending as itself (the operator may send for any). */
  private async checkDevices(checked: Checked[]): Promise<Checked[]> {
    const bikeIds = [...new Set(checked.flatMap((c) => (c.reading ? [c.reading.bikeId] : [])))];
    const provisioned = await this.options.devices.provisioned(bikeIds);
    return checked.map((entry): Checked => {
      const { arrival, reading } = entry;
      if (!reading) return entry;
      const refuse = (rule: Rejection['rule'], reason: string): Checked => ({ arrival, rejection: { rule, reason, bikeId: reading.bikeId, sequence: reading.sequence } });
      if (arrival.sender !== OPERATOR_SENDER && arrival.sender !== reading.bikeId) {
        return refuse('device.mismatch', `bike ${arrival.sender} may send only its own readings, not bike ${reading.bikeId}'s`);
      }
      if (!provisioned.has(reading.bikeId)) return refuse('device.unknown', `bike ${reading.bikeId} has no device credential; provision it first`);
      return entry;
    });
  }

  private flush(groups: Checked[][]): Promise<Verdict[][]> {
    const all = groups.flat();
    const links = traceLinks(all);
    return inSpan(
      'telematics.ingest_batch',
      { 'ecowheels.telematics.inputs': all.length, 'ecowheels.telematics.batches': groups.length },
      async (span) => {
        const lines: ZoneLine[] = [];
        let bytes = 0;
        for (const { arrival, rejection } of all) {
          const raw = JSON.stringify({ ...arrival, receivedAt: arrival.receivedAt.toISOString() });
          bytes += Buffer.byteLength(raw) + 1;
          lines.push({ zone: 'raw', at: arrival.receivedAt, line: raw });
          if (rejection) {
            const line = JSON.stringify({ ...rejection, receivedAt: arrival.receivedAt.toISOString(), door: arrival.door, sender: arrival.sender, encoding: arrival.encoding, payload: arrival.payload });
            lines.push({ zone: 'rejects', at: arrival.receivedAt, line });
          }
        }
        await this.options.zone.write(lines);
        this.options.metrics.rawBytes(bytes);

        const accepted = all.flatMap(({ arrival, reading }) => (reading ? [{ reading, receivedAt: arrival.receivedAt, door: arrival.door }] : []));
        const fresh = await this.options.readings.insertReadings(accepted);
        const verdicts = groups.map((group) => group.map((entry) => this.verdictOf(entry, fresh)));
        const counts = this.count(groups, verdicts);
        span.setAttributes({
          'ecowheels.telematics.accepted': counts.accepted,
          'ecowheels.telematics.duplicates': counts.duplicate,
          'ecowheels.telematics.rejected': counts.rejected,
        });
        if (counts.accepted > 0) this.options.onStored();
        return verdicts;
      },
      SpanKind.INTERNAL,
      links,
    );
  }

  /** `fresh` holds the keys stored by this flush; the first input to claim one is the accepted one. */
  private verdictOf(entry: Checked, fresh: Set<string>): Verdict {
    if (entry.rejection) return { kind: 'rejected', rejection: entry.rejection };
    if (fresh.delete(readingKey(entry.reading))) return { kind: 'accepted', reading: entry.reading };
    return { kind: 'duplicate', reading: entry.reading };
  }

  /** Counts a flush's verdicts once per door and outcome, not once per reading. */
  private count(groups: Checked[][], verdicts: Verdict[][]): { accepted: number; duplicate: number; rejected: number } {
    const { metrics } = this.options;
    const totals = { accepted: 0, duplicate: 0, rejected: 0 };
    const byDoor = new Map<Door, { received: number; accepted: number; duplicate: number; rules: Map<string, number> }>();
    groups.forEach((group, g) =>
      group.forEach((entry, i) => {
        const verdict = verdicts[g][i];
        const door = entry.arrival.door;
        const tally = byDoor.get(door) ?? { received: 0, accepted: 0, duplicate: 0, rules: new Map<string, number>() };
        byDoor.set(door, tally);
        tally.received += 1;
        totals[verdict.kind] += 1;
        if (verdict.kind === 'rejected') tally.rules.set(verdict.rejection.rule, (tally.rules.get(verdict.rejection.rule) ?? 0) + 1);
        else tally[verdict.kind] += 1;
      }),
    );
    for (const [door, tally] of byDoor) {
      metrics.received(door, tally.received);
      if (tally.accepted) metrics.accepted(door, tally.accepted);
      if (tally.duplicate) metrics.duplicate(door, tally.duplicate);
      for (const [rule, n] of tally.rules) metrics.rejected(door, rule, n);
    }
    return totals;
  }
}

/** The devices' own trace contexts, as links from the batch's span (at most 32 of them). */
function traceLinks(entries: Checked[]): Link[] {
  const links: Link[] = [];
  for (const { reading } of entries) {
    const parts = reading?.traceparent?.split('-');
    if (!parts || links.length >= 32) continue;
    links.push({ context: { traceId: parts[1], spanId: parts[2], traceFlags: Number.parseInt(parts[3], 16) & TraceFlags.SAMPLED, isRemote: true } });
  }
  return links;
}
