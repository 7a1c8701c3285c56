-- drizzle-orm's migrator for D1 records what it applied here.
CREATE TABLE IF NOT EXISTS __drizzle_migrations (
  id SERIAL PRIMARY KEY,
  hash text NOT NULL,
  created_at numeric
);
INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('9f3c1a7e5d0b', 1717000000000), ('41be02c8aa17', 1719000000000);
