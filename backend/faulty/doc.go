// Package faulty wraps a backend.Backend so tests can fail the Nth call of
// a given kind (KV put, KV bulk put, D1 query, D1 batch, ...), before it
// reaches the store or after it took effect (how a timeout after a
// successful write looks), and count every call by kind. It is how the
// consistency tests put a failure at every write point of the runtime and
// the applier, on the local backend and on the Cloudflare harness alike.
package faulty
