-- Migration number: 0006 	 2024-08-01T07:15:00.000Z
ALTER TABLE users ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';
ALTER TABLE users ADD COLUMN last_seen_at DATETIME;
CREATE INDEX idx_users_last_seen ON users(last_seen_at DESC);
INSERT INTO d1_migrations (name) VALUES ('0006_users_timezone.sql');
