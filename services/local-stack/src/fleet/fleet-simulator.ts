// The fleet simulator: bikes that ride plausible trips around the demo city and publish their
// readings over MQTT (QoS 1, MQTT 3.1.1) with their own device credentials, in real time. About
// 2% of what it sends is junk, as real units send: out of range, duplicated, out of order, GPS
// jumps and malformed payloads. `npm run simulate` and `npm start` use it.
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import { readingsTopic } from '../../../telematics/src/doors/mqtt-topics';
import type { LatLon } from '../../../platform/src/geo';
import { waitAtMost } from '../../../platform/src/wait-at-most';
import { parkedReading, rideTrip, seededRandom, type BikeUnit, type SimulatedReading } from './simulated-ride';

export interface SimulatedDevice {
  bikeId: string;
  secret: string;
  position: LatLon;
  batteryPercent: number;
}

export type JunkKind = 'range' | 'duplicate' | 'out_of_order' | 'gps_jump' | 'malformed';
const JUNK_KINDS: JunkKind[] = ['range', 'duplicate', 'out_of_order', 'gps_jump', 'malformed'];

export interface FleetOptions {
  mqttUrl: string;
  devices: SimulatedDevice[];
  /** Readings per second per bike while riding. */
  rate: number;
  /** Share of junk among what is sent (0.02). */
  junkRatio: number;
  seed?: number;
  /** Told of every send, for a running count. */
  onSent?: (kind: 'reading' | JunkKind) => void;
}

export interface RunningFleet {
  counts(): Record<string, number>;
  stop(): Promise<void>;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal.addEventListener('abort', onAbort, { once: true });
  });

/** Starts every bike riding; stop() ends the trips, disconnects and resolves. */
export async function startFleet(options: FleetOptions): Promise<RunningFleet> {
  const abort = new AbortController();
  // Every bike waits on this one signal: many listeners is the design, not a leak.
  setMaxListeners(0, abort.signal);
  const counts: Record<string, number> = { reading: 0 };
  const count = (kind: 'reading' | JunkKind) => {
    counts[kind] = (counts[kind] ?? 0) + 1;
    options.onSent?.(kind);
  };
  const random = seededRandom(options.seed ?? Date.now());
  const clients = await Promise.all(
    options.devices.map((device) =>
      mqtt.connectAsync(options.mqttUrl, { protocolVersion: 4, clientId: `bike-${device.bikeId}-${randomBytes(8).toString('hex')}`, username: device.bikeId, password: device.secret, reconnectPeriod: 1000 }),
    ),
  );
  const loops = options.devices.map((device, index) => rideForever(device, clients[index], options, random, abort.signal, count));
  return {
    counts: () => ({ ...counts }),
    // Within its budget whatever is stuck: a publish the broker will never acknowledge (it stopped
    // first, or died) gets two seconds, then every client closes at once and stops reconnecting.
    stop: async () => {
      abort.abort();
      await waitAtMost(Promise.all(loops), 2000);
      await Promise.all(clients.map((client) => client.endAsync(true)));
    },
  };
}

async function rideForever(
  device: SimulatedDevice,
  client: MqttClient,
  options: FleetOptions,
  random: () => number,
  signal: AbortSignal,
  count: (kind: 'reading' | JunkKind) => void,
): Promise<void> {
  const intervalMs = 1000 / options.rate;
  // Sequences start from the wall clock (ten per second), so a restarted simulator never reuses one.
  const unit: BikeUnit = { bikeId: device.bikeId, position: device.position, batteryPercent: device.batteryPercent, odometerMeters: 0, nextSequence: Math.floor(Date.now() / 100), clock: Date.now() };
  const topic = readingsTopic(device.bikeId);
  const publish = (payload: string) => client.publishAsync(topic, payload, { qos: 1 }).catch(() => undefined);
  let held: SimulatedReading | undefined;
  const send = async (reading: SimulatedReading) => {
    if (random() >= options.junkRatio) {
      await publish(JSON.stringify(reading));
      if (held) {
        await publish(JSON.stringify(held));
        held = undefined;
      }
      count('reading');
      return;
    }
    const kind = JUNK_KINDS[Math.floor(random() * JUNK_KINDS.length)];
    count(kind);
    if (kind === 'range') await publish(JSON.stringify({ ...reading, batteryPercent: 150 }));
    else if (kind === 'duplicate') await Promise.all([publish(JSON.stringify(reading)), publish(JSON.stringify(reading))]);
    else if (kind === 'out_of_order') held = reading; // sent after the next one
    else if (kind === 'gps_jump') await publish(JSON.stringify({ ...reading, latitude: reading.latitude + 0.05 }));
    else await publish(JSON.stringify(reading).slice(0, 40));
  };
  // Bikes start at different moments, like a real fleet.
  await sleep(random() * 5000, signal);
  while (!signal.aborted) {
    unit.clock = Date.now();
    const trip = rideTrip(unit, { meters: 600 + random() * 2400, intervalMs, random });
    for (const reading of trip.readings) {
      if (signal.aborted) return;
      await sleep(Date.parse(reading.recordTime) - Date.now(), signal);
      await send(reading);
    }
    // Parked for a while, with a heartbeat every ten seconds.
    const parkedUntil = Date.now() + 20_000 + random() * 40_000;
    while (!signal.aborted && Date.now() < parkedUntil) {
      await sleep(10_000, signal);
      unit.clock = Date.now();
      if (!signal.aborted) await send(parkedReading(unit, 10_000));
    }
  }
}
