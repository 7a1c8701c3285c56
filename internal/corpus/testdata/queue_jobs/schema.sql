-- A job queue polled by a cron Worker.
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL DEFAULT 'default',
  payload TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL DEFAULT 5,
  run_at INTEGER NOT NULL DEFAULT (unixepoch()),
  locked_until INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL DEFAULT (unixepoch()),
  CHECK (attempts <= max_attempts)
);
CREATE INDEX jobs_ready ON jobs (queue, run_at) WHERE status = 'pending';
CREATE INDEX jobs_locked ON jobs (locked_until) WHERE status = 'running';
CREATE INDEX jobs_recent_failures ON jobs (created_at DESC) WHERE status = 'failed';

CREATE TABLE job_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  started_at INTEGER NOT NULL,
  finished_at INTEGER,
  ok INTEGER CHECK (ok IN (0, 1))
);
CREATE INDEX job_runs_job ON job_runs (job_id, started_at DESC);

INSERT INTO jobs (queue, payload, status, attempts, run_at) VALUES
  ('email', '{"to":"a@example.com"}', 'pending', 0, 1717000000),
  ('email', '{"to":"b@example.com"}', 'failed', 5, 1717000000),
  ('default', '{"task":"rollup"}', 'done', 1, 1717000500);
INSERT INTO job_runs (job_id, started_at, finished_at, ok) VALUES (2, 1717000001, 1717000002, 0), (3, 1717000501, 1717000510, 1);
