-- The rider a reservation is for: while a bike is held, only that rider sees where it is.
-- Empty for reservations made before this column existed.
ALTER TABLE reservations ADD COLUMN rider_id uuid;
