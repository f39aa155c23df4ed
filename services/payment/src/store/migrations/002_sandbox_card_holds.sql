-- The sandbox card processor holds, then captures or releases, as a real one does: each charge kept
-- so far was taken at once, so it is CAPTURED.
ALTER TABLE sandbox_card_charges ADD COLUMN status text NOT NULL DEFAULT 'CAPTURED' CHECK (status IN ('HELD', 'CAPTURED', 'RELEASED'));
