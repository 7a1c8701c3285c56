// Package cftest starts the Cloudflare REST harness (backend/cloudflare/harness:
// a Worker of ours run by miniflare on real workerd D1 and KV) for tests, and
// gives them its request log and fault switch. Its npm dependencies come from
// the committed lockfile: `npm ci --prefix backend/cloudflare/harness` (part
// of `make test`).
package cftest
