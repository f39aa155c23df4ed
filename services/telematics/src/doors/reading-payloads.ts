// How a Reading travels on the wire, for every door: the proto3 JSON mapping, protobuf binary (base64
// in the raw zone), a CSV row (kept as a JSON object of its columns), and NDJSON, one reading a line.
// Decoding turns any of them into the same candidate object, which the rules' schema then judges;
// a payload that cannot be read at all gets a problem instead, which the rules refuse as `schema`.
import { Reading as ProtoReading } from '../../../platform/src/generated/ecowheels/telematics/v1/telematics_service';
import type { Arrival } from '../domain/reading';
import type { DecodedPayload } from '../domain/reading-rules';

/** A decoded protobuf Reading as a candidate for the schema (an unset time is refused there). */
export const candidateOfProto = (reading: ProtoReading): Record<string, unknown> => ({ ...reading, recordTime: reading.recordTime ?? '' });

/** A protobuf Reading as the raw zone keeps it: its bytes, in base64. */
export const protobufPayload = (reading: ProtoReading): string => Buffer.from(ProtoReading.encode(reading).finish()).toString('base64');

/** A line of NDJSON as a payload, or undefined for a blank line: a line that is not JSON is still an input, refused by the schema rule with its text kept. */
export function ndjsonPayload(line: string): Pick<Arrival, 'encoding' | 'payload'> | undefined {
  const payload = line.trim();
  return payload === '' ? undefined : { encoding: 'json', payload };
}

/** One payload per non-empty line. */
export function ndjsonPayloads(text: string): Pick<Arrival, 'encoding' | 'payload'>[] {
  return text.split('\n').flatMap((line) => ndjsonPayload(line) ?? []);
}

const camelCase = (name: string) => name.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());

/** Decodes an arrival's payload into a plain candidate object, or says why it cannot be read. */
export function decodePayload(arrival: Arrival): DecodedPayload {
  try {
    if (arrival.decoded) return { candidate: arrival.decoded };
    if (arrival.encoding === 'protobuf') {
      return { candidate: candidateOfProto(ProtoReading.decode(Buffer.from(arrival.payload, 'base64'))) };
    }
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
