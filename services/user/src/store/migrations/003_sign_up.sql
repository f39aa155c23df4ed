-- Sign-up through the public API. A rider who signs up may browse at once, but logs in by email
-- only once they have confirmed the address (a code mailed to it): until then `email` is null and
-- the address waits in `pending_email`, which is not unique. A sign-up with an address that is
-- taken therefore answers exactly like one with a free address, and the mail goes to the owner
-- instead (no email enumeration). Riders made by operators have a confirmed email from the start.
ALTER TABLE riders ALTER COLUMN email DROP NOT NULL;
ALTER TABLE riders ADD COLUMN pending_email text;
-- SHA-256 of the confirmation code, and when it stops being accepted.
ALTER TABLE riders ADD COLUMN email_code_hash text UNIQUE;
ALTER TABLE riders ADD COLUMN email_code_expires_at timestamptz;

-- Each identity check asked of the provider, and its outcome; the latest decides.
CREATE TABLE identity_checks (
  id uuid PRIMARY KEY,
  rider_id uuid NOT NULL REFERENCES riders (id),
  status text NOT NULL CHECK (status IN ('APPROVED', 'REJECTED', 'IN_REVIEW')),
  reason text NOT NULL DEFAULT '',
  provider_reference text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX identity_checks_by_rider ON identity_checks (rider_id, created_at DESC);

-- The sandbox mail provider's mailbox: what a real provider would have delivered.
CREATE TABLE sandbox_mailbox (
  id uuid PRIMARY KEY,
  to_address text NOT NULL,
  subject text NOT NULL,
  body text NOT NULL,
  sent_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sandbox_mailbox_by_address ON sandbox_mailbox (to_address, sent_at DESC);
