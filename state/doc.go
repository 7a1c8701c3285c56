// Package state holds the schema of a D1 database and its KV namespaces as
// plain data, for the desired side (derived from the spec) and the live side
// (inspected), with a stable fingerprint, and the records of past applies
// (HistoryRecord) as the applier stores them in the target.
package state
