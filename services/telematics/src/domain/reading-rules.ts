// The first cleaning rules, applied to each input on its own before it is acknowledged: the schema
// and units, the ranges, and the clock. The payload is a Reading in the proto3 JSON mapping, in
// protobuf binary, or a CSV row; the doors' decoder (doors/reading-payloads.ts) turns all three into
// the same candidate object, which meets one schema here.
import { z } from 'zod';
import { isLatitude, isLongitude, LATITUDE, LONGITUDE } from '../../../platform/src/geo';
import type { Arrival, Reading, Rejection, RejectRule } from './reading';
import type { ReadingJsonName } from './reading-fields';
import { recordTimeOfText, recordTimeOfWire } from './reading-time';

export interface ReadingLimits {
  /** Above this ground speed a reading is refused as impossible for the bike (km/h). */
  maxSpeedKmh: number;
  /** How far ahead of our clock a unit's clock may be (ms). */
  maxClockAheadMs: number;
  /** How old a reading may be when it arrives (ms): older ones belong to a back-fill by an operator. */
  maxAgeMs: number;
}

const UINT64 = z.union([
  z.number().int('must be a whole number').nonnegative('must not be negative'),
  z.string().regex(/^\d+$/, 'must be a whole number').transform(Number),
]);
const NUMBER = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/, 'must be a number').transform(Number)]);
/** A payload decoded into a candidate reading (any object; the schema judges it), or why it could not be read. */
export type DecodedPayload = { candidate: Record<string, unknown> } | { problem: string };

/** Decodes an arrival's payload: the doors' wire formats, supplied to the pipeline. */
export type PayloadDecoder = (arrival: Arrival) => DecodedPayload;

const UUID_OR_EMPTY = z.union([z.literal(''), z.uuid('must be a UUID')]);

/**
 * The proto3 JSON mapping of Reading: lowerCamelCase names (the proto names are accepted too, as
 * the mapping requires), absent fields take their zero value, unknown fields are refused.
 */
const candidateSchema = z.strictObject({
  bikeId: z.uuid('must be the bike\'s UUID'),
  sequence: UINT64.pipe(z.number().min(1, 'must be 1 or more').max(Number.MAX_SAFE_INTEGER, 'is too large')),
  // Its shape only (text in JSON and CSV, seconds and nanos from protobuf, never from JSON); its value is the time.invalid rule's.
  recordTime: z.union([z.string(), z.strictObject({ seconds: z.bigint(), nanos: z.number() })], {
    error: 'is required: an RFC 3339 time such as 2026-11-26T09:30:00Z',
  }),
  latitude: NUMBER.default(0),
  longitude: NUMBER.default(0),
  speedKmh: NUMBER.default(0),
  batteryPercent: NUMBER.default(0),
  batteryVoltage: NUMBER.default(0),
  odometerMeters: NUMBER.default(0),
  assistLevel: UINT64.default(0),
  faultCodes: z.array(z.string().regex(/^[A-Z0-9-]{1,32}$/, 'must be codes such as E-BAT-TEMP')).max(32, 'at most 32 codes').default([]),
  rideId: UUID_OR_EMPTY.default(''),
  traceparent: z
    .union([z.literal(''), z.string().regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/, 'must be a W3C traceparent')])
    .default(''),
} satisfies Record<ReadingJsonName, z.ZodType>);

const reject = (rule: RejectRule, reason: string, reading?: Partial<Reading>): { rejection: Rejection } => ({
  rejection: { rule, reason, bikeId: reading?.bikeId, sequence: reading?.sequence },
});

/** Applies the per-reading rules to a decoded payload: schema and units, the time's value, ranges, and the clock. */
export function checkReading(decoded: DecodedPayload, limits: ReadingLimits, now: Date): { reading: Reading } | { rejection: Rejection } {
  if ('problem' in decoded) return reject('schema', decoded.problem);
  const parsed = candidateSchema.safeParse(decoded.candidate);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = issue.path.join('.');
      return issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : `${field || 'reading'}: ${issue.message}`;
    });
    const candidate = decoded.candidate;
    return reject('schema', problems.join('; '), {
      bikeId: typeof candidate.bikeId === 'string' ? candidate.bikeId : undefined,
      sequence: typeof candidate.sequence === 'number' ? candidate.sequence : undefined,
    });
  }
  const value = parsed.data;
  const time = typeof value.recordTime === 'string' ? recordTimeOfText(value.recordTime) : recordTimeOfWire(value.recordTime);
  if ('problem' in time) return reject('time.invalid', time.problem, { bikeId: value.bikeId.toLowerCase(), sequence: value.sequence });
  const reading: Reading = {
    bikeId: value.bikeId.toLowerCase(),
    sequence: value.sequence,
    recordedAt: time.date,
    latitude: value.latitude,
    longitude: value.longitude,
    speedKmh: value.speedKmh,
    batteryPercent: value.batteryPercent,
    batteryVoltage: value.batteryVoltage,
    odometerMeters: value.odometerMeters,
    assistLevel: value.assistLevel,
    faultCodes: value.faultCodes,
    rideId: value.rideId ? value.rideId.toLowerCase() : undefined,
    traceparent: value.traceparent || undefined,
  };
  const range = checkRanges(reading, limits, now);
  return range ? reject(range.rule, range.reason, reading) : { reading };
}

function checkRanges(r: Reading, limits: ReadingLimits, now: Date): { rule: RejectRule; reason: string } | undefined {
  if (!isLatitude(r.latitude)) return { rule: 'range.latitude', reason: `latitude ${r.latitude} ${LATITUDE.message} degrees` };
  if (!isLongitude(r.longitude)) return { rule: 'range.longitude', reason: `longitude ${r.longitude} ${LONGITUDE.message} degrees` };
  // 0,0 is where a GNSS receiver without a fix says it is; no bike of ours rides in the Gulf of Guinea.
  if (r.latitude === 0 && r.longitude === 0) return { rule: 'range.null_island', reason: 'position 0,0 means the unit had no GPS fix' };
  if (!(r.batteryPercent >= 0 && r.batteryPercent <= 100)) return { rule: 'range.battery', reason: `battery_percent ${r.batteryPercent} must be from 0 to 100` };
  if (!(r.speedKmh >= 0 && r.speedKmh <= limits.maxSpeedKmh)) {
    return { rule: 'range.speed', reason: `speed_kmh ${r.speedKmh} must be from 0 to ${limits.maxSpeedKmh}; faster is not possible on this bike` };
  }
  if (!(r.batteryVoltage >= 0 && r.batteryVoltage <= 100)) return { rule: 'range.voltage', reason: `battery_voltage ${r.batteryVoltage} must be from 0 to 100 volts` };
  if (!(r.odometerMeters >= 0 && r.odometerMeters < 1e9)) return { rule: 'range.odometer', reason: `odometer_meters ${r.odometerMeters} must be from 0 to 1,000,000 km` };
  if (r.assistLevel > 5) return { rule: 'range.assist_level', reason: `assist_level ${r.assistLevel} must be from 0 to 5` };
  const ahead = r.recordedAt.getTime() - now.getTime();
  if (ahead > limits.maxClockAheadMs) {
    return { rule: 'time.future', reason: `record_time ${r.recordedAt.toISOString()} is ${Math.round(ahead / 1000)} s in the future; the unit's clock is wrong` };
  }
  if (-ahead > limits.maxAgeMs) {
    return { rule: 'time.too_old', reason: `record_time ${r.recordedAt.toISOString()} is older than ${Math.round(limits.maxAgeMs / 3_600_000)} h` };
  }
  return undefined;
}
