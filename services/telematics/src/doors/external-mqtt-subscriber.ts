// With TELEMATICS_MQTT_URL set, bikes publish to an external broker (Mosquitto, EMQX, NATS's MQTT
// listener) that checks their credentials and topic ACLs, and this service subscribes through a
// shared subscription, so replicas split the load. Sessions are persistent (clean: false), and the
// PUBACK waits for the pipeline: mqtt.js sends it only after handleMessage calls back, which it
// does once the reading is durable. (customHandleAcks would do the same, but mqtt.js honours it
// only on MQTT 5, and NATS's MQTT listener speaks 3.1.1.) If a reading cannot be stored, the
// connection is dropped, and the broker delivers the message again after the reconnect.
// mqtt.js handles one message at a time per connection, so each replica opens a few connections
// in the shared group, and the broker spreads messages over them.
import { hostname } from 'node:os';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../../../platform/src/logger';
import type { IngestPipeline } from '../domain/ingest-pipeline';
import { arrivalOf, bikeOfTopic, sharedSubscription } from './mqtt-topics';

export async function startExternalMqttSubscriber(options: {
  url: string;
  clientId?: string;
  username?: string;
  password?: string;
  /** Connections in the shared group from this replica. */
  connections: number;
  /** The shared subscription's group: every replica of one deployment joins the same one. */
  shareGroup: string;
  pipeline: IngestPipeline;
  logger: Logger;
}): Promise<{ stop(): Promise<void> }> {
  const { pipeline, logger } = options;
  const subscription = sharedSubscription(options.shareGroup);
  const base = options.clientId ?? `ecowheels-telematics-${hostname()}`;
  const connect = async (index: number): Promise<MqttClient> => {
    const client = mqtt.connect(options.url, {
      protocolVersion: 4, // MQTT 3.1.1: what aedes and NATS speak too
      clientId: `${base}-${index}`,
      clean: false,
      reconnectPeriod: 1000,
      username: options.username,
      password: options.password,
    });
    client.handleMessage = (packet, callback) => {
      const bikeId = packet.cmd === 'publish' ? bikeOfTopic(packet.topic) : undefined;
      if (packet.cmd !== 'publish' || !bikeId) {
        callback(); // not a reading; nothing to keep
        return;
      }
      pipeline.submitOne(arrivalOf(packet.payload as Buffer, bikeId, new Date())).then(
        () => callback(),
        (error: unknown) => {
          logger.error({ err: error, topic: packet.topic }, 'reading not stored; reconnecting so the broker delivers it again');
          client.stream.destroy();
        },
      );
    };
    client.on('error', (error) => logger.warn({ err: error }, 'MQTT broker connection error'));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await client.subscribeAsync(subscription, { qos: 1 });
    return client;
  };
  const clients = await Promise.all(Array.from({ length: options.connections }, (_, index) => connect(index)));
  logger.info({ url: options.url, subscription: subscription, connections: clients.length }, 'subscribed to the external MQTT broker');
  return {
    stop: async () => {
      await Promise.all(clients.map((client) => client.endAsync()));
    },
  };
}
