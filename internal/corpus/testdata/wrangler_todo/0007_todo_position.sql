-- Migration number: 0007 	 2024-09-30T11:00:00.000Z
ALTER TABLE todos ADD COLUMN position REAL NOT NULL DEFAULT 0;
CREATE INDEX idx_todos_list_position ON todos(list_id, position);
INSERT INTO d1_migrations (name) VALUES ('0007_todo_position.sql');
