CREATE TABLE flags (
  key TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT '',
  enabled BOOLEAN NOT NULL DEFAULT FALSE,
  rollout_percent INTEGER NOT NULL DEFAULT 0 CHECK (rollout_percent BETWEEN 0 AND 100),
  archived BOOL NOT NULL DEFAULT 0,
  rules JSON,
  updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE flag_overrides (
  flag_key TEXT NOT NULL REFERENCES flags (key) ON DELETE CASCADE ON UPDATE CASCADE,
  subject TEXT NOT NULL,
  enabled BOOLEAN NOT NULL,
  PRIMARY KEY (flag_key, subject)
);
CREATE INDEX flags_enabled ON flags (enabled) WHERE archived = 0;
INSERT INTO flags (key, description, enabled, rollout_percent, rules) VALUES ('new_editor', 'The block editor', TRUE, 25, '[{"country":"NZ"}]'), ('dark_mode', '', FALSE, 0, NULL);
INSERT INTO flag_overrides VALUES ('new_editor', 'user:42', TRUE);
