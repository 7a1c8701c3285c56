package webhook

import (
	"errors"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSignKnownVector(t *testing.T) {
	// Computed independently: HMAC-SHA256("whsec_example", `1795704608.{"event":"page.completed"}`).
	got := Sign("whsec_example", "1795704608", []byte(`{"event":"page.completed"}`))
	want := "sha256=de4f14f05f912bd946cd58998dd77143c24d7b0f619a903bbdf94b75793c2fe7"
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	now := time.Unix(1795704608, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	body := `{"event":"page.completed","id":"pg_1"}`
	sig := Sign("whsec_1", ts, []byte(body))
	tests := []struct {
		name      string
		secret    string
		timestamp string
		body      string
		signature string
		tolerance time.Duration
		at        time.Time
		want      error
	}{
		{"valid", "whsec_1", ts, body, sig, DefaultTolerance, now, nil},
		{"valid within tolerance", "whsec_1", ts, body, sig, DefaultTolerance, now.Add(4 * time.Minute), nil},
		{"no time check", "whsec_1", ts, body, sig, 0, now.Add(240 * time.Hour), nil},
		{"wrong secret", "whsec_2", ts, body, sig, DefaultTolerance, now, ErrInvalidSignature},
		{"tampered body", "whsec_1", ts, strings.Replace(body, "pg_1", "pg_2", 1), sig, DefaultTolerance, now, ErrInvalidSignature},
		{"timestamp not the signed one", "whsec_1", strconv.FormatInt(now.Unix()+1, 10), body, sig, DefaultTolerance, now, ErrInvalidSignature},
		{"missing prefix", "whsec_1", ts, body, strings.TrimPrefix(sig, "sha256="), DefaultTolerance, now, ErrInvalidSignature},
		{"not hex", "whsec_1", ts, body, "sha256=zz", DefaultTolerance, now, ErrInvalidSignature},
		{"empty signature", "whsec_1", ts, body, "", DefaultTolerance, now, ErrInvalidSignature},
		{"too old", "whsec_1", ts, body, sig, DefaultTolerance, now.Add(6 * time.Minute), ErrStaleTimestamp},
		{"from the future", "whsec_1", ts, body, sig, DefaultTolerance, now.Add(-6 * time.Minute), ErrStaleTimestamp},
		{"timestamp not a number", "whsec_1", "yesterday", body, sig, DefaultTolerance, now, ErrStaleTimestamp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verifyAt(tt.at, tt.secret, tt.timestamp, []byte(tt.body), tt.signature, tt.tolerance)
			if !errors.Is(err, tt.want) { // errors.Is(nil, nil) is true
				t.Fatalf("verify = %v, want %v", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), tt.secret) {
				t.Errorf("error %q holds the secret", err)
			}
		})
	}
}

func TestVerifyRequest(t *testing.T) {
	body := `{"event":"page.completed"}`
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	r := httptest.NewRequest("POST", "/hooks", strings.NewReader(body))
	r.Header.Set(HeaderTimestamp, ts)
	r.Header.Set(HeaderSignature, Sign("whsec_1", ts, []byte(body)))
	got, err := VerifyRequest(r, "whsec_1", DefaultTolerance)
	if err != nil {
		t.Fatalf("VerifyRequest: %v", err)
	}
	if string(got) != body {
		t.Errorf("body = %q, want %q", got, body)
	}

	r = httptest.NewRequest("POST", "/hooks", strings.NewReader(body))
	r.Header.Set(HeaderTimestamp, ts)
	if _, err := VerifyRequest(r, "whsec_1", DefaultTolerance); !errors.Is(err, ErrInvalidSignature) {
		t.Errorf("unsigned request: %v, want ErrInvalidSignature", err)
	}
}
