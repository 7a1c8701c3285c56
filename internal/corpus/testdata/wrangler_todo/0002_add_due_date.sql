-- Migration number: 0002 	 2024-03-09T08:00:00.000Z
ALTER TABLE todos ADD COLUMN due_at DATETIME;
ALTER TABLE todos ADD COLUMN priority INTEGER NOT NULL DEFAULT 2;
INSERT INTO d1_migrations (name) VALUES ('0002_add_due_date.sql');
