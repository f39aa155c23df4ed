-- Rides, with the progress of their start and end flows, so a retry or a restart can finish or
-- undo a flow that was cut short.
CREATE TABLE rides (
  id uuid PRIMARY KEY,
  rider_id uuid NOT NULL,
  bike_id uuid NOT NULL,
  idempotency_key text NOT NULL,
  status text NOT NULL
    CHECK (status IN ('STARTING', 'ACTIVE', 'ENDING', 'COMPLETED', 'CANCELLING', 'CANCELLED')),
  -- The start step being attempted (it and every earlier one may have happened):
  -- VERIFYING, RESERVING, AUTHORIZING, UNLOCKING. What to undo is read from it.
  start_step text NOT NULL CHECK (start_step IN ('VERIFYING', 'RESERVING', 'AUTHORIZING', 'UNLOCKING')),
  currency text NOT NULL,
  unlock_fee_minor bigint NOT NULL,
  per_minute_minor bigint NOT NULL,
  hold_minutes integer NOT NULL,
  hold_key text NOT NULL,
  start_time timestamptz,
  start_latitude double precision,
  start_longitude double precision,
  end_time timestamptz,
  end_latitude double precision,
  end_longitude double precision,
  end_battery_percent integer,
  fare_minor bigint,
  -- Why the start failed, and the kind of error, so a retry with the same key gets the same answer.
  failure_kind text,
  failure_reason text NOT NULL DEFAULT '',
  -- Whoever is driving the flow holds it until then; an expired lease lets recovery take over.
  lease_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (rider_id, idempotency_key)
);

-- A rider rides one bike at a time.
CREATE UNIQUE INDEX rides_one_open_ride_per_rider ON rides (rider_id)
  WHERE status IN ('STARTING', 'ACTIVE', 'ENDING');

CREATE INDEX rides_by_rider ON rides (rider_id, created_at DESC, id DESC);

-- Recovery looks for flows that are not finished.
CREATE INDEX rides_unfinished ON rides (lease_until) WHERE status IN ('STARTING', 'ENDING', 'CANCELLING');
