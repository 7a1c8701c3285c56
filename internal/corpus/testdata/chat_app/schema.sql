CREATE TABLE rooms (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  is_private INTEGER NOT NULL DEFAULT 0 CHECK (is_private IN (0, 1)),
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE room_members (
  room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  member_id TEXT NOT NULL,
  joined_at INTEGER NOT NULL,
  last_read_message_id INTEGER,
  muted INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (room_id, member_id)
) WITHOUT ROWID;
CREATE INDEX room_members_member ON room_members (member_id);
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  author_id TEXT NOT NULL,
  body TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
  reply_to INTEGER REFERENCES messages (id) ON DELETE SET NULL,
  edited_at INTEGER,
  sent_at INTEGER NOT NULL
);
CREATE INDEX messages_room_id ON messages (room_id, id DESC);
CREATE INDEX messages_thread ON messages (reply_to) WHERE reply_to IS NOT NULL;
CREATE TABLE reactions (
  message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  member_id TEXT NOT NULL,
  emoji TEXT NOT NULL,
  PRIMARY KEY (message_id, member_id, emoji)
) WITHOUT ROWID;
INSERT INTO rooms VALUES ('general', 'General', 0, 'u1', 1717000000), ('ops', 'Ops', 1, 'u2', 1717000100);
INSERT INTO room_members (room_id, member_id, joined_at) VALUES ('general', 'u1', 1717000000), ('general', 'u2', 1717000050), ('ops', 'u2', 1717000100);
INSERT INTO messages (id, room_id, author_id, body, reply_to, sent_at) VALUES (1, 'general', 'u1', 'hello', NULL, 1717000200), (2, 'general', 'u2', 'hi!', 1, 1717000210);
INSERT INTO reactions VALUES (1, 'u2', '👋');
