// Package cloudflare is dmplan's Cloudflare backend: D1 and Workers KV through
// the Cloudflare REST API with cloudflare-go v6.
//
// Round trips are the cost, so every call maps to as few requests as the
// platform limits allow: Query is one /raw request, Batch is one request per
// chunk that fits the limits (normally one), GetMany is one bulk read per 100
// keys and PutMany one bulk write per 10,000 pairs or 100 MB.
//
// # Retries
//
// The SDK's own retries are off (it would replay any POST). Store retries by
// itself, at most Config.MaxAttempts times and within Config.MaxRetryWait of
// waiting, honouring Retry-After, and only when a replay cannot do harm:
//
//   - HTTP 429 is always retried: Cloudflare's rate limiter rejects the
//     request before it runs.
//   - A connection that could not be opened (a dial error) is always
//     retried: nothing was sent.
//   - HTTP 408/500/502/503/504, a dropped connection and a per-attempt
//     timeout are retried only for idempotent calls: every read (KV get, list,
//     bulk get, D1 statements that only read: SELECT, VALUES, EXPLAIN, plain
//     PRAGMA reads, WITH without a write), KV puts and deletes (writing the same
//     value or deleting the same key twice leaves the same state), and D1
//     statements the caller marks idempotent, with backend.Stmt.Idempotent
//     or WithIdempotent on the context (for example DDL with IF NOT EXISTS
//     and INSERT … ON CONFLICT upserts of fixed values: the runtime marks
//     its upserts and deletes by key this way). A batch is replayed only
//     when every write in it is marked.
//   - Any other D1 write is sent once. Its error says the outcome is unknown:
//     it wraps backend.ErrOutcomeUnknown and the *cloudflare.Error or
//     transport error.
//   - A write retried until the attempts or the wait budget ran out, when
//     some attempt may have run (no answer, 408, 5xx; not a 429), has an
//     unknown outcome too: its error wraps backend.ErrOutcomeUnknown.
//   - Creating a KV namespace is sent once; after an ambiguous failure the
//     namespace list is read again, so a namespace created despite the error
//     is found rather than created twice.
//
// Every attempt has its own timeout (Config.RequestTimeout); the caller's
// context bounds the whole call.
//
// # Batches and atomicity
//
// D1 runs one REST batch as one transaction. Batch sends all statements in one
// request unless that request would exceed MaxBatchBytes; only then is it
// split, each request atomic on its own, and an error names which part failed
// and that the earlier parts were committed.
package cloudflare
