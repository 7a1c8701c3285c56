package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/dmplan/dmplan/hclspec"
)

func TestRedact(t *testing.T) {
	base := errors.New("open account 0123456789abcdef/database secretdb via https://api.example: token tok-XYZ rejected; account 01234567… unknown")
	// The account id is hidden whatever its source, shown as every view
	// shows it; other values only when they came from env.X.
	acct := "(sensitive, fingerprint 139e5b85)"
	tests := []struct {
		name      string
		sensitive map[string]bool
		want      string
	}{
		{name: "nothing from env", want: "open account " + acct + "/database secretdb via https://api.example: token tok-XYZ rejected; account " + acct + "… unknown"},
		{name: "account, whole and abbreviated", sensitive: map[string]bool{"account_id": true},
			want: "open account " + acct + "/database secretdb via https://api.example: token tok-XYZ rejected; account " + acct + "… unknown"},
		{name: "token and database", sensitive: map[string]bool{"api_token": true, "database": true},
			want: "open account " + acct + "/database (sensitive) via https://api.example: token (sensitive) rejected; account " + acct + "… unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := &hclspec.Target{AccountID: "0123456789abcdef", Database: "secretdb", APIToken: "tok-XYZ", Sensitive: tt.sensitive}
			got := redact(base, target)
			if got.Error() != tt.want {
				t.Errorf("redact =\n%s\nwant\n%s", got, tt.want)
			}
			if !errors.Is(got, base) {
				t.Errorf("redacted error does not unwrap to the original")
			}
		})
	}
}

type textOf string

func (s textOf) String() string { return string(s) }

// TestLoggerRedacts: the CLI's logger (the runtime's, the applier's and
// the backend's log lines) redacts what redact does in errors, in the
// message and in every attribute: strings, errors, Stringers, groups and
// attributes added with With; lines logged before a target is resolved
// pass unchanged.
func TestLoggerRedacts(t *testing.T) {
	var out bytes.Buffer
	c := newCLI(strings.NewReader(""), io.Discard, &out, func(k string) string {
		if k == "DMPLAN_LOG" {
			return "debug"
		}
		return ""
	})
	log := c.logger()
	log.Info("before any target 0123456789abcdef")
	if !strings.Contains(out.String(), "0123456789abcdef") {
		t.Fatalf("line before the target changed: %s", out.String())
	}
	out.Reset()
	c.target.Store(&hclspec.Target{AccountID: "0123456789abcdef", Database: "secretdb", APIToken: "tok-XYZ",
		Sensitive: map[string]bool{"account_id": true, "api_token": true}})
	log = c.logger().With("acct", "/accounts/0123456789abcdef/")
	log.Warn("request to 0123456789abcdef failed",
		"path", "/client/v4/accounts/0123456789abcdef/d1",
		"err", fmt.Errorf("post: %w", errors.New("token tok-XYZ rejected for 01234567…")),
		"shown", textOf("account 0123456789abcdef"),
		slog.Group("req", "url", "https://x/accounts/0123456789abcdef", "n", 3),
		"database", "secretdb")
	got := out.String()
	for _, secret := range []string{"0123456789abcdef", "01234567", "tok-XYZ"} {
		if strings.Contains(got, secret) {
			t.Errorf("log holds %q: %s", secret, got)
		}
	}
	acct := "(sensitive, fingerprint 139e5b85)"
	for _, want := range []string{`"request to ` + acct + ` failed"`, `path="/client/v4/accounts/` + acct + `/d1"`, `err="post: token (sensitive) rejected for ` + acct + `…"`,
		`shown="account ` + acct + `"`, `req.url="https://x/accounts/` + acct + `"`, "req.n=3", "database=secretdb", `acct="/accounts/` + acct + `/"`} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %s: %s", want, got)
		}
	}
}
