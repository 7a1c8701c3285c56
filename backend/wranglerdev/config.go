package wranglerdev

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// ConfigNames are the file names wrangler looks for, in its order.
var ConfigNames = []string{"wrangler.json", "wrangler.jsonc", "wrangler.toml"}

// ErrNoConfig is returned by FindConfig when no wrangler configuration
// file is found.
var ErrNoConfig = errors.New("no wrangler configuration file (wrangler.json, wrangler.jsonc or wrangler.toml)")

// ErrReadConfig is wrapped by ReadConfig's errors: the file cannot be
// read or parsed.
var ErrReadConfig = errors.New("read wrangler configuration")

// ErrNoEnvironment is wrapped by ForEnv's error for an environment the
// configuration does not declare.
var ErrNoEnvironment = errors.New("no such wrangler environment")

// ErrNoDatabase is wrapped by Database's errors: the configuration binds
// no D1 database by that binding, none at all, or several and none was
// named.
var ErrNoDatabase = errors.New("no such D1 binding")

// FindConfig looks for the wrangler configuration as wrangler does: in dir,
// then in each parent directory, the first of ConfigNames that exists.
func FindConfig(dir string) (string, error) {
	d, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		for _, n := range ConfigNames {
			p := filepath.Join(d, n)
			if st, err := os.Stat(p); err == nil && !st.IsDir() {
				return p, nil
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("%w in %s or its parents", ErrNoConfig, dir)
		}
		d = parent
	}
}

// Config is the part of a wrangler configuration dmplan reads: the D1
// databases and KV namespaces bound to the Worker, per wrangler
// environment.
type Config struct {
	// Path is the file read.
	Path string `json:"-" toml:"-"`

	Name         string             `json:"name" toml:"name"`
	D1Databases  []D1Database       `json:"d1_databases" toml:"d1_databases"`
	KVNamespaces []KVNamespace      `json:"kv_namespaces" toml:"kv_namespaces"`
	Env          map[string]*Config `json:"env" toml:"env"`
}

// D1Database is one d1_databases entry.
type D1Database struct {
	Binding         string `json:"binding" toml:"binding"`
	DatabaseName    string `json:"database_name" toml:"database_name"`
	DatabaseID      string `json:"database_id" toml:"database_id"`
	MigrationsDir   string `json:"migrations_dir" toml:"migrations_dir"`
	MigrationsTable string `json:"migrations_table" toml:"migrations_table"`
}

// KVNamespace is one kv_namespaces entry.
type KVNamespace struct {
	Binding string `json:"binding" toml:"binding"`
	ID      string `json:"id" toml:"id"`
}

// DefaultMigrationsDir and DefaultMigrationsTable are wrangler's defaults
// for a database without migrations_dir or migrations_table.
const (
	DefaultMigrationsDir   = "migrations"
	DefaultMigrationsTable = "d1_migrations"
)

// ReadConfig reads a wrangler.json, wrangler.jsonc (JSON with comments and
// trailing commas) or wrangler.toml file.
func ReadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrReadConfig, err)
	}
	b = bytes.TrimPrefix(b, []byte("\ufeff")) // a byte order mark, as wrangler allows
	c := &Config{}
	if strings.HasSuffix(path, ".toml") {
		if _, err := toml.Decode(string(b), c); err != nil {
			return nil, fmt.Errorf("%w %s: %w", ErrReadConfig, path, err)
		}
	} else {
		dec := json.NewDecoder(bytes.NewReader(StripJSONC(b)))
		if err := dec.Decode(c); err != nil {
			return nil, fmt.Errorf("%w %s: %w", ErrReadConfig, path, err)
		}
	}
	c.Path = path
	return c, nil
}

// kindError is an error of a kind (errors.Is) whose message is its own.
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

func kindErr(kind error, format string, args ...any) error {
	return &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}
}

// ForEnv returns the configuration wrangler uses with --env name ("" for
// the top level). Bindings are not inherited by a wrangler environment:
// an environment without d1_databases has none.
func (c *Config) ForEnv(name string) (*Config, error) {
	if name == "" {
		return c, nil
	}
	e, ok := c.Env[name]
	if !ok || e == nil {
		names := make([]string, 0, len(c.Env))
		for n := range c.Env {
			names = append(names, n)
		}
		sort.Strings(names)
		its := "it declares none"
		if len(names) > 0 {
			its = "its environments: " + strings.Join(names, ", ")
		}
		return nil, kindErr(ErrNoEnvironment, "wrangler configuration %s has no environment %q (%s)", c.Path, name, its)
	}
	out := *e
	out.Path = c.Path
	return &out, nil
}

// Database returns the d1_databases entry with the binding, or, for
// binding "", the only one. An error says which bindings there are.
func (c *Config) Database(binding string) (*D1Database, error) {
	var names []string
	for i := range c.D1Databases {
		d := &c.D1Databases[i]
		if binding != "" && d.Binding == binding {
			return d, nil
		}
		names = append(names, d.Binding)
	}
	switch {
	case binding == "" && len(c.D1Databases) == 1:
		return &c.D1Databases[0], nil
	case len(c.D1Databases) == 0:
		return nil, kindErr(ErrNoDatabase, "wrangler configuration %s binds no D1 database (d1_databases)", c.Path)
	case binding == "":
		return nil, kindErr(ErrNoDatabase, "wrangler configuration %s binds %d D1 databases (%s): say which with binding = \"...\"", c.Path, len(names), strings.Join(names, ", "))
	}
	return nil, kindErr(ErrNoDatabase, "wrangler configuration %s binds no D1 database as %q (its d1_databases bindings: %s)", c.Path, binding, strings.Join(names, ", "))
}

// MigrationsPath is the directory wrangler d1 migrations reads for the
// database: migrations_dir, relative to the configuration file.
func (c *Config) MigrationsPath(d *D1Database) string {
	dir := d.MigrationsDir
	if dir == "" {
		dir = DefaultMigrationsDir
	}
	if filepath.IsAbs(dir) {
		return dir
	}
	return filepath.Join(filepath.Dir(c.Path), dir)
}

// StripJSONC turns JSON with comments (// and /* */) and trailing commas,
// as wrangler.jsonc allows, into JSON. Strings are kept as they are.
func StripJSONC(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					j++
				}
				j++
			}
			end := min(j+1, len(b))
			out = append(out, b[i:end]...)
			i = end - 1
		case c == '/' && i+1 < len(b) && b[i+1] == '/':
			for i < len(b) && b[i] != '\n' {
				i++
			}
			if i < len(b) {
				out = append(out, '\n')
			}
		case c == '/' && i+1 < len(b) && b[i+1] == '*':
			i += 2
			for i+1 < len(b) && (b[i] != '*' || b[i+1] != '/') {
				if b[i] == '\n' {
					out = append(out, '\n')
				}
				i++
			}
			i++
			out = append(out, ' ')
		case c == ',':
			// A comma followed (after blanks and comments) by } or ] is
			// dropped.
			rest := StripJSONC(b[i+1:])
			t := bytes.TrimLeft(rest, " \t\r\n")
			if len(t) > 0 && (t[0] == '}' || t[0] == ']') {
				return append(out, rest...)
			}
			out = append(out, ',')
			return append(out, rest...)
		default:
			out = append(out, c)
		}
	}
	return out
}
