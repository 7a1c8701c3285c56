package view

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// Wrangler configuration formats the bindings command prints.
const (
	WranglerJSONC = "jsonc"
	WranglerTOML  = "toml"
)

// D1Binding is one d1_databases entry. DatabaseName is empty when it is
// not shown (it came from env.X); DatabaseID is empty when the target has
// no D1 database id (the local backend).
type D1Binding struct {
	Binding      string
	DatabaseName string
	DatabaseID   string
	Comment      string // shown beside the entry
}

// KVBinding is one kv_namespaces entry. ID is empty when the namespace
// with Title does not exist in the target yet.
type KVBinding struct {
	Binding string
	ID      string
	Title   string
	Models  []string // the models stored in the namespace
}

// BindingsDoc is what the bindings command found for one environment.
type BindingsDoc struct {
	Target Target
	// WranglerEnv is the wrangler environment (`wrangler_env`) whose
	// bindings these are: they are printed under env.<name>.
	WranglerEnv string
	D1          []D1Binding
	KV          []KVBinding
}

// Bindings renders the bindings command. Bindings and Error each end the
// output; Error may follow Bindings when a namespace is missing.
type Bindings interface {
	Diagnostics(diags hcl.Diagnostics)
	Bindings(doc BindingsDoc)
	Error(err error)
}

// NewBindings returns the view printing format (WranglerJSONC or
// WranglerTOML) on the output stream; diagnostics and errors go to the
// error stream.
func NewBindings(format string, s Streams) Bindings {
	return &BindingsText{humanView: newHumanView(s), toml: format == WranglerTOML}
}

// BindingsText prints the entries as wrangler.jsonc or wrangler.toml text
// ready to paste, with comments naming the environment and each
// namespace's title.
type BindingsText struct {
	humanView
	toml bool
}

// Bindings prints the entries.
func (v *BindingsText) Bindings(doc BindingsDoc) {
	doc = clean(doc)
	var b strings.Builder
	if v.toml {
		writeTOML(&b, doc)
	} else {
		writeJSONC(&b, doc)
	}
	v.printf("%s", b.String())
}

func bindingsHeader(c string, doc BindingsDoc) string {
	return fmt.Sprintf("%s Bindings for %s (dmplan bindings).\n", c, doc.Target)
}

func kvComment(k KVBinding) string {
	if k.ID == "" {
		return fmt.Sprintf("namespace %s does not exist yet: run dmplan apply", k.Title)
	}
	return fmt.Sprintf("%s (%s)", k.Title, strings.Join(k.Models, ", "))
}

func bindingQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func writeJSONC(b *strings.Builder, doc BindingsDoc) {
	b.WriteString(bindingsHeader("//", doc))
	if doc.WranglerEnv == "" {
		writeJSONCBody(b, doc)
		return
	}
	// {"env": {"<name>": <body>}}, the body indented by 4
	var body strings.Builder
	writeJSONCBody(&body, doc)
	fmt.Fprintf(b, "{\n  \"env\": {\n    %s: ", bindingQuote(doc.WranglerEnv))
	lines := strings.Split(strings.TrimSuffix(body.String(), "\n"), "\n")
	for i, l := range lines {
		if i > 0 {
			b.WriteString("    ")
		}
		b.WriteString(l + "\n")
	}
	b.WriteString("  }\n}\n")
}

func writeJSONCBody(b *strings.Builder, doc BindingsDoc) {
	b.WriteString("{\n  \"d1_databases\": [\n")
	for i, d := range doc.D1 {
		fields := []string{`"binding": ` + bindingQuote(d.Binding)}
		if d.DatabaseName != "" {
			fields = append(fields, `"database_name": `+bindingQuote(d.DatabaseName))
		}
		if d.DatabaseID != "" {
			fields = append(fields, `"database_id": `+bindingQuote(d.DatabaseID))
		}
		fmt.Fprintf(b, "    { %s }%s", strings.Join(fields, ", "), listComma(i, len(doc.D1)))
		if d.Comment != "" {
			b.WriteString(" // " + d.Comment)
		}
		b.WriteString("\n")
	}
	b.WriteString("  ],\n  \"kv_namespaces\": [\n")
	for i, k := range doc.KV {
		fmt.Fprintf(b, "    { \"binding\": %s, \"id\": %s }%s // %s\n",
			bindingQuote(k.Binding), bindingQuote(k.ID), listComma(i, len(doc.KV)), kvComment(k))
	}
	b.WriteString("  ]\n}\n")
}

func listComma(i, n int) string {
	if i < n-1 {
		return ","
	}
	return ""
}

func writeTOML(b *strings.Builder, doc BindingsDoc) {
	b.WriteString(bindingsHeader("#", doc))
	prefix := ""
	if doc.WranglerEnv != "" {
		prefix = "env." + tomlKey(doc.WranglerEnv) + "."
	}
	for _, d := range doc.D1 {
		b.WriteString("\n[[" + prefix + "d1_databases]]\n")
		if d.Comment != "" {
			b.WriteString("# " + d.Comment + "\n")
		}
		fmt.Fprintf(b, "binding = %s\n", bindingQuote(d.Binding))
		if d.DatabaseName != "" {
			fmt.Fprintf(b, "database_name = %s\n", bindingQuote(d.DatabaseName))
		}
		if d.DatabaseID != "" {
			fmt.Fprintf(b, "database_id = %s\n", bindingQuote(d.DatabaseID))
		}
	}
	for _, k := range doc.KV {
		fmt.Fprintf(b, "\n[[%skv_namespaces]]\n# %s\nbinding = %s\nid = %s\n", prefix, kvComment(k), bindingQuote(k.Binding), bindingQuote(k.ID))
	}
}

// tomlKey is a TOML key: bare when it can be, else quoted.
func tomlKey(k string) string {
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return bindingQuote(k)
		}
	}
	if k == "" {
		return `""`
	}
	return k
}
