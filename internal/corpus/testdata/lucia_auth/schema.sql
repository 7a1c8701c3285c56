-- lucia v3 with the D1 adapter: text ids, expires_at as unix seconds.
CREATE TABLE user (
  id TEXT NOT NULL PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  github_id INTEGER UNIQUE
);
CREATE TABLE session (
  id TEXT NOT NULL PRIMARY KEY,
  expires_at INTEGER NOT NULL,
  user_id TEXT NOT NULL,
  FOREIGN KEY (user_id) REFERENCES user(id)
);
CREATE INDEX session_user_id ON session (user_id);
CREATE TABLE email_verification_code (
  id INTEGER NOT NULL PRIMARY KEY,
  code TEXT NOT NULL,
  user_id TEXT NOT NULL UNIQUE,
  email TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  FOREIGN KEY (user_id) REFERENCES user(id)
);
INSERT INTO user VALUES ('usr_a1', 'margaret', '$argon2id$v=19$m=19456,t=2,p=1$abc$def', 1001), ('usr_b2', 'edsger', '$argon2id$v=19$m=19456,t=2,p=1$ghi$jkl', NULL);
INSERT INTO session VALUES ('ses_x', 1893456000, 'usr_a1');
INSERT INTO email_verification_code (code, user_id, email, expires_at) VALUES ('123456', 'usr_b2', 'edsger@example.com', 1893456000);
