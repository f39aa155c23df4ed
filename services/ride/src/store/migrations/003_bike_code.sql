-- How the rider named the bike when starting the ride: the code printed on it, or the listing id
-- they found it under (which inventory replaces after every trip). bike_id is always the bike's own
-- id; the code only tells a retried start of the same tap from a start on another bike.
ALTER TABLE rides ADD COLUMN bike_code uuid;
