-- When the bike's IoT unit made the reading its position and charge come from (null: never reported).
ALTER TABLE bikes ADD COLUMN telemetry_at timestamptz;
