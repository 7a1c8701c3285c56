-- Triggers write an audit trail of every change to accounts.
CREATE TABLE accounts (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  balance_cents INTEGER NOT NULL DEFAULT 0,
  frozen INTEGER NOT NULL DEFAULT 0,
  metadata TEXT CHECK (metadata IS NULL OR json_valid(metadata)),
  version INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  table_name TEXT NOT NULL,
  row_id TEXT NOT NULL,
  action TEXT NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
  old_values TEXT,
  new_values TEXT,
  at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX audit_log_row ON audit_log (table_name, row_id, id DESC);
CREATE TRIGGER accounts_audit_insert AFTER INSERT ON accounts BEGIN
  INSERT INTO audit_log (table_name, row_id, action, new_values)
  VALUES ('accounts', new.id, 'insert', json_object('owner', new.owner, 'balance_cents', new.balance_cents));
END;
CREATE TRIGGER accounts_audit_update AFTER UPDATE ON accounts BEGIN
  INSERT INTO audit_log (table_name, row_id, action, old_values, new_values)
  VALUES ('accounts', new.id, 'update', json_object('balance_cents', old.balance_cents), json_object('balance_cents', new.balance_cents));
END;
CREATE TRIGGER accounts_version AFTER UPDATE OF balance_cents ON accounts WHEN new.version = old.version BEGIN
  UPDATE accounts SET version = version + 1 WHERE id = new.id;
END;
CREATE VIEW recent_audit AS SELECT * FROM audit_log ORDER BY id DESC LIMIT 100;
INSERT INTO accounts (id, owner, balance_cents, metadata) VALUES ('acc_1', 'joan', 10000, '{"tier":"gold"}'), ('acc_2', 'claude', 0, NULL);
UPDATE accounts SET balance_cents = 9000 WHERE id = 'acc_1';
