INSERT INTO users (email, name, timezone) VALUES ('ada@example.com', 'Ada', 'Europe/London'), ('linus@example.com', 'Linus', 'UTC');
INSERT INTO lists (user_id, name) VALUES (1, 'Inbox'), (2, 'Work');
INSERT INTO todos (user_id, list_id, title, priority, due_at, position) VALUES
  (1, 1, 'Write the analytical engine notes', 1, '2024-10-01 09:00:00', 1.5),
  (1, 1, 'Buy tea', 3, NULL, 2),
  (2, 2, 'Review patches', 2, '2024-10-02 17:00:00', 1);
INSERT INTO tags (user_id, name) VALUES (1, 'home'), (1, 'Errand');
INSERT INTO todo_tags VALUES (2, 1), (2, 2);
