// Package worker is the gateway Worker itself: the embedded script
// (gateway.js), its version, the bindings it reads and the Config it
// learns from DMPLAN_CONFIG. It imports nothing of dmplan, so the planner
// and the deploy step can use it without depending on the backends;
// package backend/gateway (the Go client) re-exports all of it.
package worker

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

//go:embed gateway.js
var script []byte

// Version is the protocol and script version this package speaks and the
// embedded script reports in every response ("MAJOR.MINOR"). The script
// text changes only with a new Version (a test holds the two together), so
// a deployed gateway whose version differs from Version runs another
// script. See Speaks for which gateways a client accepts.
const Version = "1.1"

// CompatibilityDate is the Workers compatibility date to upload the script
// with.
const CompatibilityDate = "2025-04-01"

// MainModule is the file name to upload the script under (an ES module).
const MainModule = "gateway.js"

// Binding names the script reads. KV namespaces are bound under the
// project's own binding names (hclspec: binding_prefix + namespace), listed
// in Config.Namespaces.
const (
	// BindingD1 is the D1 binding of the environment's database.
	BindingD1 = "DMPLAN_D1"
	// BindingConfig is a plain_text binding holding Config as JSON.
	BindingConfig = "DMPLAN_CONFIG"
	// BindingSecret is a secret_text binding: the bearer token callers
	// present.
	BindingSecret = "DMPLAN_SECRET"
	// BindingSecretPrevious is an optional secret_text binding that is
	// accepted too, so a secret can be rotated without downtime.
	BindingSecretPrevious = "DMPLAN_SECRET_PREVIOUS"
)

// Script returns the Worker's ES module source (a copy).
func Script() []byte { return append([]byte(nil), script...) }

// Speaks reports whether a client of this package can use a gateway that
// reports version v: the same major version, and a minor version at least
// this package's (a newer script of the same major keeps every op older
// clients use).
func Speaks(v string) bool {
	major, minor, ok := parseVersion(v)
	if !ok {
		return false
	}
	wantMajor, wantMinor, _ := parseVersion(Version)
	return major == wantMajor && minor >= wantMinor
}

func parseVersion(v string) (major, minor int, ok bool) {
	a, b, found := strings.Cut(v, ".")
	if !found {
		return 0, 0, false
	}
	var err1, err2 error
	major, err1 = strconv.Atoi(a)
	minor, err2 = strconv.Atoi(b)
	return major, minor, err1 == nil && err2 == nil && major >= 0 && minor >= 0
}

// Config is what the Worker learns from its DMPLAN_CONFIG binding: which
// environment it serves and which KV namespace id each binding holds. It
// holds no secret.
type Config struct {
	// Version is the script version the config was written for (Version).
	Version     string `json:"version"`
	Project     string `json:"project"`
	Environment string `json:"environment"`
	// Database is the environment's D1 database, bound as BindingD1.
	Database Database `json:"database"`
	// Namespaces are the environment's KV namespaces, each bound under
	// its Binding. Callers address them by ID.
	Namespaces []Namespace `json:"namespaces"`
}

// Database names the D1 database a gateway is bound to.
type Database struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Namespace is one KV namespace binding of a gateway.
type Namespace struct {
	Binding string `json:"binding"`
	ID      string `json:"id"`
	Title   string `json:"title"`
}

// ErrInvalidConfig is wrapped by Config.Validate's errors.
var ErrInvalidConfig = errors.New("gateway: invalid config")

