// The cleaning rules, one behaviour each, without a network: the per-reading rules (schema and
// units, ranges, clock) and the track rules (order, GPS jumps, gaps, speed flags), and the impact
// formula.
import { randomUUID } from 'node:crypto';
import { Reading as ProtoReading } from '../../services/platform/src/generated/ecowheels/telematics/v1/telematics_service';
import type { Arrival, Reading } from '../../services/telematics/src/domain/reading';
import { checkReading } from '../../services/telematics/src/domain/reading-rules';
import { decodePayload } from '../../services/telematics/src/doors/reading-payloads';
import { recordTimeOfText } from '../../services/telematics/src/domain/reading-time';
import { hourPartition } from '../../services/telematics/src/zones/zone-store';
import { co2AvoidedGrams } from '../../services/telematics/src/domain/ride-impact';
import { readingWithWireTime } from '../support/reading-wire';
import { cleanBikeTrack, type CleaningSettings, type PendingReading } from '../../services/telematics/src/domain/track-cleaning';

const NOW = new Date('2026-11-26T10:00:00Z');
const LIMITS = { maxSpeedKmh: 100, maxClockAheadMs: 300_000, maxAgeMs: 7 * 86_400_000 };
const SETTINGS: CleaningSettings = { reorderWindowMs: 1000, maxImpliedSpeedKmh: 60, flagSpeedKmh: 45, maxFillGapMs: 30_000, maxFillReadings: 10, movingSpeedKmh: 2, packCapacityWh: 500 };
const BIKE = randomUUID();
const RIDE = randomUUID();

const json = (fields: Record<string, unknown>): Arrival => ({ door: 'http', sender: BIKE, receivedAt: NOW, encoding: 'json', payload: JSON.stringify(fields) });
const valid = (overrides: Record<string, unknown> = {}) => ({ bikeId: BIKE, sequence: 1, recordTime: NOW.toISOString(), latitude: 52.37, longitude: 4.9, batteryPercent: 80, ...overrides });
const ruleOf = (arrival: Arrival) => {
  const result = checkReading(decodePayload(arrival), LIMITS, NOW);
  return 'rejection' in result ? result.rejection.rule : 'accepted';
};

