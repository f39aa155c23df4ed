// The embedded MQTT broker (aedes, MQTT 3.1.1), the default door for bikes. A bike connects with
// its id as the username and its device secret as the password; a wrong secret is refused at
// CONNECT. It may publish only to its own topic: a publish elsewhere is counted, kept in rejects/
// and refused (MQTT 3.1.1 has no negative PUBACK, so the broker closes the connection). The PUBACK
// of a reading is sent only once the pipeline says the reading is durable: aedes acknowledges
// after authorizePublish calls back, and that callback waits for the pipeline.
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import type { Logger } from '../../../platform/src/logger';
import type { DeviceRegistry } from '../domain/device-registry';
import type { IngestPipeline } from '../domain/ingest-pipeline';
import { capConnections } from '../../../platform/src/listener-limits';
import { recordRefusedDevice } from '../telematics-metrics';
import { arrivalOf, bikeOfTopic, TOPIC_PREFIX } from './mqtt-topics';

/** aedes' CONNACK return code for a bad user name or password. */
const BAD_USERNAME_OR_PASSWORD = 4;
/** aedes' CONNACK return code for a client id the broker will not take. */
const IDENTIFIER_REJECTED = 2;

/** What aedes keeps of a connection that the packet-size guard needs: its mqtt-packet parser. */
interface ParsingClient {
  _parser: { parse(buffer: Buffer): number; packet: { length: number } };
}

/**
 * Refuses a packet longer than `maxBytes` as soon as its fixed header says so (before CONNECT too),
 * by closing the connection: aedes itself would buffer a packet of any length (MQTT allows 256 MB)
 * until it is whole. aedes has no setting for this; the guard wraps the parser aedes feeds with what
 * it reads from the socket, a chunk at a time, so at most one chunk of a refused packet is held.
 */
function limitPacketSize(client: ParsingClient, maxBytes: number, refuse: (length: number) => void): void {
  const parser = client._parser;
  const parse = parser.parse.bind(parser);
  parser.parse = (buffer) => {
    const buffered = parse(buffer);
    if (parser.packet.length > maxBytes || buffered > maxBytes) refuse(Math.max(parser.packet.length, buffered));
    return buffered;
  };
}

export async function startEmbeddedMqttBroker(options: {
  host: string;
  port: number;
  tls?: TlsOptions;
  /** The longest MQTT packet a device may send (a reading is well under 1 KB). */
  maxPacketBytes: number;
  /** How long a connection may stay without CONNECT (ms), and the caps on connections (0: none). */
  connectTimeoutMs?: number;
  maxConnections?: number;
  maxConnectionsPerAddress?: number;
  pipeline: IngestPipeline;
  devices: DeviceRegistry;
  logger: Logger;
}): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker({ id: 'ecowheels-telematics', connectTimeout: options.connectTimeoutMs ?? 10_000 });
  const { pipeline, devices, logger } = options;

  broker.authenticate = (client, username, password, done) => {
    const bikeId = (username ?? '').toLowerCase();
    devices.verify(bikeId, password?.toString('utf8') ?? '').then(
      (ok) => {
        if (ok) {
          // MQTT lets a new connection with a connected client's id take that client's place. A bike
          // may take its own place (a reconnect), never another bike's: that would knock it off.
          const holder = (broker as unknown as { clients: Record<string, { bikeId?: string } | undefined> }).clients[client.id];
          if (holder?.bikeId !== undefined && holder.bikeId !== bikeId) {
            recordRefusedDevice(1, { door: 'mqtt', reason: 'client_id_taken' });
            logger.warn({ bikeId, clientId: client.id }, "a device used another bike's MQTT client id; refused");
            return done(Object.assign(new Error('this client id belongs to a connected device'), { returnCode: IDENTIFIER_REJECTED }), false);
          }
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
    // The publishes of one turn of the event loop go to the pipeline as one batch (submitOne).
    pipeline.submitOne(arrival).then(
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

  // Every socket, CONNECTed or not, so that stop() can close them all (aedes knows only the
  // connected clients, and server.close() waits for every socket to go).
  const sockets = new Set<Socket>();
  const handle = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const client = broker.handle(socket) as unknown as ParsingClient;
    limitPacketSize(client, options.maxPacketBytes, (length) => {
      recordRefusedDevice(1, { door: 'mqtt', reason: 'packet_too_large' });
      logger.warn({ remoteAddress: socket.remoteAddress, length, limit: options.maxPacketBytes }, 'an MQTT packet over the size limit; connection closed');
      socket.destroy();
    });
  };
  const server: Server = options.tls ? createTlsServer(options.tls, handle) : createNetServer(handle);
  capConnections(server, { maxConnections: options.maxConnections ?? 0, maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? 0 }, (reason) =>
    recordRefusedDevice(1, { door: 'mqtt', reason: reason === 'total' ? 'too_many_connections' : 'too_many_from_address' }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `${options.tls ? 'mqtts' : 'mqtt'}://${options.host}:${port}`,
    port,
    // No new connection, then every device disconnected (a reading not yet acknowledged is sent
    // again by its bike, to another replica or after the restart), then the listener is gone. Waiting
    // for the devices to leave by themselves would overrun the process's stop grace.
    stop: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
