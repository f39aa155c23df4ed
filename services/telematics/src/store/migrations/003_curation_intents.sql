-- The curated files a cleaning batch is about to write (its hour partitions), recorded before it
-- writes them and deleted by its commit. A holder that dies in between leaves its row, and the next
-- holder removes exactly those files before its own batch: no listing of a folder or a bucket.
CREATE TABLE curation_intents (
  batch_id bigint PRIMARY KEY,
  partitions text[] NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