var bindingName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Validate checks what the Worker relies on: a database id, binding names
// that are JavaScript identifiers and not the script's own, unique binding
// names and namespace ids.
func (c Config) Validate() error {
	if c.Database.ID == "" {
		return fmt.Errorf("%w: no D1 database id", ErrInvalidConfig)
	}
	bindings := map[string]bool{}
	ids := map[string]bool{}
	for _, ns := range c.Namespaces {
		switch {
		case !bindingName.MatchString(ns.Binding):
			return fmt.Errorf("%w: KV binding %q is not a JavaScript identifier", ErrInvalidConfig, ns.Binding)
		case strings.HasPrefix(ns.Binding, "DMPLAN_"):
			return fmt.Errorf("%w: KV binding %q uses the gateway's reserved prefix DMPLAN_", ErrInvalidConfig, ns.Binding)
		case bindings[ns.Binding]:
			return fmt.Errorf("%w: KV binding %q appears twice", ErrInvalidConfig, ns.Binding)
		case ns.ID == "":
			return fmt.Errorf("%w: KV binding %q has no namespace id", ErrInvalidConfig, ns.Binding)
		case ids[ns.ID]:
			return fmt.Errorf("%w: KV namespace id %q is bound twice", ErrInvalidConfig, ns.ID)
		}
		bindings[ns.Binding] = true
		ids[ns.ID] = true
	}
	return nil
}

// JSON returns the config as the DMPLAN_CONFIG text.
func (c Config) JSON() string {
	b, _ := json.Marshal(c) // plain strings and slices: cannot fail
	return string(b)
}

// Binding types, as the Workers script upload metadata names them.
const (
	TypeD1          = "d1"
	TypeKVNamespace = "kv_namespace"
	TypePlainText   = "plain_text"
	TypeSecretText  = "secret_text"
)

// Binding is one entry of a script upload's metadata "bindings", in the
// Workers API's JSON shape: {"type":"d1","name":…,"id":…},
// {"type":"kv_namespace","name":…,"namespace_id":…},
// {"type":"plain_text"|"secret_text","name":…,"text":…}.
type Binding struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	ID          string `json:"id,omitempty"`           // d1: database id
	NamespaceID string `json:"namespace_id,omitempty"` // kv_namespace
	Text        string `json:"text,omitempty"`         // plain_text, secret_text
}

// String describes the binding without its text, so a secret never
// reaches a log through it.
func (b Binding) String() string {
	switch b.Type {
	case TypeD1:
		return fmt.Sprintf("%s %s=%s", b.Type, b.Name, b.ID)
	case TypeKVNamespace:
		return fmt.Sprintf("%s %s=%s", b.Type, b.Name, b.NamespaceID)
	}
	return fmt.Sprintf("%s %s", b.Type, b.Name)
}

// Bindings returns the metadata bindings of a gateway for c: the D1
// database, the config, each KV namespace and the secrets. secret and
// previous are the secret texts; an empty one is left out (for an upload
// that keeps the secrets already set, or sets them through the secrets
// API). The order is fixed: D1, config, namespaces in c's order, secrets.
func (c Config) Bindings(secret, previous string) ([]Binding, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	out := []Binding{
		{Type: TypeD1, Name: BindingD1, ID: c.Database.ID},
		{Type: TypePlainText, Name: BindingConfig, Text: c.JSON()},
	}
	for _, ns := range c.Namespaces {
		out = append(out, Binding{Type: TypeKVNamespace, Name: ns.Binding, NamespaceID: ns.ID})
	}
	if secret != "" {
		out = append(out, Binding{Type: TypeSecretText, Name: BindingSecret, Text: secret})
	}
	if previous != "" {
		out = append(out, Binding{Type: TypeSecretText, Name: BindingSecretPrevious, Text: previous})
	}
	return out, nil
}

// CheckSecret reports why a secret cannot be the gateway's: it travels
// in an Authorization header, where surrounding whitespace is trimmed and
// control characters are refused, so such a secret could never be
// presented. The error never holds the secret.
func CheckSecret(s string) error {
	if s == "" {
		return errors.New("the secret is empty")
	}
	if strings.TrimSpace(s) != s {
		return errors.New("the secret starts or ends with whitespace (a trailing newline from a file?), which an HTTP header cannot carry")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return fmt.Errorf("the secret holds a control character at byte %d, which an HTTP header cannot carry (generate one with `openssl rand -hex 32`)", i)
		}
	}
	return nil
}
