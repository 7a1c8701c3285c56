-- A cache table: blob values, key-only lookups.
CREATE TABLE cache_entries (
  cache_key TEXT NOT NULL PRIMARY KEY,
  value BLOB NOT NULL,
  content_type TEXT NOT NULL DEFAULT 'application/octet-stream',
  expires_at INTEGER NOT NULL,
  hits INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX cache_entries_expiry ON cache_entries (expires_at);
CREATE TABLE rate_limits (
  bucket TEXT NOT NULL,
  window_start INTEGER NOT NULL,
  count INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (bucket, window_start)
) WITHOUT ROWID;
INSERT INTO cache_entries VALUES ('img:logo', X'89504E470D0A1A0A', 'image/png', 1893456000, 3), ('json:feed', CAST('{"items":[]}' AS BLOB), 'application/json', 1893456000, 0);
INSERT INTO rate_limits VALUES ('ip:203.0.113.7', 1717000000, 17);
