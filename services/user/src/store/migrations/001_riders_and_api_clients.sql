-- Riders, their credentials, API clients, and the key that signs access tokens.
CREATE TABLE riders (
  id uuid PRIMARY KEY,
  email text NOT NULL UNIQUE,
  display_name text NOT NULL,
  password_hash text NOT NULL,
  status text NOT NULL CHECK (status IN ('ACTIVE', 'SUSPENDED')),
  verified boolean NOT NULL DEFAULT false,
  status_reason text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_clients (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  key_prefix text NOT NULL,
  -- SHA-256 of the whole key, hex. Keys are 256 random bits, so a fast hash is enough.
  key_hash text NOT NULL UNIQUE,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Used only when no key is configured (USER_TOKEN_PRIVATE_KEY): a key made at first start, kept
-- so that tokens survive a restart.
CREATE TABLE token_signing_keys (
  kid text PRIMARY KEY,
  private_key_pem text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