describe('per-reading rules', () => {
  it('accepts a reading in the proto3 JSON mapping, with proto names too and int64 as a string', () => {
    expect(ruleOf(json(valid()))).toBe('accepted');
    expect(ruleOf(json({ bike_id: BIKE, sequence: '5', record_time: NOW.toISOString(), latitude: 52.37, longitude: 4.9, battery_percent: 80 }))).toBe('accepted');
  });

  it('accepts the same reading in protobuf binary', () => {
    const bytes = ProtoReading.encode(ProtoReading.fromJSON(valid())).finish();
    expect(ruleOf({ ...json({}), encoding: 'protobuf', payload: Buffer.from(bytes).toString('base64') })).toBe('accepted');
  });

  it.each([
    ['malformed JSON', '{"bikeId":', 'schema'],
    ['not an object', '[1,2]', 'schema'],
    ['an unknown field', JSON.stringify(valid({ batteryPercnt: 80 })), 'schema'],
    ['a bike id that is not a UUID', JSON.stringify(valid({ bikeId: 'bike-7' })), 'schema'],
    ['sequence 0', JSON.stringify(valid({ sequence: 0 })), 'schema'],
    ['a time that is not RFC 3339', JSON.stringify(valid({ recordTime: 'yesterday' })), 'time.invalid'],
    ['no time at all', JSON.stringify(valid({ recordTime: undefined })), 'schema'],
    ['a time as an object in JSON', JSON.stringify(valid({ recordTime: { seconds: 1, nanos: 0 } })), 'schema'],
    ['a speed as text', JSON.stringify(valid({ speedKmh: 'fast' })), 'schema'],
    ['latitude 91', JSON.stringify(valid({ latitude: 91 })), 'range.latitude'],
    ['longitude -181', JSON.stringify(valid({ longitude: -181 })), 'range.longitude'],
    ['no GPS fix (0, 0)', JSON.stringify(valid({ latitude: 0, longitude: 0 })), 'range.null_island'],
    ['battery 101', JSON.stringify(valid({ batteryPercent: 101 })), 'range.battery'],
    ['battery -1', JSON.stringify(valid({ batteryPercent: -1 })), 'range.battery'],
    ['speed 150 km/h', JSON.stringify(valid({ speedKmh: 150 })), 'range.speed'],
    ['voltage 400 V', JSON.stringify(valid({ batteryVoltage: 400 })), 'range.voltage'],
    ['a negative odometer', JSON.stringify(valid({ odometerMeters: -5 })), 'range.odometer'],
    ['assist level 9', JSON.stringify(valid({ assistLevel: 9 })), 'range.assist_level'],
    ['a time ten minutes ahead', JSON.stringify(valid({ recordTime: new Date(NOW.getTime() + 600_000).toISOString() })), 'time.future'],
    ['a time eight days old', JSON.stringify(valid({ recordTime: new Date(NOW.getTime() - 8 * 86_400_000).toISOString() })), 'time.too_old'],
  ])('refuses %s', (_what, payload, rule) => {
    expect(ruleOf({ ...json({}), payload })).toBe(rule);
  });

  // NOW is 2026-11-26T10:00:00Z; each form below says that instant, or refuses to be read as a time.
  it.each([
    ['Z', '2026-11-26T10:00:00Z'],
    ['a lower-case t and z', '2026-11-26t10:00:00z'],
    ['an offset', '2026-11-26T11:30:00+01:30'],
    ['a negative offset', '2026-11-26T05:00:00-05:00'],
    ['nine fraction digits', '2026-11-26T10:00:00.000000000Z'],
    ['one fraction digit', '2026-11-26T10:00:00.0Z'],
  ])('reads an RFC 3339 time with %s', (_what, recordTime) => {
    expect(checkReading(decodePayload(json(valid({ recordTime }))), LIMITS, NOW)).toMatchObject({ reading: { recordedAt: NOW } });
  });

  it.each([
    ['a US date', '11/26/2026'],
    ['a space for the T', '2026-11-26 10:00:00Z'],
    ['no seconds', '2026-11-26T10:00Z'],
    ['no offset', '2026-11-26T10:00:00'],
    ['a date alone', '2026-11-26'],
    ['ten fraction digits', '2026-11-26T10:00:00.0000000000Z'],
    ['an offset without a colon', '2026-11-26T10:00:00+0000'],
    ['an HTTP date', 'Thu, 26 Nov 2026 10:00:00 GMT'],
    ['a six-digit year', '+002026-11-26T10:00:00Z'],
    ['the 30th of February', '2026-02-30T10:00:00Z'],
    ['the 29th of February of a common year', '2026-02-29T10:00:00Z'],
    ['hour 24', '2026-11-26T24:00:00Z'],
    ['a leap second', '2026-12-31T23:59:60Z'],
    ['an offset of 24 hours', '2026-11-26T10:00:00+24:00'],
    ['year 0', '0000-12-31T23:59:59Z'],
    ['before year 1 once the offset is applied', '0001-01-01T00:00:00+00:01'],
  ])('refuses %s as time.invalid', (_what, recordTime) => {
    expect(ruleOf(json(valid({ recordTime })))).toBe('time.invalid');
  });

  it.each([
    ['2028-02-29T12:00:00Z', true],
    ['2000-02-29T12:00:00Z', true], // divisible by 400: a leap year
    ['2100-02-29T12:00:00Z', false], // divisible by 100 only: not one
    ['2026-04-31T12:00:00Z', false],
    ['2026-12-31T12:00:00Z', true],
    ['2026-01-31T12:00:00Z', true],
  ])('knows the days of each month: %s is a date: %s', (text, isDate) => {
    const time = recordTimeOfText(text);
    expect('date' in time ? time.date.toISOString() : time.problem).toEqual(isDate ? text.replace('Z', '.000Z') : expect.stringContaining('is not a date and time of the calendar'));
  });

  it('names the hour partition of any time, hour after hour and back again', () => {
    const times = ['2026-11-26T09:59:59.999Z', '2026-11-26T10:00:00Z', '2026-11-26T09:00:00Z', '2026-12-31T23:30:00Z', '2027-01-01T00:00:00Z', '2026-11-26T10:59:00Z'];
    expect(times.map((time) => hourPartition(new Date(time)))).toEqual([
      'dt=2026-11-26/hour=09',
      'dt=2026-11-26/hour=10',
      'dt=2026-11-26/hour=09',
      'dt=2026-12-31/hour=23',
      'dt=2027-01-01/hour=00',
      'dt=2026-11-26/hour=10',
    ]);
    expect(() => hourPartition(new Date(Number.NaN))).toThrow(RangeError);
  });

  it.each([
    ['seconds beyond a Date', 1e15, 0],
    ['seconds before year 1', -62_135_596_801, 0],
    ['seconds beyond a safe integer', 2n ** 63n - 1n, 0],
    ['negative nanos', 1_795_600_800, -1],
    ['a second of nanos', 1_795_600_800, 1_000_000_000],
  ])('refuses a protobuf Timestamp with %s as time.invalid', (_what, seconds, nanos) => {
    const bytes = readingWithWireTime(valid(), { seconds, nanos });
    expect(ruleOf({ ...json({}), encoding: 'protobuf', payload: Buffer.from(bytes).toString('base64') })).toBe('time.invalid');
  });

  it('reads a protobuf Timestamp to the millisecond', () => {
    const bytes = readingWithWireTime(valid(), { seconds: NOW.getTime() / 1000, nanos: 999_999_999 });
    const result = checkReading(decodePayload({ ...json({}), encoding: 'protobuf', payload: Buffer.from(bytes).toString('base64') }), LIMITS, NOW);
    expect(result).toMatchObject({ reading: { recordedAt: new Date(NOW.getTime() + 999) } });
  });

  it('says what was wrong and what would be right', () => {
    const result = checkReading(decodePayload(json(valid({ batteryPercent: 140 }))), LIMITS, NOW);
    expect(result).toEqual({ rejection: { rule: 'range.battery', reason: 'battery_percent 140 must be from 0 to 100', bikeId: BIKE, sequence: 1 } });
  });
});

