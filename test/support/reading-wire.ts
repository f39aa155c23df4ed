// Readings in protobuf binary as a unit could send them, beyond what the generated encoder writes:
// a record_time whose seconds or nanos no Date holds, and batches of readings already encoded.
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { Reading } from '../../services/platform/src/generated/ecowheels/telematics/v1/telematics_service';

/** A reading in protobuf binary whose record_time is the seconds and nanos given (the encoder takes a Date, which cannot hold them all). */
export function readingWithWireTime(reading: Record<string, unknown>, time: { seconds: bigint | number; nanos?: number }): Uint8Array {
  const writer = Reading.encode(Reading.fromJSON({ ...reading, recordTime: undefined }));
  return writer.uint32(26).fork().uint32(8).int64(time.seconds).uint32(16).int32(time.nanos ?? 0).join().finish();
}

/** A ReadingBatch (or an IngestRequest: the same field 1) of readings, some already in protobuf binary. */
export function encodedBatch(readings: (Reading | Uint8Array)[]): Uint8Array {
  const writer = new BinaryWriter();
  for (const reading of readings) writer.uint32(10).bytes(reading instanceof Uint8Array ? reading : Reading.encode(reading).finish());
  return writer.finish();
}
