// Plausible rides for the fleet simulator, the demo and the tests: a path on a street grid around
// the demo city (blocks of 80 to 250 m, turning at corners), ridden at city speeds, with the
// battery draining as an e-bike's does (about 10 Wh per km on a 500 Wh pack). Each ride knows its
// own ground truth: the length of the path actually ridden.
import { randomUUID } from 'node:crypto';
import { METERS_PER_DEGREE_LATITUDE, type LatLon } from '../../../platform/src/geo';


/** One reading a simulated unit would make, in the proto3 JSON mapping. */
export interface SimulatedReading {
  bikeId: string;
  sequence: number;
  recordTime: string;
  latitude: number;
  longitude: number;
  speedKmh: number;
  batteryPercent: number;
  batteryVoltage: number;
  odometerMeters: number;
  assistLevel: number;
  faultCodes: string[];
  rideId?: string;
}

export interface SimulatedRide {
  rideId: string;
  readings: SimulatedReading[];
  /** The length of the path ridden, in metres. */
  truthMeters: number;
  /** The battery drop over the ride, in percent. */
  truthBatteryDrop: number;
}


/** A small deterministic random source, so a seeded simulation is repeatable. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4_294_967_296;
  };
}

function offset(from: LatLon, northMeters: number, eastMeters: number): LatLon {
  return {
    latitude: from.latitude + northMeters / METERS_PER_DEGREE_LATITUDE,
    longitude: from.longitude + eastMeters / (METERS_PER_DEGREE_LATITUDE * Math.cos((from.latitude * Math.PI) / 180)),
  };
}

/** The unit's state that carries from reading to reading and ride to ride. */
export interface BikeUnit {
  bikeId: string;
  position: LatLon;
  batteryPercent: number;
  odometerMeters: number;
  nextSequence: number;
  clock: number;
}

/**
 * Rides one trip of about `meters` from the unit's position, one reading every `intervalMs`,
 * and leaves the unit at the end. Streets run north-south and east-west; a rider keeps to a
 * block, then turns left or right at the corner.
 */
export function rideTrip(unit: BikeUnit, options: { meters: number; intervalMs: number; random: () => number; rideId?: string }): SimulatedRide {
  const { random, intervalMs } = options;
  const rideId = options.rideId ?? randomUUID();
  const readings: SimulatedReading[] = [];
  const startBattery = unit.batteryPercent;
  let heading = Math.floor(random() * 4); // 0 north, 1 east, 2 south, 3 west
  let blockLeft = 80 + random() * 170;
  let ridden = 0;
  let speedKmh = 14 + random() * 8;
  const emit = (speed: number) => {
    readings.push(readingOf(unit, speed, rideId));
    unit.clock += intervalMs;
  };
  emit(0);
  while (ridden < options.meters) {
    speedKmh = Math.min(25, Math.max(10, speedKmh + (random() - 0.5) * 2));
    let step = Math.min((speedKmh / 3.6) * (intervalMs / 1000), options.meters - ridden);
    // Turning at a corner: the step is split, so the path stays on the streets.
    while (step > 0) {
      const along = Math.min(step, blockLeft);
      const north = heading === 0 ? along : heading === 2 ? -along : 0;
      const east = heading === 1 ? along : heading === 3 ? -along : 0;
      unit.position = offset(unit.position, north, east);
      ridden += along;
      unit.odometerMeters += along;
      // About 10 Wh/km on a 500 Wh pack: 2% per km.
      unit.batteryPercent = Math.max(0, unit.batteryPercent - (along / 1000) * 2);
      step -= along;
      blockLeft -= along;
      if (blockLeft <= 0) {
        heading = (heading + (random() < 0.5 ? 1 : 3)) % 4;
        blockLeft = 80 + random() * 170;
      }
    }
    emit(speedKmh);
  }
  emit(0);
  return { rideId, readings, truthMeters: ridden, truthBatteryDrop: startBattery - unit.batteryPercent };
}

/** A parked unit's heartbeat: where it stands, no ride. */
export function parkedReading(unit: BikeUnit, intervalMs: number): SimulatedReading {
  const reading = readingOf(unit, 0, undefined);
  unit.clock += intervalMs;
  return reading;
}

function readingOf(unit: BikeUnit, speedKmh: number, rideId: string | undefined): SimulatedReading {
  return {
    bikeId: unit.bikeId,
    sequence: unit.nextSequence++,
    recordTime: new Date(unit.clock).toISOString(),
    latitude: Number(unit.position.latitude.toFixed(7)),
    longitude: Number(unit.position.longitude.toFixed(7)),
    speedKmh: Number(speedKmh.toFixed(1)),
    batteryPercent: Number(unit.batteryPercent.toFixed(2)),
    // A 10s Li-ion pack: about 33 V empty to 42 V full.
    batteryVoltage: Number((33 + 0.09 * unit.batteryPercent).toFixed(2)),
    odometerMeters: Math.round(unit.odometerMeters),
    assistLevel: speedKmh > 0 ? 2 : 0,
    faultCodes: [],
    ...(rideId ? { rideId } : {}),
  };
}
