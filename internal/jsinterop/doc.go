// Package jsinterop tests dmplan's Go runtime and a JavaScript Worker
// writing the same records: the Worker is the harness's DataModel
// (backend/cloudflare/harness/jswriter.mjs), run by workerd on the same D1
// database and KV namespace the runtime reaches through the Cloudflare
// REST harness. The tests interleave Go and JS saves, shares and reads
// field type by field type, and check that no _auth entry is lost, that
// values keep the form their writer gave them, and that reconcile finds
// no drift where there is none (and names what a forbidden INSERT OR
// REPLACE did). It has no code of its own besides the test helpers.
package jsinterop