const reading = (sequence: number, secondsAfter: number, northMeters: number, extra: Partial<Reading> = {}): Reading => ({
  bikeId: BIKE,
  sequence,
  recordedAt: new Date(NOW.getTime() + secondsAfter * 1000),
  latitude: 52.37 + northMeters / 111_195,
  longitude: 4.9,
  speedKmh: 18,
  batteryPercent: 80 - sequence * 0.1,
  batteryVoltage: 40,
  odometerMeters: 0,
  assistLevel: 2,
  faultCodes: [],
  rideId: RIDE,
  ...extra,
});
const arrived = (r: Reading, msAgo = 5000): PendingReading => ({ reading: r, receivedAt: new Date(NOW.getTime() - msAgo) });

describe('track rules', () => {
  it('puts readings that arrived out of order back in order', () => {
    const cleaned = cleanBikeTrack(undefined, [arrived(reading(3, 2, 10)), arrived(reading(1, 0, 0)), arrived(reading(2, 1, 5))], NOW, SETTINGS);
    expect(cleaned.points.map((p) => p.reading.sequence)).toEqual([1, 2, 3]);
    expect(cleaned.points.reduce((sum, p) => sum + p.segmentMeters, 0)).toBeCloseTo(10, 0);
  });

  it('holds a reading whose predecessor may still arrive, until the window closes', () => {
    const state = cleanBikeTrack(undefined, [arrived(reading(1, 0, 0))], NOW, SETTINGS).state!;
    const early = cleanBikeTrack(state, [arrived(reading(3, 2, 10), 200)], NOW, SETTINGS);
    expect(early.points).toEqual([]);
    expect(early.held.map((h) => h.reading.sequence)).toEqual([3]);
    expect(early.wakeAt).toEqual(new Date(NOW.getTime() - 200 + 1000));
  });

  it('keeps a reading that comes after its successors were cleaned aside as late', () => {
    const state = cleanBikeTrack(undefined, [arrived(reading(1, 0, 0)), arrived(reading(3, 2, 10))], NOW, SETTINGS).state!;
    const late = cleanBikeTrack(state, [arrived(reading(2, 1, 5))], NOW, SETTINGS);
    expect(late.points).toEqual([]);
    expect(late.dropped.map((d) => d.rejection.rule)).toEqual(['order.late']);
  });

  it('drops and flags a GPS jump whose implied speed is impossible, and keeps the track going', () => {
    const cleaned = cleanBikeTrack(undefined, [arrived(reading(1, 0, 0)), arrived(reading(2, 1, 5000)), arrived(reading(3, 2, 10))], NOW, SETTINGS);
    expect(cleaned.dropped.map((d) => [d.reading.sequence, d.rejection.rule])).toEqual([[2, 'gps.jump']]);
    expect(cleaned.points.filter((p) => !p.filled).map((p) => p.reading.sequence)).toEqual([1, 3]);
  });

  it('fills a short gap by interpolation and marks the points as filled', () => {
    const cleaned = cleanBikeTrack(undefined, [arrived(reading(1, 0, 0)), arrived(reading(4, 3, 30))], NOW, SETTINGS);
    expect(cleaned.points.map((p) => [p.reading.sequence, p.filled])).toEqual([[1, false], [2, true], [3, true], [4, false]]);
    expect(cleaned.points[1].reading.latitude).toBeCloseTo(52.37 + 10 / 111_195, 7);
  });

  it('does not fill a gap that is too long, or that spans two rides', () => {
    const long = cleanBikeTrack(undefined, [arrived(reading(1, 0, 0)), arrived(reading(3, 60, 300))], NOW, SETTINGS);
    expect(long.points.some((p) => p.filled)).toBe(false);
    const twoRides = cleanBikeTrack(undefined, [arrived(reading(1, 0, 0)), arrived(reading(3, 2, 10, { rideId: randomUUID() }))], NOW, SETTINGS);
    expect(twoRides.points.some((p) => p.filled)).toBe(false);
    expect(twoRides.points[1].segmentMeters).toBe(0); // a new ride starts from zero
  });

  it('flags a speed over the speed-pedelec limit without dropping it', () => {
    const cleaned = cleanBikeTrack(undefined, [arrived(reading(1, 0, 0, { speedKmh: 48 }))], NOW, SETTINGS);
    expect(cleaned.points[0].flags).toEqual(['speed.over_pedelec_limit']);
  });

  it('counts energy from drops in charge only, times the pack capacity', () => {
    const cleaned = cleanBikeTrack(
      undefined,
      [arrived(reading(1, 0, 0, { batteryPercent: 80 })), arrived(reading(2, 1, 5, { batteryPercent: 79 })), arrived(reading(3, 2, 10, { batteryPercent: 79.5 }))],
      NOW,
      SETTINGS,
    );
    expect(cleaned.points.reduce((sum, p) => sum + p.segmentWh, 0)).toBeCloseTo(5, 6); // 1% of 500 Wh
  });
});

describe('CO2 avoided', () => {
  it('is the car trip minus the e-bike life cycle and the electricity used', () => {
    // 10 km: 10 × 170 − (10 × 7 + 0.1 kWh × 250) = 1700 − 95 = 1605 g
    expect(co2AvoidedGrams(10_000, 100, { carGramsPerKm: 170, ebikeLifecycleGramsPerKm: 7, gridGramsPerKwh: 250 })).toBeCloseTo(1605, 6);
  });
});
