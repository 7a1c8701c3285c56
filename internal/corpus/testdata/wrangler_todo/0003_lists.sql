-- Migration number: 0003 	 2024-04-01T12:30:00.000Z
CREATE TABLE lists (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  color TEXT DEFAULT '#3b82f6'
);
ALTER TABLE todos ADD COLUMN list_id INTEGER REFERENCES lists(id) ON DELETE SET NULL;
CREATE INDEX idx_todos_list ON todos(list_id);
INSERT INTO d1_migrations (name) VALUES ('0003_lists.sql');
