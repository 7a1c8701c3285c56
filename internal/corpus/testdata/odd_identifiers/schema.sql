-- Names and SQL a hand-written schema has: reserved words as table and
-- column names, a dash, a space, unicode, a leading digit, mixed case in
-- tables, columns, REFERENCES and indexes, and what no model can declare
-- (ON CONFLICT, DEFERRABLE, PRIMARY KEY DESC, generated columns).
CREATE TABLE "order" ("group" INTEGER PRIMARY KEY, "select" TEXT, "from" TEXT NOT NULL DEFAULT 'x', "where" REAL);
CREATE TABLE "line-items" (id INTEGER PRIMARY KEY, qty INTEGER);
CREATE TABLE "Café" (id INTEGER PRIMARY KEY, "naïve" TEXT);
CREATE TABLE items (id INTEGER PRIMARY KEY, "Name" TEXT, "unit price" REAL, "user-id" INTEGER);
CREATE TABLE "table" (id TEXT PRIMARY KEY, "index" INTEGER, "key" TEXT UNIQUE);
CREATE INDEX "idx on order" ON "order"("select");
CREATE TABLE "123abc" (id INTEGER PRIMARY KEY);
INSERT INTO "order" VALUES (1,'a','b',1.5);
CREATE TABLE Authors (ID INTEGER PRIMARY KEY, Handle TEXT NOT NULL);
CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES AUTHORS(id) ON DELETE SET NULL, Title TEXT, "Year" INTEGER CHECK ("Year" > 1400), isbn TEXT, price NUMERIC(10,2) DEFAULT 9.99, rating REAL DEFAULT -1, flag BOOLEAN DEFAULT TRUE, tags TEXT DEFAULT '[]', note TEXT DEFAULT 'it''s', created TIMESTAMP DEFAULT (datetime('now','localtime')), big INTEGER DEFAULT 9007199254740993, hexd INTEGER DEFAULT 0x10, neg REAL DEFAULT -0.5, UNIQUE (isbn) ON CONFLICT REPLACE);
CREATE INDEX books_title ON books (title COLLATE NOCASE);
CREATE INDEX books_author_year ON books (Author_Id, "Year" DESC) WHERE author_id IS NOT NULL;
CREATE INDEX books_lower ON books (lower(Title), abs(rating));
CREATE TABLE kv (k TEXT PRIMARY KEY NOT NULL ON CONFLICT IGNORE, v BLOB) WITHOUT ROWID;
CREATE TABLE temp_x (id INTEGER PRIMARY KEY DESC, x TEXT);
CREATE TABLE ai (id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, x TEXT);
CREATE TABLE gen (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER GENERATED ALWAYS AS (a*2) VIRTUAL, c TEXT AS (upper(a)) STORED);
CREATE TABLE fk2 (a TEXT, b TEXT, c TEXT, PRIMARY KEY (a, b), FOREIGN KEY (a, b) REFERENCES fk2(b, a) DEFERRABLE INITIALLY DEFERRED);
INSERT INTO ai (x) VALUES ('a');
INSERT INTO Authors VALUES (1,'x');
INSERT INTO books (id, author_id, Title) VALUES (1,1,'T');
