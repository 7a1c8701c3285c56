// Package adopttest holds the round-trip tests of the adoption language
// for tables: tables made the way drizzle-kit, Prisma, wrangler migrations
// and hand-written SQL make them, described in HCL, planned against on a
// local SQLite file and on workerd's D1. It has no non-test code.
package adopttest
