// The edge of the production stream: what the HTTPS door, the gRPC stream and the landing folder
// take in is published to JetStream, one message per input, and the door answers once JetStream
// has acknowledged every one of them (stored, and replicated when the stream has copies). Nothing
// here keeps state: any replica may take any batch, and the processors do the storing.
//
// The door still answers with the rules' verdicts: the edge runs the same per-reading and device
// rules the processor will run, so a device hears at once that a reading is refused and why. Every
// input is published all the same, refused ones too, so the processor keeps each in the raw zone
// and rejects/ with its reason; the edge itself writes nothing.
import type { NatsConnection } from '@nats-io/nats-core';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { IngestPipeline } from '../domain/ingest-pipeline';
import type { Arrival, IntakeVerdict, ReadingIntake } from '../domain/reading';
import { messageOf, subjectOf } from './telematics-bus';

/** How long a publish waits for JetStream's acknowledgement before the batch is failed (the device retries). */
const PUBLISH_TIMEOUT_MS = 5000;

export class StreamIntake implements ReadingIntake {
  private readonly js: JetStreamClient;

  constructor(
    nc: NatsConnection,
    private readonly rules: Pick<IngestPipeline, 'judge'>,
  ) {
    this.js = jetstream(nc, { timeout: PUBLISH_TIMEOUT_MS });
  }

  async submit(arrivals: readonly Arrival[]): Promise<IntakeVerdict[]> {
    if (arrivals.length === 0) return [];
    const judged = await this.rules.judge(arrivals);
    // All published at once; the batch is acknowledged only if every publish is. A retry of a
    // batch that failed half-way publishes the rest again, and the processor counts those once.
    await Promise.all(
      arrivals.map((arrival) => {
        const { data, headers } = messageOf(arrival);
        return this.js.publish(subjectOf(arrival), data, { headers });
      }),
    );
    return judged.map((entry) => (entry.rejection ? { kind: 'rejected', rejection: entry.rejection } : { kind: 'queued', reading: entry.reading }));
  }
}
