package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/internal/view"
)

// sensitive replaces a value that came from env.X wherever it is shown.
const sensitive = "(sensitive)"

// accountFingerprintPrefix is hashed before an account id, so its
// fingerprint is dmplan's own and matches no other tool's hash of the id.
const accountFingerprintPrefix = "dmplan account fingerprint v1\x00"

// shownAccount is how every view shows a Cloudflare account id, whether it
// came from env.X or is written in the HCL: never the id, but
// "(sensitive, fingerprint 1a2b3c4d)", the first 8 hex digits of a SHA-256
// over a fixed prefix and the id, so people can tell two accounts apart (a
// saved plan's and the environment's) without seeing either. Plans, JSON,
// markdown, history, logs and errors all use it. An account id is 32 random
// hex digits: 32 bits of its hash give nothing away.
func shownAccount(id string) string {
	if id == "" {
		return sensitive
	}
	sum := sha256.Sum256([]byte(accountFingerprintPrefix + id))
	return "(sensitive, fingerprint " + hex.EncodeToString(sum[:4]) + ")"
}

// resolveTarget evaluates the environment and makes a local path absolute
// against base, the directory the configuration was read from.
func (c *cli) resolveTarget(spec *hclspec.Spec, env, base string) (*hclspec.Target, hcl.Diagnostics) {
	t, diags := spec.ResolveEnvironment(env, c.lookupEnv)
	if diags.HasErrors() || t == nil {
		return nil, diags
	}
	if t.Backend == hclspec.BackendLocal {
		if t.Path == "" {
			t.Path = hclspec.DefaultLocalPath
		}
		if !filepath.IsAbs(t.Path) {
			t.Path = filepath.Join(base, t.Path)
		}
		t.Path = filepath.Clean(t.Path)
	}
	if t.Backend == hclspec.BackendWrangler {
		c.resolveWrangler(spec, t, base)
	}
	c.target.Store(t)
	return t, diags
}

// describe names the target for views: never a secret nor an account id
// (see shownAccount), local paths relative to the working directory when
// they are below it.
func (c *cli) describe(t *hclspec.Target) view.Target {
	d := view.Target{Environment: t.Environment, Backend: t.Backend}
	switch t.Backend {
	case hclspec.BackendLocal:
		d.Database = c.relPath(filepath.Join(t.Path, local.D1File))
		if t.Sensitive["path"] {
			d.Database = sensitive
		}
	case hclspec.BackendWrangler:
		d.Database = c.relPath(t.Path) + " (D1 binding " + t.Binding + ")"
	default:
		d.Database = t.Database
		if t.Sensitive["database"] {
			d.Database = sensitive
		}
		if t.AccountID != "" {
			d.Account = shownAccount(t.AccountID)
		}
	}
	return d
}

// relPath shows p relative to the working directory when it is inside it.
func (c *cli) relPath(p string) string {
	if c.wd == "" || !filepath.IsAbs(p) {
		return p
	}
	rel, err := filepath.Rel(c.wd, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return p
	}
	return rel
}

// openBackend opens the target's backend. readOnly (plan, show, history,
// bindings, reconcile without a fix) opens a local target with
// local.OpenReadOnlyOrEmpty (a file that does not exist yet reads as
// empty, so a D1 file lost beside a kept KV file still shows KV's
// namespaces and objects), so those commands never create or change a
// file there.
func (c *cli) openBackend(ctx context.Context, t *hclspec.Target, readOnly bool) (backend.Backend, error) {
	if t.Fleet != nil {
		return nil, fmt.Errorf("environment %s: %w: this command works on one database (plan, drift and apply take a fleet)", t.Environment, errFleetTarget)
	}
	switch t.Backend {
	case hclspec.BackendLocal:
		if readOnly {
			s, err := local.OpenReadOnlyOrEmpty(ctx, t.Path)
			if err != nil {
				return nil, fmt.Errorf("open local backend %s: %w", t.Path, err)
			}
			return s, nil
		}
		s, err := local.Open(ctx, t.Path)
		if err != nil {
			return nil, fmt.Errorf("open local backend %s: %w", t.Path, err)
		}
		return s, nil
	case hclspec.BackendCloudflare:
		return c.openCloudflare(ctx, t)
	case hclspec.BackendWrangler:
		return c.openWrangler(ctx, t, readOnly)
	default:
		return nil, fmt.Errorf("environment %s: unknown backend %q", t.Environment, t.Backend)
	}
}

// defaultEnv is the environment used without -env or DMPLAN_ENV: the
// embedded local one at DIR/.dmplan unless the configuration declares its
// own "local".
const defaultEnv = "local"

// envVar names the environment variable that sets the default environment
// (a CI job sets it once for every command); -env wins over it.
const envVar = "DMPLAN_ENV"

// envDefault is the environment a command uses without -env: DMPLAN_ENV,
// else "local".
func (c *cli) envDefault() string {
	if c.getenv != nil {
		if e := c.getenv(envVar); e != "" {
			c.envFromVar = e
			return e
		}
	}
	return defaultEnv
}

// envName is env as errors name it: with where it came from when that
// was DMPLAN_ENV, so a CI job's mistyped variable is found.
func (c *cli) envName(env string) string {
	if env != "" && env == c.envFromVar {
		return env + " (from " + envVar + ")"
	}
	return env
}

// envUsage is the -env flag's usage line for what the command does with
// the environment.
func envUsage(what string) string {
	return what + " (default $" + envVar + ", else \"local\")"
}

// targetKey identifies where a target points — the absolute local path, or
// the Cloudflare account and database — as a SHA-256, so a saved plan can
// be checked against the environment without holding a secret.
func targetKey(t *hclspec.Target) string {
	h := sha256.New()
	for _, s := range []string{t.Backend, t.Path, t.AccountID, t.Database} {
		fmt.Fprintf(h, "%d:%s;", len(s), s)
	}
	return hex.EncodeToString(h.Sum(nil))
}
