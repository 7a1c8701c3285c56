package hclspec

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// HookEvents are the hook events in the order a record meets them.
var HookEvents = []string{BeforeCreate, AfterCreate, BeforeUpdate, AfterUpdate, BeforeDelete, AfterDelete}

// LogLevels are the levels a log action may use.
var LogLevels = []string{"debug", "info", "warn", "error"}

var hookSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "when"}},
	Blocks:     []hcl.BlockHeaderSchema{{Type: "webhook"}, {Type: "log"}},
}

var webhookSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "url", Required: true}, {Name: "event"}, {Name: "body"}, {Name: "secret"},
	},
}

var logSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{{Name: "message", Required: true}, {Name: "level"}},
}

// hookRoots are the variables hook expressions may reference.
var hookRoots = []string{"self", "changes", "env"}

// decodeHook decodes one hook block of model m.
func decodeHook(m *Model, blk *hcl.Block) (*Hook, hcl.Diagnostics) {
	h := &Hook{Event: blk.Labels[0], DeclRange: blk.DefRange}
	var diags hcl.Diagnostics
	if !contains(HookEvents, h.Event) {
		diags = append(diags, errorf(labelRange(blk, 0), "Unknown hook event",
			"There is no hook event %q. The events are: %s.", h.Event, strings.Join(HookEvents, ", ")))
	}
	content, cd := blk.Body.Content(hookSchema)
	diags = append(diags, cd...)
	if content == nil {
		return h, diags
	}
	if a, ok := content.Attributes["when"]; ok {
		h.When = a.Expr
		diags = append(diags, checkExpr(a.Expr, m)...)
	}
	var first = map[string]*hcl.Block{}
	for _, b := range content.Blocks {
		if prev, ok := first[b.Type]; ok {
			diags = append(diags, duplicate(b.DefRange, prev.DefRange, "Duplicate "+b.Type+" block",
				fmt.Sprintf("A %s action in this %s hook", b.Type, h.Event)))
			continue
		}
		first[b.Type] = b
		switch b.Type {
		case "webhook":
			w, wd := decodeWebhook(m, b)
			diags = append(diags, wd...)
			h.Webhook = w
		case "log":
			l, ld := decodeLog(m, b)
			diags = append(diags, ld...)
			h.Log = l
		}
	}
	if len(content.Blocks) == 0 {
		diags = append(diags, errorf(blk.DefRange, "Hook without action",
			"A hook needs a webhook or a log block; otherwise it does nothing."))
	}
	return h, diags
}

func decodeWebhook(m *Model, blk *hcl.Block) (*Webhook, hcl.Diagnostics) {
	w := &Webhook{DeclRange: blk.DefRange}
	content, diags := blk.Body.Content(webhookSchema)
	if content == nil {
		return w, diags
	}
	for name, dst := range map[string]*hcl.Expression{
		"url": &w.URL, "event": &w.Event, "body": &w.Body, "secret": &w.Secret,
	} {
		if a, ok := content.Attributes[name]; ok {
			*dst = a.Expr
		}
	}
	for _, a := range sortedAttrs(content.Attributes) {
		diags = append(diags, checkExpr(a.Expr, m)...)
	}
	if a, ok := content.Attributes["event"]; ok {
		diags = append(diags, noEnv(a, "The webhook event name is sent in a header and logged")...)
	}
	if a, ok := content.Attributes["url"]; ok && len(a.Expr.Variables()) == 0 {
		u, ud := staticString(a)
		diags = append(diags, ud...)
		if !ud.HasErrors() && !isURL(u) {
			diags = append(diags, errorf(a.Expr.Range(), "Invalid webhook URL",
				"The webhook url must be an absolute http or https URL."))
		}
	}
	return w, diags
}

func decodeLog(m *Model, blk *hcl.Block) (*LogAction, hcl.Diagnostics) {
	l := &LogAction{Level: "info", DeclRange: blk.DefRange}
	content, diags := blk.Body.Content(logSchema)
	if content == nil {
		return l, diags
	}
	if a, ok := content.Attributes["message"]; ok {
		l.Message = a.Expr
		diags = append(diags, checkExpr(a.Expr, m)...)
		diags = append(diags, noEnv(a, "A log message is logged")...)
	}
	if a, ok := content.Attributes["level"]; ok {
		lv, ld := staticString(a)
		diags = append(diags, ld...)
		if !ld.HasErrors() {
			if !contains(LogLevels, lv) {
				diags = append(diags, errorf(a.Expr.Range(), "Unknown log level",
					"The level must be one of %s.", strings.Join(LogLevels, ", ")))
			} else {
				l.Level = lv
			}
		}
	}
	return l, diags
}

// noEnv refuses an attribute that reads env.*: its value would be shown
// (what says where), and values from env never are, so the runtime would
// refuse the action on every event.
func noEnv(a *hcl.Attribute, what string) hcl.Diagnostics {
	for _, tr := range a.Expr.Variables() {
		if tr.RootName() == "env" {
			return hcl.Diagnostics{errorf(tr.SourceRange(), "Sensitive value in "+a.Name,
				"%s, and values from env are sensitive and never shown, so the hook would be refused on every event. Leave env out of %s.", what, a.Name)}
		}
	}
	return nil
}

// checkExpr checks a hook expression's references and function calls.
func checkExpr(expr hcl.Expression, m *Model) hcl.Diagnostics {
	return append(checkReferences(expr, m, hookRoots...), checkFunctions(expr)...)
}
