-- The fleet: stations, bikes, and each ride's hold on a bike.
CREATE TABLE stations (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  latitude double precision NOT NULL,
  longitude double precision NOT NULL,
  capacity integer NOT NULL CHECK (capacity > 0),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE bikes (
  id uuid PRIMARY KEY,
  model text NOT NULL,
  status text NOT NULL CHECK (status IN ('AVAILABLE', 'RESERVED', 'IN_RIDE', 'MAINTENANCE')),
  battery_percent integer NOT NULL CHECK (battery_percent BETWEEN 0 AND 100),
  latitude double precision NOT NULL,
  longitude double precision NOT NULL,
  station_id uuid REFERENCES stations (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- "Available bikes near a point" filters on status and a latitude band first.
CREATE INDEX bikes_available_by_position ON bikes (latitude, longitude) WHERE status = 'AVAILABLE';

CREATE TABLE reservations (
  -- One row per ride: the ride id is the idempotency key of reserve, unlock and release.
  ride_id uuid PRIMARY KEY,
  bike_id uuid NOT NULL REFERENCES bikes (id),
  status text NOT NULL CHECK (status IN ('RESERVED', 'UNLOCKED', 'RELEASED')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- A bike is held by at most one ride at a time, even if two reservations race.
CREATE UNIQUE INDEX reservations_one_holder_per_bike ON reservations (bike_id) WHERE status <> 'RELEASED';
