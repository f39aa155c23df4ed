// The embedded MQTT broker's own limits, on a real broker on loopback with a pipeline and a device
// registry that stand in for the service's (what they do is tested in doors.test.ts):
// - it stops within the service's grace with a hundred bikes connected, and with a stranger's
//   socket that never sent CONNECT;
// - a packet whose fixed header announces more than the limit is refused at once, before CONNECT
//   too, without the broker waiting for (or holding) the rest of it;
// - a bike cannot take another connected bike's client id (MQTT would let it knock that bike off).
import { connect as connectTcp, type Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { createLogger } from '../../services/platform/src/logger';
import type { DeviceRegistry } from '../../services/telematics/src/domain/device-registry';
import type { IngestPipeline } from '../../services/telematics/src/domain/ingest-pipeline';
import { startEmbeddedMqttBroker } from '../../services/telematics/src/doors/embedded-mqtt-broker';
import { TOPIC_PREFIX } from '../../services/telematics/src/doors/mqtt-topics';

const SECRET = 'right-secret';
const MAX_PACKET_BYTES = 256 * 1024;

async function startBroker(submitted: string[] = []) {
  const pipeline = {
    submitOne: async (arrival: { payload: string }) => {
      submitted.push(arrival.payload);
    },
    refuse: async () => undefined,
  } as unknown as IngestPipeline;
  const devices = { verify: async (_bikeId: string, secret: string) => secret === SECRET } as unknown as DeviceRegistry;
  return startEmbeddedMqttBroker({ host: '127.0.0.1', port: 0, maxPacketBytes: MAX_PACKET_BYTES, pipeline, devices, logger: createLogger('test', 'silent') });
}

const bikeIds = (count: number) => Array.from({ length: count }, (_, index) => `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`);

const connectBike = (url: string, bikeId: string, clientId = `bike-${bikeId}`) =>
  mqtt.connectAsync(url, { protocolVersion: 4, clientId, username: bikeId, password: SECRET, reconnectPeriod: 0, connectTimeout: 5000 });

/** The MQTT fixed header of a packet announcing `remaining` bytes after it (variable-length encoding). */
function fixedHeader(type: number, remaining: number): Buffer {
  const bytes = [type << 4];
  do {
    let digit = remaining % 128;
    remaining = Math.floor(remaining / 128);
    if (remaining > 0) digit |= 0x80;
    bytes.push(digit);
  } while (remaining > 0);
  return Buffer.from(bytes);
}

const closedWithin = (socket: Socket, ms: number) =>
  new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });

async function openSocket(port: number): Promise<Socket> {
  const socket = connectTcp(port, '127.0.0.1');
  socket.on('error', () => undefined); // reset by the broker: that is what the tests look for
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

describe('embedded MQTT broker limits', () => {
  it('stops within the grace period with 100 bikes connected and a socket that never sent CONNECT', async () => {
    const broker = await startBroker();
    const clients: MqttClient[] = await Promise.all(bikeIds(100).map((bikeId) => connectBike(broker.url, bikeId)));
    const silent = await openSocket(broker.port);
    try {
      const started = Date.now();
      const outcome = await Promise.race([broker.stop().then(() => 'stopped'), new Promise((resolve) => setTimeout(() => resolve('overran'), 4000).unref())]);
      expect(outcome).toBe('stopped');
      expect(Date.now() - started).toBeLessThan(4000);
      expect(silent.destroyed || (await closedWithin(silent, 1000))).toBe(true);
    } finally {
      silent.destroy();
      await Promise.all(clients.map((client) => client.endAsync(true)));
    }
  });

  describe('packet size', () => {
    let broker: Awaited<ReturnType<typeof startBroker>>;
    const submitted: string[] = [];
    beforeAll(async () => {
      broker = await startBroker(submitted);
    });
    afterAll(async () => {
      await Promise.race([broker?.stop(), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    });

    it.each([
      ['a CONNECT', 1],
      ['a PUBLISH', 3],
    ])('closes the connection as soon as %s announces more than 256 KB, before the rest arrives', async (_what, type) => {
      const socket = await openSocket(broker.port);
      socket.write(Buffer.concat([fixedHeader(type, 200 * 1024 * 1024), Buffer.alloc(1024)]));
      // The broker does not wait for the 200 MB announced (nor hold them): the socket goes at once.
      const closed = await closedWithin(socket, 2000);
      socket.destroy();
      expect(closed).toBe(true);
    });

    it("refuses a connected bike's publish over the limit and keeps serving the others", async () => {
      const [big, small] = bikeIds(2);
      const greedy = await connectBike(broker.url, big);
      const closed = new Promise<boolean>((resolve) => {
        greedy.once('close', () => resolve(true));
        setTimeout(() => resolve(false), 3000).unref();
      });
      greedy.publish(`${TOPIC_PREFIX}${big}/readings`, Buffer.alloc(MAX_PACKET_BYTES + 1, 0x20), { qos: 1 });
      const refused = await closed;
      await greedy.endAsync(true);
      expect(refused).toBe(true);
      const polite = await connectBike(broker.url, small);
      await polite.publishAsync(`${TOPIC_PREFIX}${small}/readings`, '{"fits":true}', { qos: 1 });
      await polite.endAsync();
      expect(submitted).toEqual(['{"fits":true}']);
    });
  });

  describe('client ids', () => {
    it("refuses a bike that presents a connected bike's client id, and lets a bike take its own place", async () => {
      const broker = await startBroker();
      const [victim, intruder] = bikeIds(2);
      try {
        const first = await connectBike(broker.url, victim, 'shared-id');
        let victimDropped = false;
        first.on('close', () => (victimDropped = true));
        await expect(connectBike(broker.url, intruder, 'shared-id')).rejects.toThrow(/Identifier rejected/);
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(victimDropped).toBe(false);
        // The bike itself reconnecting with its id takes its own place, as MQTT means it to.
        const again = await connectBike(broker.url, victim, 'shared-id');
        await again.endAsync();
        await first.endAsync(true);
      } finally {
        await broker.stop();
      }
    });
  });
});
