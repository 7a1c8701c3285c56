// Package local is dmplan's embedded backend: D1 as one SQLite file
// (d1.sqlite) and Workers KV as a second (kv.sqlite), both through the pure-Go
// modernc.org/sqlite driver. It enforces D1's and KV's platform limits, so a
// model that works locally does not fail on Cloudflare.
package local
