-- Cleaning in shards, each with a fenced lease (domain/curation.ts explains the protocol).
--
-- A bike belongs to shard mod(hashtext(bike_id::text) + 2^31, shard count) for as long as the
-- count stays the same; the count is the number of rows of cleaner_shards, made once from the
-- setting (changing it means stopping every processor first: see docs/telematics.md).
-- `fence` goes up whenever the lease passes to another holder (taken over when it ran out, or after
-- it was let go). A holder's commit checks, in its own transaction, that the shard still carries
-- its fence: a holder that stalled past its lease commits nothing once another one took over.
-- Every lease decision uses this database's clock (now()), never a processor's.
CREATE TABLE cleaner_shards (
  shard integer PRIMARY KEY,
  holder text,
  until timestamptz,
  fence bigint NOT NULL DEFAULT 0
);

-- The processors that clean, while they are awake: each takes a fair share of the shards.
CREATE TABLE cleaner_processors (
  holder text PRIMARY KEY,
  until timestamptz NOT NULL
);

DROP TABLE cleaner_lease;

-- Batch ids from a sequence: two holders never reuse one, so no batch's files are ever another's.
CREATE SEQUENCE curation_batch_ids;
SELECT setval('curation_batch_ids', coalesce((SELECT max(id) FROM curation_batches), 0) + 1, false);

ALTER TABLE curation_batches ADD COLUMN shard integer NOT NULL DEFAULT 0;

-- An intent now carries the shard and fence it was recorded under. A batch that will never commit
-- (its holder died or was fenced off) keeps its row, marked abandoned, once its files are removed:
-- the warehouse's readers leave out every batch with a row here, so a late write of a fenced-off
-- holder is never read, and the shard's next holder removes such files again.
ALTER TABLE curation_intents ADD COLUMN shard integer NOT NULL DEFAULT 0;
ALTER TABLE curation_intents ADD COLUMN fence bigint NOT NULL DEFAULT 0;
ALTER TABLE curation_intents ADD COLUMN abandoned_at timestamptz;

-- Waiting readings are taken oldest first (by arrival), so no bike always waits longest.
DROP INDEX readings_waiting;
CREATE INDEX readings_waiting ON readings (received_at, bike_id, sequence) WHERE curation_batch IS NULL;

-- A lease let go (a clean stop, an idle processor, a share given to another processor) ends at
-- once and keeps its last holder, so the next one knows it was handed over, not taken over.
ALTER TABLE cleaner_shards ADD COLUMN released boolean NOT NULL DEFAULT false;

-- What a batch dropped, committed with the batch and written to rejects/ after it: a batch that is
-- fenced off or dies before its commit leaves no reject behind, and one that commits keeps all of
-- them (whoever next cleans the shard writes what a crash left here).
CREATE TABLE curation_rejects_outbox (
  batch_id bigint PRIMARY KEY,
  shard integer NOT NULL,
  lines jsonb NOT NULL
);
