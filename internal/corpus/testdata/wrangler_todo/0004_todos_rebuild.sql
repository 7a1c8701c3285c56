-- Migration number: 0004 	 2024-05-20T09:00:00.000Z
-- done INTEGER -> completed_at; SQLite cannot drop a column with a
-- foreign key in place, so the table is rebuilt.
PRAGMA defer_foreign_keys = true;
CREATE TABLE new_todos (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  list_id INTEGER REFERENCES lists(id) ON DELETE SET NULL,
  title TEXT NOT NULL CHECK (length(title) <= 500),
  notes TEXT,
  priority INTEGER NOT NULL DEFAULT 2 CHECK (priority BETWEEN 1 AND 4),
  due_at DATETIME,
  completed_at DATETIME,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO new_todos (id, user_id, list_id, title, priority, due_at, completed_at, created_at)
  SELECT id, user_id, list_id, title, priority, due_at, CASE WHEN done = 1 THEN created_at END, created_at FROM todos;
DROP TABLE todos;
ALTER TABLE new_todos RENAME TO todos;
CREATE INDEX idx_todos_user ON todos(user_id);
CREATE INDEX idx_todos_list ON todos(list_id);
CREATE INDEX idx_todos_open ON todos(user_id, due_at) WHERE completed_at IS NULL;
PRAGMA defer_foreign_keys = false;
INSERT INTO d1_migrations (name) VALUES ('0004_todos_rebuild.sql');
