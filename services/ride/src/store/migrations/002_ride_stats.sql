-- The operations dashboard counts rides per hour of their start over the last day.
CREATE INDEX rides_by_start_time ON rides (start_time) WHERE start_time IS NOT NULL;
