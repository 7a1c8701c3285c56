-- The Auth.js (NextAuth) D1 adapter's migration as it ships: every key
-- column NOT NULL, users' key with DEFAULT '' and the others DEFAULT NULL.
-- One change: sessions and verification_tokens list their key column
-- first (the adapter lists it second), because a table made from a model
-- puts the key first (hclspec orders key fields first), which the
-- recreate check would report.
CREATE TABLE IF NOT EXISTS "accounts" (
  "id" text NOT NULL,
  "userId" text NOT NULL DEFAULT NULL,
  "type" text NOT NULL DEFAULT NULL,
  "provider" text NOT NULL DEFAULT NULL,
  "providerAccountId" text NOT NULL DEFAULT NULL,
  "refresh_token" text DEFAULT NULL,
  "access_token" text DEFAULT NULL,
  "expires_at" number DEFAULT NULL,
  "token_type" text DEFAULT NULL,
  "scope" text DEFAULT NULL,
  "id_token" text DEFAULT NULL,
  "session_state" text DEFAULT NULL,
  "oauth_token_secret" text DEFAULT NULL,
  "oauth_token" text DEFAULT NULL,
  PRIMARY KEY (id)
);
CREATE TABLE IF NOT EXISTS "sessions" (
  "sessionToken" text NOT NULL,
  "id" text NOT NULL,
  "userId" text NOT NULL DEFAULT NULL,
  "expires" datetime NOT NULL DEFAULT NULL,
  PRIMARY KEY (sessionToken)
);
CREATE TABLE IF NOT EXISTS "users" (
  "id" text NOT NULL DEFAULT '',
  "name" text DEFAULT NULL,
  "email" text DEFAULT NULL,
  "emailVerified" datetime DEFAULT NULL,
  "image" text DEFAULT NULL,
  PRIMARY KEY (id)
);
CREATE TABLE IF NOT EXISTS "verification_tokens" (
  "token" text NOT NULL DEFAULT NULL,
  "identifier" text NOT NULL,
  "expires" datetime NOT NULL DEFAULT NULL,
  PRIMARY KEY (token)
);
INSERT INTO users (id, name, email) VALUES ('u1', 'Ada', 'ada@example.com');
INSERT INTO accounts (id, userId, type, provider, providerAccountId) VALUES ('a1', 'u1', 'oauth', 'github', '42');
INSERT INTO sessions (id, sessionToken, userId, expires) VALUES ('s1', 'tok1', 'u1', '2026-01-01T00:00:00.000Z');
INSERT INTO verification_tokens (identifier, token, expires) VALUES ('ada@example.com', 'vt1', '2026-01-01T00:00:00.000Z');
