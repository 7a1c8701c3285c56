package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/dmplan/dmplan/runtime/webhook"
)

// A receiver checks the signature over the raw body before trusting it.
func ExampleVerifyRequest() {
	const secret = "whsec_example"
	received := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := webhook.VerifyRequest(r, secret, webhook.DefaultTolerance)
		if err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		received <- r.Header.Get(webhook.HeaderEvent) + " " + string(body[:26])
	}))
	defer srv.Close()

	sender := webhook.NewSender()
	sender.Send(webhook.Delivery{
		URL:      srv.URL,
		Secret:   secret,
		Event:    "page.completed",
		Model:    "PAGE",
		RecordID: "pg_1",
		Data:     map[string]any{"page_id": "pg_1"},
	})
	_ = sender.Close(context.Background()) // waits for the delivery
	fmt.Println(<-received)
	// Output: page.completed {"event":"page.completed",
}

// Sign is what the sender computes; receivers in other languages do the
// same: hex HMAC-SHA256 of "<timestamp>.<body>".
func ExampleSign() {
	fmt.Println(webhook.Sign("whsec_example", "1795704608", []byte(`{"event":"page.completed"}`)))
	// Output: sha256=de4f14f05f912bd946cd58998dd77143c24d7b0f619a903bbdf94b75793c2fe7
}
