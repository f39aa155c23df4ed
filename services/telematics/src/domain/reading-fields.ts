// The fields of a Reading, listed once. The proto (ecowheels.telematics.v1.Reading) is the contract;
// this table says what each field is called everywhere else: in the domain's Reading, in the service
// database, in the curated Parquet files and as a CSV column. The store, the warehouse, the landing
// folder's CSV and the rules' schema are all written from it, and a test holds it to the proto.
import type { Reading } from './reading';

/** How a field is kept: its domain name, its column (proto name: CSV and Parquet; `column`: the database), and its types. */
export interface ReadingField {
  /** The domain Reading's property. */
  key: keyof Reading;
  /** The proto field's name: the CSV column. */
  proto: string;
  /** The column in the service database and in the curated Parquet files, when they keep the field. */
  column?: string;
  /** The database column's type, as an array element type in an `unnest($n::type[])`. */
  sql?: 'uuid' | 'bigint' | 'timestamptz' | 'double precision' | 'int' | 'text[]';
  /** The curated Parquet column's DuckDB type. */
  parquet?: 'VARCHAR' | 'BIGINT' | 'TIMESTAMPTZ' | 'DOUBLE' | 'INTEGER' | 'VARCHAR[]';
}

/** Keyed by the proto3 JSON name (the candidate's property, before the rules turn it into a Reading). */
export const READING_FIELDS = {
  bikeId: { key: 'bikeId', proto: 'bike_id', column: 'bike_id', sql: 'uuid', parquet: 'VARCHAR' },
  sequence: { key: 'sequence', proto: 'sequence', column: 'sequence', sql: 'bigint', parquet: 'BIGINT' },
  recordTime: { key: 'recordedAt', proto: 'record_time', column: 'recorded_at', sql: 'timestamptz', parquet: 'TIMESTAMPTZ' },
  latitude: { key: 'latitude', proto: 'latitude', column: 'latitude', sql: 'double precision', parquet: 'DOUBLE' },
  longitude: { key: 'longitude', proto: 'longitude', column: 'longitude', sql: 'double precision', parquet: 'DOUBLE' },
  speedKmh: { key: 'speedKmh', proto: 'speed_kmh', column: 'speed_kmh', sql: 'double precision', parquet: 'DOUBLE' },
  batteryPercent: { key: 'batteryPercent', proto: 'battery_percent', column: 'battery_percent', sql: 'double precision', parquet: 'DOUBLE' },
  batteryVoltage: { key: 'batteryVoltage', proto: 'battery_voltage', column: 'battery_voltage', sql: 'double precision', parquet: 'DOUBLE' },
  odometerMeters: { key: 'odometerMeters', proto: 'odometer_meters', column: 'odometer_meters', sql: 'double precision', parquet: 'DOUBLE' },
  assistLevel: { key: 'assistLevel', proto: 'assist_level', column: 'assist_level', sql: 'int', parquet: 'INTEGER' },
  faultCodes: { key: 'faultCodes', proto: 'fault_codes', column: 'fault_codes', sql: 'text[]', parquet: 'VARCHAR[]' },
  rideId: { key: 'rideId', proto: 'ride_id', column: 'ride_id', sql: 'uuid', parquet: 'VARCHAR' },
  // The unit's trace context links its reading to the ingest span; the raw zone keeps it, nothing else does.
  traceparent: { key: 'traceparent', proto: 'traceparent' },
} as const satisfies Record<string, ReadingField>;

/** A Reading's proto3 JSON names: the properties of a candidate reading. */
export type ReadingJsonName = keyof typeof READING_FIELDS;

// Every property of the domain's Reading has exactly one field above (a compile-time check).
type Keys = (typeof READING_FIELDS)[ReadingJsonName]['key'];
const everyKey: Record<keyof Reading, true> = {} as Record<Keys, true>;
void everyKey;

const LIST: readonly ReadingField[] = Object.values(READING_FIELDS);

/** The fields the service database keeps, in the order of its columns. */
export const STORED_FIELDS = LIST.filter((field): field is Required<ReadingField> => field.column !== undefined);

/** The fields of a curated Parquet file, in order (the cleaner's own columns follow them). */
export const CURATED_FIELDS = LIST.filter((field): field is Required<ReadingField> => field.column !== undefined && field.parquet !== undefined);

/** The columns of a landing CSV file: the proto's field names (`fault_codes` separated by `;`). */
export const CSV_COLUMNS: readonly string[] = STORED_FIELDS.map((field) => field.proto);
