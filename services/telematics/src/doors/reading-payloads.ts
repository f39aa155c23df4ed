// How a Reading travels on the wire, for every door: the proto3 JSON mapping, protobuf binary (base64
// in the raw zone), a CSV row (kept as a JSON object of its columns), and NDJSON, one reading a line.
// Decoding turns any of them into the same candidate object, which the rules' schema then judges;
// a payload that cannot be read at all gets a problem instead, which the rules refuse as `schema`.
//
// Protobuf is read a little below the generated code, for one field: the generated decoder turns
// record_time into a Date, and a Timestamp beyond a Date's range into an Invalid Date (one that
// cannot even be encoded again). So a batch is split into each reading's own bytes, kept as they
// arrived, and record_time reaches the rules as the seconds and nanos that were sent.
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { Reading as ProtoReading } from '../../../platform/src/generated/ecowheels/telematics/v1/telematics_service';
import type { Arrival } from '../domain/reading';
import type { DecodedPayload } from '../domain/reading-rules';
import type { WireTimestamp } from '../domain/reading-time';

/** Field numbers: `readings` in ReadingBatch and IngestRequest, Reading's `record_time`, and Timestamp's two. */
const READINGS_FIELD = 1;
const RECORD_TIME_FIELD = 3;
const SECONDS_FIELD = 1;
const NANOS_FIELD = 2;

/** Each reading of a ReadingBatch or an IngestRequest, as its own bytes; throws when the message is not protobuf. */
export function protobufReadings(message: Uint8Array): Uint8Array[] {
  const reader = new BinaryReader(message);
  const readings: Uint8Array[] = [];
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    if (fieldNo === READINGS_FIELD && wireType === WireType.LengthDelimited) readings.push(reader.bytes());
    else reader.skip(wireType, fieldNo);
  }
  return readings;
}

/** A protobuf Reading's bytes as the raw zone keeps them: in base64. */
export const protobufPayload = (reading: Uint8Array): string => Buffer.from(reading.buffer, reading.byteOffset, reading.byteLength).toString('base64');

/** A Timestamp's seconds and nanos as sent; a field that occurs again merges into the one before, as protobuf says. */
function wireTimestamp(bytes: Uint8Array, before: WireTimestamp = { seconds: 0n, nanos: 0 }): WireTimestamp {
  const reader = new BinaryReader(bytes);
  const time = { ...before };
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    if (fieldNo === SECONDS_FIELD && wireType === WireType.Varint) time.seconds = BigInt(reader.int64());
    else if (fieldNo === NANOS_FIELD && wireType === WireType.Varint) time.nanos = reader.int32();
    else reader.skip(wireType, fieldNo);
  }
  return time;
}

/** A protobuf Reading as a candidate: the generated decoder's fields, and record_time as sent (absent when unset). */
function candidateOfProtobuf(bytes: Uint8Array): Record<string, unknown> {
  const reader = new BinaryReader(bytes);
  const others: Uint8Array[] = [];
  let recordTime: WireTimestamp | undefined;
  while (reader.pos < reader.len) {
    const start = reader.pos;
    const [fieldNo, wireType] = reader.tag();
    if (fieldNo === RECORD_TIME_FIELD && wireType === WireType.LengthDelimited) recordTime = wireTimestamp(reader.bytes(), recordTime);
    else {
      reader.skip(wireType, fieldNo);
      others.push(bytes.subarray(start, reader.pos));
    }
  }
  const { recordTime: _none, ...fields } = ProtoReading.decode(Buffer.concat(others));
  return recordTime ? { ...fields, recordTime } : fields;
}

/** A line of NDJSON as a payload, or undefined for a blank line: a line that is not JSON is still an input, refused by the schema rule with its text kept. */
export function ndjsonPayload(line: string): Pick<Arrival, 'encoding' | 'payload'> | undefined {
  const payload = line.trim();
  return payload === '' ? undefined : { encoding: 'json', payload };
}

/** One payload per non-empty line. */
export function ndjsonPayloads(text: string): Pick<Arrival, 'encoding' | 'payload'>[] {
  return text.split('\n').flatMap((line) => ndjsonPayload(line) ?? []);
}

/** Names already turned, since every reading repeats the same dozen: at most 64, so unknown names sent at random cannot grow it. */
const CAMEL_CASED = new Map<string, string>();
function camelCase(name: string): string {
  let camel = CAMEL_CASED.get(name);
  if (camel === undefined) {
    camel = name.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
    if (CAMEL_CASED.size < 64) CAMEL_CASED.set(name, camel);
  }
  return camel;
}

/** Decodes an arrival's payload into a plain candidate object, or says why it cannot be read. */
export function decodePayload(arrival: Arrival): DecodedPayload {
  try {
    if (arrival.encoding === 'protobuf') return { candidate: candidateOfProtobuf(Buffer.from(arrival.payload, 'base64')) };
    const parsed: unknown = JSON.parse(arrival.payload);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { problem: 'a reading must be a JSON object' };
    const candidate: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(parsed)) {
      if (value === null) continue; // proto3 JSON: null means the field's default
      candidate[camelCase(name)] = value;
    }
    if (arrival.encoding === 'csv' && typeof candidate.faultCodes === 'string') {
      candidate.faultCodes = candidate.faultCodes === '' ? [] : candidate.faultCodes.split(';');
    }
    return { candidate };
  } catch (error) {
    return { problem: `the payload is not a Reading in ${arrival.encoding === 'protobuf' ? 'protobuf binary' : 'JSON'}: ${(error as Error).message}` };
  }
}
