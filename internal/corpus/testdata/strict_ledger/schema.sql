-- Double-entry bookkeeping with STRICT tables.
CREATE TABLE ledger_accounts (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('asset', 'liability', 'equity', 'income', 'expense')),
  parent_id INTEGER REFERENCES ledger_accounts (id)
) STRICT;
CREATE TABLE journal_entries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  posted_on TEXT NOT NULL,
  memo TEXT,
  reversal_of INTEGER UNIQUE REFERENCES journal_entries (id),
  attachment BLOB
) STRICT;
CREATE TABLE postings (
  entry_id INTEGER NOT NULL REFERENCES journal_entries (id) ON DELETE CASCADE,
  line INTEGER NOT NULL,
  account_id INTEGER NOT NULL REFERENCES ledger_accounts (id),
  amount_minor INTEGER NOT NULL CHECK (amount_minor <> 0),
  currency TEXT NOT NULL DEFAULT 'EUR',
  PRIMARY KEY (entry_id, line)
) STRICT, WITHOUT ROWID;
CREATE INDEX postings_account ON postings (account_id, entry_id);
INSERT INTO ledger_accounts (id, code, name, kind, parent_id) VALUES (1, '1000', 'Assets', 'asset', NULL), (2, '1010', 'Bank', 'asset', 1), (3, '4000', 'Sales', 'income', NULL);
INSERT INTO journal_entries (posted_on, memo) VALUES ('2024-06-30', 'Invoice 17 paid');
INSERT INTO postings VALUES (1, 1, 2, 12000, 'EUR'), (1, 2, 3, -12000, 'EUR');
