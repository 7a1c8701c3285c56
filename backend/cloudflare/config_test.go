package cloudflare

import (
	"context"
	"errors"
	"io"
	"net/http"
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
			name: "the API's address by default",
			cfg:  Config{AccountID: "acct", APIToken: "tok", Getenv: env(nil)},
			want: [3]string{"acct", "tok", "https://api.cloudflare.com/client/v4/"},
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
	if got, want := f.s.Describe(), "cloudflare database dmplan-test (test)"; got != want {
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

// TestOpenTalksToTheAPIByDefault: without BaseURL or CLOUDFLARE_BASE_URL
// the requests go to the Cloudflare API, with the token and no other
// credentials, even when the environment holds cloudflare-go's other
// variables.
func TestOpenTalksToTheAPIByDefault(t *testing.T) {
	t.Setenv("CLOUDFLARE_API_KEY", "global-key")
	t.Setenv("CLOUDFLARE_EMAIL", "someone@example.com")
	var got []*http.Request
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = append(got, r)
		body := `{"success":true,"errors":[],"messages":[],"result":[{"uuid":"0f2b6a31-1c3e-4d5f-8a9b-0c1d2e3f4a5b","name":"mydb"}],"result_info":{"page":1,"per_page":100,"count":1,"total_count":1}}`
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
	})}
	s, err := Open(context.Background(), Config{AccountID: "acc", APIToken: "tok", Database: "mydb", HTTPClient: client, Getenv: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1", len(got))
	}
	r := got[0]
	if r.URL.Scheme != "https" || r.URL.Host != "api.cloudflare.com" || r.URL.Path != "/client/v4/accounts/acc/d1/database" {
		t.Errorf("request to %s, want https://api.cloudflare.com/client/v4/accounts/acc/d1/database", r.URL)
	}
	if a := r.Header.Get("Authorization"); a != "Bearer tok" {
		t.Errorf("Authorization = %q", a)
	}
	for _, h := range []string{"X-Auth-Key", "X-Auth-Email", "X-Auth-User-Service-Key"} {
		if v := r.Header.Get(h); v != "" {
			t.Errorf("%s sent: %q", h, v)
		}
	}
	if s.DatabaseID() != "0f2b6a31-1c3e-4d5f-8a9b-0c1d2e3f4a5b" {
		t.Errorf("database id %q", s.DatabaseID())
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
