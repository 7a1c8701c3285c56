// Package gwtest runs dmplan's gateway Worker for tests: gateway.mjs beside
// it starts the embedded script (backend/gateway/worker/gateway.js) under
// miniflare, so the script runs in real workerd on real D1 and KV
// bindings. One process serves several independent gateways (tenants), each
// with its own database, namespaces and secrets; a test takes one with
// Gateway.Tenant and gets it back wiped. It uses the npm packages of the
// Cloudflare REST harness (`npm ci --prefix backend/cloudflare/harness`,
// part of `make test`).
package gwtest
