package cloudflare

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"
)

// Defaults for the Config fields left zero.
const (
	DefaultRequestTimeout = 60 * time.Second
	DefaultMaxAttempts    = 4
	DefaultMaxRetryWait   = 30 * time.Second
)

// Environment variables read when the matching Config field is empty, the
// same ones wrangler and cloudflare-go read.
const (
	EnvAPIToken  = "CLOUDFLARE_API_TOKEN"
	EnvAccountID = "CLOUDFLARE_ACCOUNT_ID"
	EnvBaseURL   = "CLOUDFLARE_BASE_URL"
)

// DefaultBaseURL is the Cloudflare API's address, used when neither
// Config.BaseURL nor CLOUDFLARE_BASE_URL sets another.
const DefaultBaseURL = "https://api.cloudflare.com/client/v4/"

// Config says which account, database and credentials to use.
type Config struct {
	// AccountID is the Cloudflare account id; empty means CLOUDFLARE_ACCOUNT_ID.
	AccountID string
	// APIToken is an API token with D1 Edit and Workers KV Storage Edit;
	// empty means CLOUDFLARE_API_TOKEN. It never appears in errors or logs.
	APIToken string
	// Database is the D1 database name or id. Empty leaves D1 unusable (KV
	// still works).
	Database string
	// BaseURL overrides the API base; empty means CLOUDFLARE_BASE_URL, then
	// DefaultBaseURL.
	BaseURL string
	// HTTPClient sends the requests; nil means a client without its own
	// timeout (each attempt gets RequestTimeout). Its Transport is wrapped to
	// count requests.
	HTTPClient *http.Client
	// Logger receives one debug line per request and a warning per retry;
	// nil discards.
	Logger *slog.Logger
	// Environment is the dmplan environment name ("production"), shown by
	// Describe and in logs.
	Environment string

	// RequestTimeout bounds each attempt; 0 means DefaultRequestTimeout.
	RequestTimeout time.Duration
	// MaxAttempts bounds attempts per call, retries included; 0 means
	// DefaultMaxAttempts.
	MaxAttempts int
	// MaxRetryWait bounds the total time spent waiting between attempts of
	// one call; 0 means DefaultMaxRetryWait.
	MaxRetryWait time.Duration

	// APIShare is the share of Cloudflare's API limit (APILimit requests
	// per APIWindow) this process keeps to, above 0 and at most 1; 0 means
	// DMPLAN_CLOUDFLARE_API_SHARE, then DefaultAPIShare. Every Store of the
	// process with the same share counts against one Governor. With a
	// BaseURL other than DefaultBaseURL the governor applies only when the
	// share is set (here or in the environment).
	APIShare float64
	// Governor, when set, is used instead of the shared one APIShare
	// picks (tests use one with a short window).
	Governor *Governor

	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
}

// ErrMissingCredentials is returned by Open when no account id or token is
// configured.
var ErrMissingCredentials = errors.New("cloudflare: missing credentials")

// resolve fills empty fields from the environment and defaults.
func (c Config) resolve() (Config, error) {
	getenv := c.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if c.AccountID == "" {
		c.AccountID = strings.TrimSpace(getenv(EnvAccountID))
	}
	if c.APIToken == "" {
		c.APIToken = strings.TrimSpace(getenv(EnvAPIToken))
	}
	if c.BaseURL == "" {
		c.BaseURL = strings.TrimSpace(getenv(EnvBaseURL))
	}
	if c.BaseURL == "" {
		c.BaseURL = DefaultBaseURL
	}
	if c.AccountID == "" {
		return c, errors.Join(ErrMissingCredentials, errors.New("no account id: set account_id in the environment block or "+EnvAccountID))
	}
	if c.APIToken == "" {
		return c, errors.Join(ErrMissingCredentials, errors.New("no API token: set api_token = env.X in the environment block or "+EnvAPIToken))
	}
	if c.BaseURL != "" && !strings.HasSuffix(c.BaseURL, "/") {
		c.BaseURL += "/"
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.MaxRetryWait <= 0 {
		c.MaxRetryWait = DefaultMaxRetryWait
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Governor == nil {
		explicit := c.APIShare != 0
		if c.APIShare == 0 {
			c.APIShare = DefaultAPIShare
			if v := getenv(EnvAPIShare); strings.TrimSpace(v) != "" {
				share, err := parseShare(v)
				if err != nil {
					return c, err
				}
				c.APIShare, explicit = share, true
			}
		}
		if !(c.APIShare > 0 && c.APIShare <= 1) {
			return c, fmt.Errorf("cloudflare: APIShare %v: the share of the API limit must be above 0 and at most 1", c.APIShare)
		}
		// Cloudflare's limit is the Cloudflare API's: another base URL (the
		// test harness, a proxy with limits of its own) is governed only
		// when a share is set explicitly.
		if explicit || c.BaseURL == DefaultBaseURL {
			c.Governor = SharedGovernor(c.APIShare)
		}
	} else if c.APIShare == 0 {
		c.APIShare = float64(c.Governor.Limit()) / APILimit
	}
	return c, nil
}
