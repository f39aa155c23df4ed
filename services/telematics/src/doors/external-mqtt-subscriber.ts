// With TELEMATICS_MQTT_URL set, bikes publish to an external broker (Mosquitto, EMQX, NATS's MQTT
// listener) that checks their credentials and topic ACLs, and this service subscribes through a
// shared subscription, so replicas split the load. The session is persistent (clean: false) and
// the PUBACK is ours to send (customHandleAcks): it goes out only once the pipeline says the
// reading is durable. If it cannot be stored, the connection is dropped, and the broker delivers
// the message again after the reconnect.
import { hostname } from 'node:os';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../../../platform/src/logger';
import type { IngestPipeline } from '../domain/ingest-pipeline';
import { arrivalOf, bikeOfTopic, SHARED_SUBSCRIPTION } from './mqtt-topics';

export async function startExternalMqttSubscriber(options: {
  url: string;
  clientId?: string;
  username?: string;
  password?: string;
  pipeline: IngestPipeline;
  logger: Logger;
}): Promise<{ stop(): Promise<void> }> {
  const { pipeline, logger } = options;
  const client: MqttClient = mqtt.connect(options.url, {
    protocolVersion: 4, // MQTT 3.1.1: what aedes and NATS speak too
    clientId: options.clientId ?? `ecowheels-telematics-${hostname()}`,
    clean: false,
    reconnectPeriod: 1000,
    username: options.username,
    password: options.password,
    customHandleAcks: (topic, payload, _packet, done) => {
      const bikeId = bikeOfTopic(topic);
      if (!bikeId) {
        done(0); // not a readings topic; nothing to keep
        return;
      }
      pipeline.submit([arrivalOf(payload, bikeId, new Date())]).then(
        () => done(0),
        (error: unknown) => {
          logger.error({ err: error, topic }, 'reading not stored; reconnecting so the broker delivers it again');
          client.stream.destroy();
        },
      );
    },
  });
  client.on('error', (error) => logger.warn({ err: error }, 'MQTT broker connection error'));
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  await client.subscribeAsync(SHARED_SUBSCRIPTION, { qos: 1 });
  logger.info({ url: options.url, subscription: SHARED_SUBSCRIPTION }, 'subscribed to the external MQTT broker');
  return {
    stop: async () => {
      await client.endAsync();
    },
  };
}
