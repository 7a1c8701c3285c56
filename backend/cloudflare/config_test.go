package cloudflare

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestConfigResolve(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		name    string
		cfg     Config
		want    [3]string // account, token, base URL
		wantErr string
	}{
		{
			name: "fields win over the environment",
			cfg: Config{AccountID: "acct", APIToken: "tok", BaseURL: "http://x/client/v4",
				Getenv: env(map[string]string{EnvAccountID: "other", EnvAPIToken: "other", EnvBaseURL: "http://y/"})},
			want: [3]string{"acct", "tok", "http://x/client/v4/"},
		},
		{
			name: "empty fields come from the environment",
			cfg:  Config{Getenv: env(map[string]string{EnvAccountID: " acct ", EnvAPIToken: "tok", EnvBaseURL: "http://y/"})},
			want: [3]string{"acct", "tok", "http://y/"},
		},
		{
			name:    "no account",
			cfg:     Config{APIToken: "secret-token", Getenv: env(nil)},
			wantErr: "no account id: set account_id in the environment block or CLOUDFLARE_ACCOUNT_ID",
		},
		{
			name:    "no token",
			cfg:     Config{AccountID: "acct", Getenv: env(nil)},
			wantErr: "no API token: set api_token = env.X in the environment block or CLOUDFLARE_API_TOKEN",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.cfg.resolve()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrMissingCredentials) {
					t.Fatalf("err = %v, want ErrMissingCredentials saying %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "secret-token") {
					t.Fatalf("error shows the token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, [3]string{got.AccountID, got.APIToken, got.BaseURL}); diff != "" {
				t.Errorf("resolved (-want +got):\n%s", diff)
			}
			if got.RequestTimeout != DefaultRequestTimeout || got.MaxAttempts != DefaultMaxAttempts || got.MaxRetryWait != DefaultMaxRetryWait {
				t.Errorf("defaults not applied: %+v", got)
			}
		})
	}
}

// TestOpenUnknownDatabase checks the error for a database that does not
// exist, by name and by id, and that no message carries the token.
func TestOpenUnknownDatabase(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, ref := range []string{"no-such-db", "0f2b6a31-1c3e-4d5f-8a9b-0c1d2e3f4a5b"} {
		_, err := Open(context.Background(), Config{AccountID: f.acct, APIToken: f.h.Token, Database: ref, BaseURL: f.h.BaseURL, Getenv: noEnv})
		if !errors.Is(err, ErrDatabaseNotFound) {
			t.Errorf("Open(%q): err = %v, want ErrDatabaseNotFound", ref, err)
		}
		if err != nil && strings.Contains(err.Error(), f.h.Token) {
			t.Errorf("Open(%q): error shows the token: %v", ref, err)
		}
	}
	byID, err := Open(context.Background(), Config{AccountID: f.acct, APIToken: f.h.Token, Database: f.s.DatabaseID(), BaseURL: f.h.BaseURL, Getenv: noEnv})
	if err != nil {
		t.Fatalf("Open by id: %v", err)
	}
	if byID.DatabaseID() != f.s.DatabaseID() {
		t.Errorf("Open by id resolved %s, want %s", byID.DatabaseID(), f.s.DatabaseID())
	}
	if got, want := f.s.Describe(), "cloudflare account "+f.acct[:8]+"…/database dmplan-test (test)"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
	bad, err := Open(context.Background(), Config{AccountID: f.acct, APIToken: "wrong", BaseURL: f.h.BaseURL, Getenv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.KV().Namespaces(context.Background())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 {
		t.Errorf("wrong token: err = %v, want an *APIError with status 401", err)
	}
}
