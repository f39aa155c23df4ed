// The cleaning rules that need a bike's history, applied per bike in sequence order after the
// readings are durable: readings that arrive out of order are put back in order within a window;
// a reading that comes after the window has closed is kept aside as late; a GPS jump whose implied
// speed is impossible is dropped and flagged; a short gap is filled by interpolation and marked as
// filled; a speed over the speed-pedelec limit is flagged. What the rules keep is the clean track.
import { distanceMeters } from '../../../platform/src/geo';
import type { Reading, Rejection } from './reading';

export interface CleaningSettings {
  /** How long a reading waits for a missing predecessor before the gap is taken as final (ms). */
  reorderWindowMs: number;
  /** Implied speed between two fixes above which the later fix is a GPS jump (km/h). */
  maxImpliedSpeedKmh: number;
  /** Speeds above this are flagged: the EU limit of an S-pedelec (km/h). */
  flagSpeedKmh: number;
  /** Gaps up to this long, within one ride, are filled by interpolation (ms). */
  maxFillGapMs: number;
  /** At most this many missing readings are filled in one gap. */
  maxFillReadings: number;
  /** Below this speed a bike counts as standing still (km/h). */
  movingSpeedKmh: number;
  /** The battery pack's capacity, to turn a drop in charge into energy (Wh). */
  packCapacityWh: number;
}

/** What the cleaner remembers of a bike between batches: its last clean point. */
export interface TrackState {
  bikeId: string;
  lastSequence: number;
  lastRecordedAt: Date;
  latitude: number;
  longitude: number;
  batteryPercent: number;
  rideId?: string;
}

/** An accepted reading waiting for the cleaner, with when it arrived (the window's clock). */
export interface PendingReading {
  reading: Reading;
  receivedAt: Date;
}

/** One point of the clean track, with what it adds to its ride since the previous point. */
export interface CleanPoint {
  reading: Reading;
  /** True for a point made by interpolation, never measured. */
  filled: boolean;
  flags: string[];
  /** Metres from the previous clean point of the same ride (0 at a ride's first point). */
  segmentMeters: number;
  /** Seconds moving since the previous clean point of the same ride. */
  segmentMovingSeconds: number;
  /** Energy drawn since the previous clean point of the same ride (Wh). */
  segmentWh: number;
}

export interface CleanedBike {
  points: CleanPoint[];
  /** Readings set aside, each with the rule and reason (kept under rejects/). */
  dropped: { reading: Reading; rejection: Rejection }[];
  /** Readings the window still holds: their predecessor may yet arrive. Cleaned in a later batch. */
  held: PendingReading[];
  /** Pending readings that were decided (clean, filled around or dropped). */
  decided: Reading[];
  state?: TrackState;
  /** When the earliest held reading's window closes, to wake the cleaner then. */
  wakeAt?: Date;
}

const KMH_PER_MPS = 3.6;

/**
 * Cleans one bike's pending readings (any order) against its state. `now` is the window's clock:
 * the wall clock when live, the arrival time of the newest input when replaying, so a replay
 * makes the same decisions the live run made.
 */
export function cleanBikeTrack(state: TrackState | undefined, pending: PendingReading[], now: Date, settings: CleaningSettings): CleanedBike {
  const sorted = [...pending].sort((a, b) => a.reading.sequence - b.reading.sequence);
  const result: CleanedBike = { points: [], dropped: [], held: [], decided: [], state };
  let current = state;
  for (let index = 0; index < sorted.length; index += 1) {
    const { reading, receivedAt } = sorted[index];
    if (current && reading.sequence <= current.lastSequence) {
      result.dropped.push({
        reading,
        rejection: {
          rule: 'order.late',
          reason: `reading ${reading.sequence} arrived after reading ${current.lastSequence} was cleaned (more than ${settings.reorderWindowMs} ms late); kept, but not in the track`,
          bikeId: reading.bikeId,
          sequence: reading.sequence,
        },
      });
      result.decided.push(reading);
      continue;
    }
    const waitedMs = now.getTime() - receivedAt.getTime();
    const gapBefore = current ? reading.sequence > current.lastSequence + 1 : true;
    if (gapBefore && waitedMs < settings.reorderWindowMs) {
      // A predecessor may still be on its way: hold this reading and everything after it.
      result.held = sorted.slice(index);
      const closes = result.held.reduce((min, held) => Math.min(min, held.receivedAt.getTime()), Number.POSITIVE_INFINITY) + settings.reorderWindowMs;
      result.wakeAt = new Date(closes);
      break;
    }
    result.decided.push(reading);
    if (current && isGpsJump(current, reading, settings)) {
      result.dropped.push({
        reading,
        rejection: {
          rule: 'gps.jump',
          reason: `position jumped ${Math.round(distanceMeters(current, reading))} m in ${secondsBetween(current.lastRecordedAt, reading.recordedAt).toFixed(1)} s, faster than ${settings.maxImpliedSpeedKmh} km/h`,
          bikeId: reading.bikeId,
          sequence: reading.sequence,
        },
      });
      // The sequence moves on, so the jump's successors are not taken as late; the position does not.
      current = { ...current, lastSequence: reading.sequence };
      continue;
    }
    if (current) {
      // Points filled into a gap come first; the measured reading then follows the last of them.
      const gap = interpolate(current, reading, settings);
      result.points.push(...gap.points);
      current = gap.state;
    }
    result.points.push(cleanPoint(current, reading, false, settings));
    current = stateAfter(reading);
  }
  result.state = current;
  return result;
}

