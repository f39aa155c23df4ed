// The embedded MQTT broker (aedes, MQTT 3.1.1), the default door for bikes. A bike connects with
// its id as the username and its device secret as the password; a wrong secret is refused at
// CONNECT. It may publish only to its own topic: a publish elsewhere is counted, kept in rejects/
// and refused (MQTT 3.1.1 has no negative PUBACK, so the broker closes the connection). The PUBACK
// of a reading is sent only once the pipeline says the reading is durable: aedes acknowledges
// after authorizePublish calls back, and that callback waits for the pipeline.
import { createServer as createNetServer, type Server } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import type { Logger } from '../../../platform/src/logger';
import type { DeviceRegistry } from '../domain/device-registry';
import type { IngestPipeline } from '../domain/ingest-pipeline';
import { recordRefusedDevice } from '../telematics-metrics';
import { arrivalOf, bikeOfTopic, TOPIC_PREFIX } from './mqtt-topics';

/** aedes' CONNACK return code for a bad user name or password. */
const BAD_USERNAME_OR_PASSWORD = 4;

export async function startEmbeddedMqttBroker(options: {
  host: string;
  port: number;
  tls?: TlsOptions;
  pipeline: IngestPipeline;
  devices: DeviceRegistry;
  logger: Logger;
}): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker({ id: 'ecowheels-telematics' });
  const { pipeline, devices, logger } = options;

  broker.authenticate = (client, username, password, done) => {
    const bikeId = (username ?? '').toLowerCase();
    devices.verify(bikeId, password?.toString('utf8') ?? '').then(
      (ok) => {
        if (ok) {
          (client as unknown as { bikeId: string }).bikeId = bikeId;
          return done(null, true);
        }
        recordRefusedDevice(1, { door: 'mqtt', reason: 'bad_credentials' });
        done(Object.assign(new Error('bad bike id or device secret'), { returnCode: BAD_USERNAME_OR_PASSWORD }), false);
      },
      (error: unknown) => done(error as Error & { returnCode: 3 }, false),
    );
  };

  broker.authorizePublish = (client, packet, done) => {
    const bikeId = (client as unknown as { bikeId?: string } | null)?.bikeId;
    if (!bikeId) return done(new Error('only devices publish here'));
    const arrival = arrivalOf(packet.payload as Buffer, bikeId, new Date());
    const topicBike = bikeOfTopic(packet.topic);
    if (topicBike !== bikeId) {
      recordRefusedDevice(1, { door: 'mqtt', reason: 'other_topic' });
      logger.warn({ bikeId, topic: packet.topic }, 'a device published outside its own topic; refused');
      const reason = `bike ${bikeId} may publish only to ${TOPIC_PREFIX}${bikeId}/readings, not ${packet.topic}`;
      pipeline.refuse(arrival, { rule: 'device.mismatch', reason }).then(
        () => done(new Error(reason)),
        (error: unknown) => done(error as Error),
      );
      return;
    }
    // Acknowledged (PUBACK) only when this resolves: the reading is durable, or kept with its reason.
    pipeline.submit([arrival]).then(
      () => done(null),
      (error: unknown) => {
        // Not durable: no PUBACK. Closing the connection makes the bike send it again.
        logger.error({ err: error, bikeId }, 'reading not stored; closing the connection so the bike resends it');
        done(error as Error);
      },
    );
  };

  // Nobody reads readings back over MQTT; a bike may listen on its own topics only (for commands later).
  broker.authorizeSubscribe = (client, subscription, done) => {
    const bikeId = (client as unknown as { bikeId?: string } | null)?.bikeId;
    if (bikeId && subscription.topic.startsWith(`${TOPIC_PREFIX}${bikeId}/`)) return done(null, subscription);
    done(new Error(`subscriptions are limited to ${TOPIC_PREFIX}<your bike id>/#`), null);
  };
  // Readings are not forwarded to anyone: there are no subscribers to them, and nothing is retained.
  broker.authorizeForward = (_client, packet) => (packet.topic.endsWith('/readings') ? null : packet);

  const server: Server = options.tls ? createTlsServer(options.tls, broker.handle) : createNetServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `${options.tls ? 'mqtts' : 'mqtt'}://${options.host}:${port}`,
    port,
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    },
  };
}
