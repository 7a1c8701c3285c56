// Package backend declares the small interfaces through which dmplan reaches a
// D1 database and Workers KV: statements with bound parameters, atomic
// batches, and key-value namespaces. Concrete stores live in sub-packages
// (backend/local, backend/cloudflare); everything else depends only on these
// interfaces.
package backend
