-- The telematics service's tables: device credentials, every accepted reading once (the dedupe
-- key and the cleaner's queue), the cleaner's state per bike, the clean track, and per-ride totals.
CREATE TABLE devices (
  bike_id uuid PRIMARY KEY,
  -- SHA-256 of the device secret: the secret is 256 random bits, so it needs no slow hash.
  secret_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE readings (
  bike_id uuid NOT NULL,
  sequence bigint NOT NULL,
  recorded_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  door text NOT NULL,
  latitude double precision NOT NULL,
  longitude double precision NOT NULL,
  speed_kmh double precision NOT NULL,
  battery_percent double precision NOT NULL,
  battery_voltage double precision NOT NULL,
  odometer_meters double precision NOT NULL,
  assist_level integer NOT NULL,
  fault_codes text[] NOT NULL,
  ride_id uuid,
  -- The cleaning batch that decided this reading; null while it waits for the cleaner.
  curation_batch bigint,
  -- (bike, sequence) identifies a reading: whatever arrives twice is stored once.
  PRIMARY KEY (bike_id, sequence)
);

CREATE INDEX readings_waiting ON readings (bike_id, sequence) WHERE curation_batch IS NULL;

-- Each cleaning batch, recorded in the same transaction that marks its readings. A Parquet file
-- of a batch that is not here was written by a run that crashed before committing: it is removed.
CREATE TABLE curation_batches (
  id bigint PRIMARY KEY,
  reading_count integer NOT NULL,
  finished_at timestamptz NOT NULL DEFAULT now()
);

-- What the cleaner remembers of a bike: its last clean point.
CREATE TABLE bike_tracks (
  bike_id uuid PRIMARY KEY,
  last_sequence bigint NOT NULL,
  last_recorded_at timestamptz NOT NULL,
  latitude double precision NOT NULL,
  longitude double precision NOT NULL,
  battery_percent double precision NOT NULL,
  ride_id uuid,
  last_seen_at timestamptz NOT NULL
);

CREATE TABLE track_points (
  ride_id uuid NOT NULL,
  sequence bigint NOT NULL,
  recorded_at timestamptz NOT NULL,
  latitude double precision NOT NULL,
  longitude double precision NOT NULL,
  speed_kmh double precision NOT NULL,
  battery_percent double precision NOT NULL,
  filled boolean NOT NULL,
  PRIMARY KEY (ride_id, sequence)
);

CREATE TABLE ride_totals (
  ride_id uuid PRIMARY KEY,
  bike_id uuid NOT NULL,
  -- Asked of the ride service once per ride; null until then, or when it does not know the ride.
  rider_id uuid,
  rider_lookup text NOT NULL DEFAULT 'PENDING' CHECK (rider_lookup IN ('PENDING', 'FOUND', 'UNKNOWN')),
  distance_meters double precision NOT NULL DEFAULT 0,
  moving_seconds double precision NOT NULL DEFAULT 0,
  energy_wh double precision NOT NULL DEFAULT 0,
  reading_count integer NOT NULL DEFAULT 0,
  filled_count integer NOT NULL DEFAULT 0,
  first_recorded_at timestamptz NOT NULL,
  last_recorded_at timestamptz NOT NULL
);

CREATE INDEX ride_totals_by_rider ON ride_totals (rider_id) WHERE rider_id IS NOT NULL;
CREATE INDEX ride_totals_rider_pending ON ride_totals (ride_id) WHERE rider_lookup = 'PENDING';
