CREATE TABLE links (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  code VARCHAR(16) NOT NULL UNIQUE COLLATE BINARY,
  target_url TEXT NOT NULL CHECK (target_url LIKE 'http%'),
  owner TEXT,
  clicks INTEGER NOT NULL DEFAULT 0,
  expires_at DATETIME,
  created_at DATETIME NOT NULL DEFAULT (datetime('now'))
);
CREATE INDEX links_owner ON links (owner, created_at DESC);
CREATE TABLE clicks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  link_id INTEGER NOT NULL REFERENCES links (id) ON DELETE CASCADE,
  at DATETIME NOT NULL DEFAULT (datetime('now')),
  country TEXT,
  ua TEXT
);
CREATE INDEX clicks_link_at ON clicks (link_id, at);
INSERT INTO links (code, target_url, owner, clicks) VALUES ('abc123', 'https://example.com/a/very/long/path', 'ken', 2), ('zz', 'http://example.org', NULL, 0);
INSERT INTO clicks (link_id, country, ua) VALUES (1, 'US', 'Mozilla/5.0'), (1, 'JP', NULL);
