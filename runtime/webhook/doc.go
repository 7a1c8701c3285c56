// Package webhook runs the hook blocks a Spec declares in HCL and delivers
// their webhooks in the background, signed, with timeouts and bounded
// retries, so the write that triggered a hook never waits for it and never
// fails because of it.
//
// # Running hooks
//
// A Runner evaluates the hooks of a model for one event (after_update,
// ...), in declaration order. For each hook it evaluates `when` over self
// (the record), changes (the changed fields with their new values) and env;
// every field of the model is present in both, null when absent, so
// `changes.status == "completed"` is simply false when status did not
// change. When the condition holds it runs the hook's log action (logged
// at its level through the Runner's logger) and then its webhook action.
// A Runner plugs into a Datastore as its runtime.HookRunner:
//
//	sender := webhook.NewSender(webhook.WithLogger(logger))
//	defer sender.Close(ctx) // on shutdown: deliver what is queued
//	runner := webhook.NewRunner(spec, sender, os.LookupEnv, logger)
//	ds, err := runtime.Open(ctx, spec, be, runtime.WithHookRunner(runner))
//
// The Datastore runs Go hooks first and HCL hooks after them, for before
// and after events alike. HCL hooks only observe: they log and send
// webhooks. Changing a record or rejecting a write is done by a hook
// registered in Go (Datastore.Hook). A webhook of a before event is sent
// when the hook runs, so it can announce a write that then fails.
//
// Nothing goes wrong loudly: an expression that cannot be evaluated, a
// missing environment variable or a failed delivery is logged at error
// level with the hook's file:line, and the operation carries on.
//
// # Secrets
//
// Values read from env.X are sensitive. A webhook may use them for its
// url, secret and body; they are sent but never logged. A URL from env is
// not logged at all, not even its host; other URLs are logged as scheme and
// host only. A log action whose message derives from env is refused.
// Evaluation errors are logged with their position and summary, never the
// values involved. Bodies and secrets are never logged.
//
// # Delivery
//
// Each delivery is an HTTP POST of a JSON Payload:
//
//	{
//	  "event": "page.completed",          // the hook's event, default "<model lower>.<event>"
//	  "model": "PAGE",
//	  "id": "pg_123",
//	  "data": {...},                      // the hook's body, default the record (without _auth)
//	  "changes": {"status": "completed"}, // {} for creates and deletes
//	  "occurred_at": "2026-11-27T14:50:08.123Z"
//	}
//
// with the headers
//
//	Content-Type: application/json
//	User-Agent: dmplan-webhook/1
//	X-Dmplan-Event: page.completed
//	X-Dmplan-Delivery: 0b6f...          (a UUID, the same on every retry)
//	X-Dmplan-Timestamp: 1795704608      (unix seconds; only when signed)
//	X-Dmplan-Signature: sha256=5257...  (only when signed)
//
// An answer of 2xx is success. Network errors, timeouts (10 s per attempt
// by default), 429 and 5xx are retried (3 times by default) after an
// exponential backoff with jitter (0.5 s, 1 s, 2 s, ... up to 30 s), or
// after the answer's Retry-After when it has one, up to the same cap. Other
// answers, redirects included, fail at once. The queue is bounded (1024
// deliveries by default): when it is full, a delivery is dropped and
// logged. Deliveries are at least once and, with several workers, not
// necessarily in order: use X-Dmplan-Delivery to drop repeats and
// occurred_at to order them.
//
// # Signatures
//
// When the webhook has a secret, the signature is the hex HMAC-SHA256,
// keyed with the secret, of the timestamp header, a dot and the raw body:
//
//	X-Dmplan-Signature: sha256=hex(HMAC-SHA256(secret, "<X-Dmplan-Timestamp>.<body>"))
//
// as Stripe does. A receiver recomputes it over the raw bytes it received
// (before any JSON decoding), compares in constant time, and refuses
// timestamps far from its clock to bound replays. Verify and VerifyRequest
// do exactly that:
//
//	body, err := webhook.VerifyRequest(r, secret, webhook.DefaultTolerance)
//	if err != nil {
//		http.Error(w, "bad signature", http.StatusUnauthorized)
//		return
//	}
package webhook
