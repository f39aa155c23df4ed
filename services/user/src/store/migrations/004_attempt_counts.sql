-- Attempt counts shared by every replica (failed logins, sign-ups, mail per address, confirmation
-- codes, identity checks), in the shape rate-limiter-flexible's PostgreSQL store reads and writes:
-- `key` is "<kind>:<hash of the counted key>", `expire` milliseconds since the epoch.
CREATE TABLE attempt_counts (
  key varchar(255) PRIMARY KEY,
  points integer NOT NULL DEFAULT 0,
  expire bigint
);

-- The sandbox mailer no longer keeps mail in the database: the codes in it were a way around the
-- hashes kept in `riders`. It writes files for the developer instead (providers/sandbox-mailer.ts).
DROP TABLE sandbox_mailbox;
