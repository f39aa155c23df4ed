-- A cleaning run is one batch over every shard its processor holds (domain/curation.ts explains
-- why): one query, one file per hour partition and one commit, however many shards it holds. So a
-- batch, its intent and its rejects outbox row name all their shards. `shard` keeps the first of
-- them (and an intent's `fence` that shard's fence): a processor of the version before this one
-- writes and reads only those, one shard a batch, so old and new processors can clean the same
-- database during a rolling update. Each side finds the other's leftovers: the old by a batch's
-- first shard, the new by any of its shards.
ALTER TABLE curation_intents ADD COLUMN shards integer[] NOT NULL DEFAULT '{}';
UPDATE curation_intents SET shards = ARRAY[shard];

ALTER TABLE curation_batches ADD COLUMN shards integer[] NOT NULL DEFAULT '{}';
UPDATE curation_batches SET shards = ARRAY[shard];

ALTER TABLE curation_rejects_outbox ADD COLUMN shards integer[] NOT NULL DEFAULT '{}';
UPDATE curation_rejects_outbox SET shards = ARRAY[shard];
