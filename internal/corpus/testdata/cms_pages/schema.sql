-- A CMS with soft deletes: slugs are unique among live pages only.
CREATE TABLE authors (
  id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  email TEXT NOT NULL COLLATE NOCASE,
  bio TEXT
);
CREATE UNIQUE INDEX authors_email ON authors (email COLLATE NOCASE);
CREATE TABLE pages (
  id TEXT PRIMARY KEY,
  slug TEXT NOT NULL,
  title TEXT NOT NULL,
  body_md TEXT NOT NULL DEFAULT '',
  author_id TEXT REFERENCES authors (id) ON DELETE SET NULL,
  status TEXT NOT NULL DEFAULT 'draft',
  published_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  deleted_at TEXT
);
CREATE UNIQUE INDEX pages_slug_live ON pages (slug) WHERE deleted_at IS NULL;
CREATE INDEX pages_published ON pages (published_at DESC) WHERE status = 'published' AND deleted_at IS NULL;
CREATE INDEX pages_title ON pages (title COLLATE NOCASE);
CREATE TABLE page_revisions (
  page_id TEXT NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
  revision INTEGER NOT NULL,
  body_md TEXT NOT NULL,
  saved_at TEXT NOT NULL,
  PRIMARY KEY (page_id, revision)
);
INSERT INTO authors VALUES ('a1', 'Ida', 'Ida@Example.com', NULL);
INSERT INTO pages (id, slug, title, author_id, status, published_at, created_at, updated_at, deleted_at) VALUES
  ('p1', 'about', 'About us', 'a1', 'published', '2024-01-02T00:00:00Z', '2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', NULL),
  ('p0', 'about', 'About (old)', 'a1', 'published', '2023-01-02T00:00:00Z', '2023-01-01T00:00:00Z', '2023-01-02T00:00:00Z', '2024-01-01T00:00:00Z');
INSERT INTO page_revisions VALUES ('p1', 1, '# About', '2024-01-01T00:00:00Z'), ('p1', 2, '# About us', '2024-01-02T00:00:00Z');
