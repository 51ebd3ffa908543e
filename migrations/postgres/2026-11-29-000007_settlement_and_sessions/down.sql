ALTER TABLE users DROP COLUMN password_changed_at;
ALTER TABLE deals DROP COLUMN settled_fen;
