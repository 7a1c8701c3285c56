-- Multi-tenant SaaS: every row carries its tenant; composite keys.
CREATE TABLE tenants (
  tenant_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  region TEXT NOT NULL DEFAULT 'weur',
  created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
) WITHOUT ROWID;
CREATE TABLE tenant_users (
  tenant_id TEXT NOT NULL REFERENCES tenants (tenant_id) ON DELETE CASCADE,
  user_id TEXT NOT NULL,
  email TEXT NOT NULL COLLATE NOCASE,
  role TEXT NOT NULL DEFAULT 'viewer',
  PRIMARY KEY (tenant_id, user_id),
  UNIQUE (tenant_id, email)
) WITHOUT ROWID;
CREATE TABLE documents (
  tenant_id TEXT NOT NULL,
  doc_id TEXT NOT NULL,
  owner_id TEXT NOT NULL,
  title TEXT NOT NULL,
  body TEXT,
  version INTEGER NOT NULL DEFAULT 1,
  updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (tenant_id, doc_id),
  FOREIGN KEY (tenant_id, owner_id) REFERENCES tenant_users (tenant_id, user_id) ON DELETE CASCADE
);
CREATE INDEX documents_owner ON documents (tenant_id, owner_id);
CREATE INDEX documents_recent ON documents (tenant_id, updated_at DESC);
INSERT INTO tenants (tenant_id, name) VALUES ('t_acme', 'Acme'), ('t_init', 'Initech');
INSERT INTO tenant_users VALUES ('t_acme', 'u1', 'Wile@Acme.test', 'admin'), ('t_init', 'u1', 'peter@initech.test', 'viewer');
INSERT INTO documents (tenant_id, doc_id, owner_id, title) VALUES ('t_acme', 'd1', 'u1', 'Rocket skates'), ('t_init', 'd1', 'u1', 'TPS report');
