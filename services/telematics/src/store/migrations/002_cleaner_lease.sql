-- One cleaner at a time, however many processors share the database: the one whose lease this
-- row holds. A processor that stops renewing it (it died, or it has nothing to clean) loses it
-- when `until` passes, and another one takes over.
CREATE TABLE cleaner_lease (
  id smallint PRIMARY KEY CHECK (id = 1),
  holder text NOT NULL,
  until timestamptz NOT NULL
);
