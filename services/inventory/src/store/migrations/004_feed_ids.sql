-- The id a bike has in the public GBFS feed: random, and replaced after every trip, so that nobody
-- reading the feed can follow one bike (and so its riders) from trip to trip (GBFS 3.0's privacy
-- rule for vehicle_id). It is never the bike's own id.
ALTER TABLE bikes ADD COLUMN feed_id uuid NOT NULL DEFAULT gen_random_uuid();
CREATE UNIQUE INDEX bikes_by_feed_id ON bikes (feed_id);
