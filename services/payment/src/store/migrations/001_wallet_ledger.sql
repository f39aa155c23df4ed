-- Wallets kept as an append-only ledger. The wallets row holds running totals for locking and fast
-- reads; it always equals the sum of the wallet's ledger entries.
CREATE TABLE wallets (
  rider_id uuid PRIMARY KEY,
  currency text NOT NULL,
  available_minor bigint NOT NULL DEFAULT 0,
  held_minor bigint NOT NULL DEFAULT 0 CHECK (held_minor >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE holds (
  hold_key text PRIMARY KEY,
  rider_id uuid NOT NULL REFERENCES wallets (rider_id),
  status text NOT NULL CHECK (status IN ('AUTHORIZED', 'CAPTURED', 'VOIDED')),
  currency text NOT NULL,
  authorized_minor bigint NOT NULL CHECK (authorized_minor >= 0),
  captured_minor bigint NOT NULL DEFAULT 0 CHECK (captured_minor >= 0),
  refunded_minor bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0 AND refunded_minor <= captured_minor),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ledger_entries (
  -- Order of writing; pages are cut on it.
  seq bigserial PRIMARY KEY,
  id uuid NOT NULL UNIQUE,
  rider_id uuid NOT NULL REFERENCES wallets (rider_id),
  kind text NOT NULL CHECK (kind IN ('TOP_UP', 'HOLD', 'CAPTURE', 'RELEASE', 'REFUND')),
  currency text NOT NULL,
  available_delta_minor bigint NOT NULL,
  held_delta_minor bigint NOT NULL,
  hold_key text REFERENCES holds (hold_key),
  description text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX ledger_entries_by_rider ON ledger_entries (rider_id, seq DESC);

-- Results of top-ups and refunds by idempotency key, so a retry returns the first answer.
CREATE TABLE idempotent_operations (
  idempotency_key text PRIMARY KEY,
  operation text NOT NULL,
  request_fingerprint text NOT NULL,
  result jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- The sandbox card processor's own record of charges, idempotent on the key like a real one.
CREATE TABLE sandbox_card_charges (
  idempotency_key text PRIMARY KEY,
  reference text NOT NULL UNIQUE,
  card_last4 text NOT NULL,
  amount_minor bigint NOT NULL,
  currency text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
