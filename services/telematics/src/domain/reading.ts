// What a bike reports, once it has passed validation, and how things that arrive are described
// before and after: the door they came through, and the verdict of the rules.

/** A validated reading (units in the names; see telematics_service.proto for each field). */
export interface Reading {
  bikeId: string;
  sequence: number;
  recordedAt: Date;
  latitude: number;
  longitude: number;
  speedKmh: number;
  batteryPercent: number;
  batteryVoltage: number;
  odometerMeters: number;
  assistLevel: number;
  faultCodes: string[];
  /** Empty when no ride was active. */
  rideId?: string;
  /** The unit's own W3C trace context, when it sent one. */
  traceparent?: string;
}

/**
 * Readings in one batch at most, wherever readings travel together: a device's HTTPS batch, one
 * message of the gRPC stream, a chunk of a landing file or of a replay, one cleaning run. It bounds
 * what one flush, one statement and one Parquet write hold.
 */
export const BATCH_LIMIT = 5_000;

/** An accepted reading as the store keeps it: when and through which door it arrived. */
export interface AcceptedReading {
  reading: Reading;
  receivedAt: Date;
  door: Door;
}

/** How a reading came in. */
export type Door = 'mqtt' | 'http' | 'grpc' | 'file' | 'replay';

/** How an input's payload is written, so a replay can parse it exactly as it was first parsed. */
export type PayloadEncoding = 'json' | 'protobuf' | 'csv';

/**
 * One input as it arrived: a single reading's payload, not yet understood. This is what the raw
 * zone keeps, so a replay can run the rules again on exactly what arrived.
 */
export interface Arrival {
  door: Door;
  /** Who sent it: the bike whose credential connected, or "operator" for the gRPC stream and files. */
  sender: string;
  receivedAt: Date;
  encoding: PayloadEncoding;
  /** JSON text, a CSV row as a JSON object of its columns, or base64 protobuf. */
  payload: string;
}

/** The rules' names, as they appear in metrics, rejects and API answers (the README lists them). */
export type RejectRule =
  | 'schema'
  | 'device.unknown'
  | 'device.mismatch'
  | 'range.latitude'
  | 'range.longitude'
  | 'range.null_island'
  | 'range.battery'
  | 'range.speed'
  | 'range.voltage'
  | 'range.odometer'
  | 'range.assist_level'
  | 'time.invalid'
  | 'time.future'
  | 'time.too_old'
  | 'order.late'
  | 'gps.jump';

export interface Rejection {
  rule: RejectRule;
  reason: string;
  bikeId?: string;
  sequence?: number;
}

/** What happened to one input: taken in, already taken in before, or refused with a reason. */
export type Verdict = { kind: 'accepted'; reading: Reading } | { kind: 'duplicate'; reading: Reading } | { kind: 'rejected'; rejection: Rejection };

/**
 * What a door hears back for one input: the pipeline's verdict, or (on the production stream)
 * "queued": it passed the rules and is durable in JetStream; the processor decides later whether
 * it is new or a duplicate.
 */
export type IntakeVerdict = Verdict | { kind: 'queued'; reading: Reading };

/** Where a door hands its inputs: the pipeline itself, or the stream in front of it. */
export interface ReadingIntake {
  /** Resolves with a verdict per input, in order, once every input is durable; rejects if none may be acknowledged. */
  submit(arrivals: readonly Arrival[]): Promise<IntakeVerdict[]>;
}
