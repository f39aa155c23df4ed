// The production data path (TELEMATICS_BUS=nats://...): bikes publish over MQTT to NATS's own MQTT
// listener, whose QoS 1 messages JetStream keeps in the TELEMATICS stream beside what the edge's
// HTTPS and gRPC doors publish (telematics-bus.ts has the contract). This processor reads
// the stream through one durable pull consumer shared by every replica (each message goes to one
// of them), a batch at a time, and acknowledges each message only once the pipeline has made it
// durable: in the raw zone, and stored once per (bike, sequence). That is at-least-once delivery,
// made exactly-once in effect by the dedupe: a processor killed mid-batch leaves its messages
// unacknowledged, JetStream delivers them again after ACK_WAIT, and the ones already stored come
// back as duplicates. While no processor runs, messages wait in the stream: nothing has to be up.
//
// Who sent a message is the bike its subject names, or the operator. NATS proves it: in production
// every device has its own NATS user whose publish permission is its own subject only (README).
import { nanos, type NatsConnection } from '@nats-io/nats-core';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from '@nats-io/jetstream';
import type { Logger } from '../../../platform/src/logger';
import type { IngestPipeline } from '../domain/ingest-pipeline';
import { arrivalOfMessage, closeBus, connectBus, DURABLE, ensureStream, STREAM } from './telematics-bus';

export interface JetStreamProcessorOptions {
  url: string;
  /** This processor's NATS user (.creds): it may consume the stream and publish nothing as a bike. */
  credsFile?: string;
  /** Copies of the stream (3 in a production cluster; 1 for a single server). */
  replicas: number;
  /** Messages per fetch: one pipeline submit, one group commit. */
  batchSize: number;
  /** How long JetStream waits for an acknowledgement before it delivers a message again. */
  ackWaitMs: number;
  pipeline: IngestPipeline;
  logger: Logger;
  /** Told the consumer's backlog (pending and unacknowledged messages) now and then. */
  onPending?: (messages: number) => void;
}

/** How often the processor reads its consumer's backlog for the gauge (one small request). */
const PENDING_EVERY_MS = 5000;

/** Creates the durable consumer when it is missing; leaves it as it is otherwise. */
async function ensureConsumer(nc: NatsConnection, options: Pick<JetStreamProcessorOptions, 'ackWaitMs' | 'batchSize'>): Promise<void> {
  const jsm = await jetstreamManager(nc);
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

export async function startJetStreamProcessor(options: JetStreamProcessorOptions): Promise<{ stop(): Promise<void> }> {
  const { pipeline, logger } = options;
  const nc = await connectBus(options.url, 'telematics-processor', options.credsFile);
  await ensureStream(nc, options.replicas);
  await ensureConsumer(nc, options);
  const consumer = await jetstream(nc).consumers.get(STREAM, DURABLE);
  let stopping = false;

  /** One batch: every message submitted together, then each acknowledged, or none of them. */
  const processBatch = async (messages: JsMsg[]) => {
    try {
      await pipeline.submit(messages.map(arrivalOfMessage));
    } catch (error) {
      // Nothing of the batch is durable: no acknowledgement, so JetStream delivers it again.
      logger.error({ err: error, messages: messages.length }, 'batch not stored; JetStream will deliver it again');
      for (const message of messages) message.nak(1000);
      return;
    }
    for (const message of messages) message.ack();
  };

  let pendingReadAt = 0;
  const readPending = async () => {
    if (!options.onPending || Date.now() - pendingReadAt < PENDING_EVERY_MS) return;
    pendingReadAt = Date.now();
    const info = await consumer.info();
    options.onPending(info.num_pending + info.num_ack_pending);
  };

  const loop = (async () => {
    while (!stopping) {
      try {
        await readPending();
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
    stop: async () => {
      stopping = true;
      await loop; // the batch in hand is finished and acknowledged first
      await closeBus(nc); // with the acknowledgements still buffered
    },
  };
}
