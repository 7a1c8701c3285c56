CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  site_id TEXT NOT NULL,
  name TEXT NOT NULL,
  ts INTEGER NOT NULL DEFAULT (unixepoch('subsec') * 1000),
  visitor_hash BLOB NOT NULL,
  path TEXT NOT NULL,
  referrer TEXT,
  props TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(props)),
  duration_ms REAL
) STRICT;
CREATE INDEX events_site_ts ON events (site_id, ts DESC);
CREATE INDEX events_site_name ON events (site_id, name, ts);
CREATE INDEX events_country ON events (json_extract(props, '$.country')) WHERE json_extract(props, '$.country') IS NOT NULL;
CREATE INDEX events_path_lower ON events (site_id, lower(path));

CREATE TABLE daily_rollups (
  site_id TEXT NOT NULL,
  day TEXT NOT NULL,
  pageviews INTEGER NOT NULL DEFAULT 0,
  visitors INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (site_id, day)
) WITHOUT ROWID, STRICT;

INSERT INTO events (site_id, name, ts, visitor_hash, path, props, duration_ms) VALUES
  ('site_1', 'pageview', 1717000000000, X'0A0B0C0D', '/', '{"country":"FR"}', 1200.5),
  ('site_1', 'pageview', 1717000001000, X'0A0B0C0E', '/Pricing', '{}', NULL),
  ('site_1', 'signup', 1717000002000, X'0A0B0C0E', '/signup', '{"plan":"pro"}', NULL);
INSERT INTO daily_rollups VALUES ('site_1', '2024-05-29', 2, 2);
