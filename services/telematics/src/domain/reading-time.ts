// A reading's record_time, as the wire gives it, turned into a Date or refused with a reason (the
// `time.invalid` rule). The proto3 JSON mapping writes a Timestamp as RFC 3339 and nothing else;
// protobuf binary writes seconds and nanos, which the decoder hands over untouched because a
// protobuf Date cannot say "out of range". A Timestamp spans 0001-01-01 to 9999-12-31 UTC, nanos
// from 0 to 999,999,999: a value outside fits neither the contract nor a JavaScript Date, and must
// refuse its own reading, never the batch around it.

/** A google.protobuf.Timestamp as protobuf binary carries it (seconds may exceed a safe integer). */
export interface WireTimestamp {
  seconds: bigint;
  nanos: number;
}

/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in Unix seconds: a Timestamp's range. */
const MIN_SECONDS = -62_135_596_800;
const MAX_SECONDS = 253_402_300_799;

/** RFC 3339's date-time (section 5.6), with the fraction limited to the Timestamp's nanoseconds. */
const RFC_3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

const EXAMPLE = 'an RFC 3339 time such as 2026-11-26T09:30:00Z';

const isLeap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
/** Days in a month (1-12) of a year. */
const daysIn = (year: number, month: number) => (month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1]);

/** A record time as a Date, or why it is not one. */
export type RecordTime = { date: Date } | { problem: string };

/** Reads an RFC 3339 date-time exactly: no other form Date.parse would guess at. */
export function recordTimeOfText(text: string): RecordTime {
  const match = RFC_3339.exec(text);
  // Only a refusal quotes the text.
  const shown = () => JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
  if (!match) return { problem: `record_time ${shown()} is not ${EXAMPLE} (a fraction of up to 9 digits, and Z or an offset ±hh:mm, may follow the seconds)` };
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const [offsetHours, offsetMinutes] = [Number(match[10] ?? 0), Number(match[11] ?? 0)];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || offsetHours > 23 || offsetMinutes > 59) {
    return { problem: `record_time ${shown()} is not a date and time of the calendar; send ${EXAMPLE}` };
  }
  // A Timestamp assumes every minute has 60 seconds: RFC 3339's leap second (:60) has no value in it.
  if (second > 59) return { problem: `record_time ${shown()} is a leap second, which a Timestamp cannot hold; send :59` };
  const sign = match[9] === '-' ? -1 : 1;
  const local = new Date(0);
  local.setUTCFullYear(year, month - 1, day); // not Date.UTC, which takes years 0-99 as 1900-1999
  local.setUTCHours(hour, minute, second, Number((match[7] ?? '').padEnd(3, '0').slice(0, 3)));
  const millis = local.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
  if (millis < MIN_SECONDS * 1000 || millis >= (MAX_SECONDS + 1) * 1000) return { problem: `record_time ${shown()} is outside 0001-01-01 to 9999-12-31 UTC` };
  return { date: new Date(millis) };
}

/** Reads a protobuf Timestamp, refusing seconds or nanos outside what the Timestamp type allows. */
export function recordTimeOfWire({ seconds, nanos }: WireTimestamp): RecordTime {
  if (!Number.isInteger(nanos) || nanos < 0 || nanos > 999_999_999) {
    return { problem: `record_time nanos ${nanos} must be from 0 to 999,999,999` };
  }
  if (seconds < BigInt(MIN_SECONDS) || seconds > BigInt(MAX_SECONDS)) {
    return { problem: `record_time seconds ${seconds} is outside 0001-01-01 to 9999-12-31 UTC (${MIN_SECONDS} to ${MAX_SECONDS})` };
  }
  return { date: new Date(Number(seconds) * 1000 + Math.floor(nanos / 1_000_000)) };
}
