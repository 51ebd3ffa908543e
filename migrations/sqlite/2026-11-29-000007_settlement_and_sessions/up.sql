-- What a deal settled on: delivered tonnes × the agreed price, in fen, written when it completes or
-- is cancelled part-way (the agreed amount stays as agreed).
ALTER TABLE deals ADD COLUMN settled_fen BIGINT;
-- Access tokens issued before the last password change or reset are refused.
ALTER TABLE users ADD COLUMN password_changed_at TIMESTAMP;
