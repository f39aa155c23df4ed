-- Devices on the production bus (NATS in operator mode): the NATS user the registry minted for each
-- bike (its public key, and when its JWT runs out), and whether an operator revoked the bike.
ALTER TABLE devices ADD COLUMN bus_user_key text;
ALTER TABLE devices ADD COLUMN bus_user_expires_at timestamptz;
ALTER TABLE devices ADD COLUMN revoked_at timestamptz;

-- Bus users cut off before their JWT ran out (a revocation, or a rotation that replaced them). The
-- account JWT's revocation list is rebuilt from these rows, so each must stay until its JWT has
-- expired, and no longer: the list has to fit in one NATS message.
CREATE TABLE device_bus_revocations (
  user_key text PRIMARY KEY,
  bike_id uuid NOT NULL,
  revoked_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
