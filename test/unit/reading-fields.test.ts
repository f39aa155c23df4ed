// The Reading's fields are listed once (domain/reading-fields.ts): that list must be the proto's,
// field for field, since the store, the curated Parquet and the CSV columns are all written from it.
import { join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { Reading as ProtoReading } from '../../services/platform/src/generated/ecowheels/telematics/v1/telematics_service';
import { PROTO_ROOT } from '../../services/platform/src/grpc/server';
import { CSV_COLUMNS, CURATED_FIELDS, READING_FIELDS, STORED_FIELDS } from '../../services/telematics/src/domain/reading-fields';

const protoFields = () => {
  const definition = protoLoader.loadSync(join(PROTO_ROOT, 'ecowheels/telematics/v1/telematics_service.proto'), { keepCase: true, includeDirs: [PROTO_ROOT] });
  const reading = definition['ecowheels.telematics.v1.Reading'] as { type: { field: { name: string }[] } };
  return reading.type.field.map((field) => field.name);
};

describe('the Reading\'s fields, listed once', () => {
  it('names every field of the proto, in its order, by its proto and JSON names', () => {
    expect(Object.values(READING_FIELDS).map((field) => field.proto)).toEqual(protoFields());
    expect(Object.keys(READING_FIELDS)).toEqual(Object.keys(ProtoReading.fromPartial({})));
  });

  it('gives the database, the Parquet files and the CSV columns the same fields', () => {
    expect(STORED_FIELDS.map((field) => field.column)).toEqual(CURATED_FIELDS.map((field) => field.column));
    expect(CSV_COLUMNS).toEqual(STORED_FIELDS.map((field) => field.proto));
    // Only the unit's trace context is not kept beyond the raw zone.
    expect(Object.values(READING_FIELDS).filter((field) => !('column' in field)).map((field) => field.proto)).toEqual(['traceparent']);
  });
});