function isGpsJump(state: TrackState, reading: Reading, settings: CleaningSettings): boolean {
  const seconds = Math.max(1, secondsBetween(state.lastRecordedAt, reading.recordedAt));
  return (distanceMeters(state, reading) / seconds) * KMH_PER_MPS > settings.maxImpliedSpeedKmh;
}

const secondsBetween = (from: Date, to: Date) => Math.abs(to.getTime() - from.getTime()) / 1000;

const stateAfter = (reading: Reading): TrackState => ({
  bikeId: reading.bikeId,
  lastSequence: reading.sequence,
  lastRecordedAt: reading.recordedAt,
  latitude: reading.latitude,
  longitude: reading.longitude,
  batteryPercent: reading.batteryPercent,
  rideId: reading.rideId,
});

/** The readings a short gap inside one ride lost, on the straight line between its two ends. */
function interpolate(before: TrackState, after: Reading, settings: CleaningSettings): { points: CleanPoint[]; state: TrackState } {
  const missing = after.sequence - before.lastSequence - 1;
  const gapMs = after.recordedAt.getTime() - before.lastRecordedAt.getTime();
  const unfilled = { points: [], state: before };
  if (missing < 1 || missing > settings.maxFillReadings || gapMs <= 0 || gapMs > settings.maxFillGapMs) return unfilled;
  if (!after.rideId || after.rideId !== before.rideId) return unfilled;
  const points: CleanPoint[] = [];
  let previous = before;
  for (let n = 1; n <= missing; n += 1) {
    const f = n / (missing + 1);
    const filled: Reading = {
      ...after,
      sequence: before.lastSequence + n,
      recordedAt: new Date(before.lastRecordedAt.getTime() + f * gapMs),
      latitude: before.latitude + f * (after.latitude - before.latitude),
      longitude: before.longitude + f * (after.longitude - before.longitude),
      batteryPercent: before.batteryPercent + f * (after.batteryPercent - before.batteryPercent),
      faultCodes: [],
      traceparent: undefined,
    };
    points.push(cleanPoint(previous, filled, true, settings));
    previous = stateAfter(filled);
  }
  return { points, state: previous };
}

function cleanPoint(previous: TrackState | undefined, reading: Reading, filled: boolean, settings: CleaningSettings): CleanPoint {
  const flags = reading.speedKmh > settings.flagSpeedKmh ? ['speed.over_pedelec_limit'] : [];
  const sameRide = Boolean(previous && reading.rideId && previous.rideId === reading.rideId);
  if (!previous || !sameRide) return { reading, filled, flags, segmentMeters: 0, segmentMovingSeconds: 0, segmentWh: 0 };
  const meters = distanceMeters(previous, reading);
  const seconds = secondsBetween(previous.lastRecordedAt, reading.recordedAt);
  const impliedKmh = seconds > 0 ? (meters / seconds) * KMH_PER_MPS : 0;
  const moving = seconds <= settings.maxFillGapMs / 1000 && (reading.speedKmh >= settings.movingSpeedKmh || impliedKmh >= settings.movingSpeedKmh);
  // Only a drop in charge is energy used; a rise is the pack recovering or being charged.
  const drop = Math.max(0, previous.batteryPercent - reading.batteryPercent);
  return {
    reading,
    filled,
    flags,
    segmentMeters: meters,
    segmentMovingSeconds: moving ? seconds : 0,
    segmentWh: (drop / 100) * settings.packCapacityWh,
  };
}
