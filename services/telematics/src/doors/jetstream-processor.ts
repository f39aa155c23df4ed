// The production data path (TELEMATICS_BUS=nats://...): bikes publish over MQTT to NATS's own MQTT
// listener, whose QoS 1 messages JetStream keeps in the TELEMATICS stream. This processor reads
// the stream through one durable pull consumer shared by every replica (each message goes to one
// of them), a batch at a time, and acknowledges each message only once the pipeline has made it
// durable: in the raw zone, and stored once per (bike, sequence). That is at-least-once delivery,
// made exactly-once in effect by the dedupe: a processor killed mid-batch leaves its messages
// unacknowledged, JetStream delivers them again after ACK_WAIT, and the ones already stored come
// back as duplicates. While no processor runs, messages wait in the stream: nothing has to be up.
//
// Who sent a message is the bike its subject names. NATS proves it: in production every device
// has its own NATS user whose publish permission is its own subject only (see the README).
import { AckPolicy, connect, DeliverPolicy, nanos, RetentionPolicy, StorageType, type JsMsg, type NatsConnection } from 'nats';
import type { Logger } from '../../../platform/src/logger';
import { waitAtMost } from '../../../platform/src/wait-at-most';
import type { IngestPipeline } from '../domain/ingest-pipeline';
import { arrivalOf, bikeOfTopic } from './mqtt-topics';

export const STREAM = 'TELEMATICS';
/** NATS's MQTT listener maps the topic ecowheels/v1/bikes/<id>/readings to this subject. */
export const READINGS_SUBJECTS = 'ecowheels.v1.bikes.*.readings';
export const DURABLE = 'telematics-processor';

export interface JetStreamProcessorOptions {
  url: string;
  /** Copies of the stream (3 in a production cluster; 1 for a single server). */
  replicas: number;
  /** Messages per fetch: one pipeline submit, one group commit. */
  batchSize: number;
  /** How long JetStream waits for an acknowledgement before it delivers a message again. */
  ackWaitMs: number;
  pipeline: IngestPipeline;
  logger: Logger;
}

/** The bike a subject names: ecowheels.v1.bikes.<id>.readings. */
const bikeOfSubject = (subject: string) => bikeOfTopic(subject.replaceAll('.', '/'));

/** Creates the stream and the durable consumer when they are missing; leaves them as they are otherwise. */
async function ensureStreamAndConsumer(nc: NatsConnection, options: Pick<JetStreamProcessorOptions, 'replicas' | 'ackWaitMs' | 'batchSize'>): Promise<void> {
  const jsm = await nc.jetstreamManager();
  const existing = await jsm.streams.info(STREAM).catch(() => undefined);
  if (!existing) {
    await jsm.streams.add({
      name: STREAM,
      subjects: [READINGS_SUBJECTS],
      storage: StorageType.File,
      num_replicas: options.replicas,
      // Kept until processed, and a week at most: a unit buffers no longer than that either.
      retention: RetentionPolicy.Workqueue,
      max_age: nanos(7 * 24 * 3_600_000),
    });
  }
  const consumer = await jsm.consumers.info(STREAM, DURABLE).catch(() => undefined);
  if (!consumer) {
    await jsm.consumers.add(STREAM, {
      durable_name: DURABLE,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(options.ackWaitMs),
      // Enough in flight for every replica's batch, so a scale-out actually shares the load.
      max_ack_pending: options.batchSize * 16,
    });
  }
}

export async function startJetStreamProcessor(options: JetStreamProcessorOptions): Promise<{ url: string; stop(): Promise<void> }> {
  const { pipeline, logger } = options;
  const nc = await connect({ servers: options.url, name: 'telematics-processor', maxReconnectAttempts: -1 });
  await ensureStreamAndConsumer(nc, options);
  const consumer = await nc.jetstream().consumers.get(STREAM, DURABLE);
  let stopping = false;

  /** One batch: every message submitted together, then each acknowledged, or none of them. */
  const processBatch = async (messages: JsMsg[]) => {
    const arrivals = messages.map((message) => {
      const bikeId = bikeOfSubject(message.subject) ?? '';
      // The time JetStream stored it is when it arrived, also for a message delivered again later.
      return arrivalOf(Buffer.from(message.data), bikeId, new Date(Math.floor(message.info.timestampNanos / 1e6)));
    });
    try {
      await pipeline.submit(arrivals);
    } catch (error) {
      // Nothing of the batch is durable: no acknowledgement, so JetStream delivers it again.
      logger.error({ err: error, messages: messages.length }, 'batch not stored; JetStream will deliver it again');
      for (const message of messages) message.nak(1000);
      return;
    }
    for (const message of messages) message.ack();
  };

  const loop = (async () => {
    while (!stopping) {
      try {
        const fetched = await consumer.fetch({ max_messages: options.batchSize, expires: 1000 });
        const batch: JsMsg[] = [];
        for await (const message of fetched) batch.push(message);
        if (batch.length > 0) await processBatch(batch);
      } catch (error) {
        if (stopping) break;
        logger.warn({ err: error }, 'fetching from JetStream failed; trying again');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  })();

  return {
    url: options.url,
    stop: async () => {
      stopping = true;
      await loop; // the batch in hand is finished and acknowledged first
      // Drain sends the acknowledgements still buffered; a server that is gone cannot hold the stop.
      await waitAtMost(nc.drain(), 1000);
      if (!nc.isClosed()) await nc.close();
    },
  };
}
