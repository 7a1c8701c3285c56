package cftest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// JSModel is the model definition the harness's JavaScript writer
// (harness/jswriter.mjs) works with, as a Worker's own model file would
// declare it: Type is a dmplan field type (string, text, json, array,
// timestamp, integer, number, boolean); Columns are the D1 columns, the
// primary key first.
type JSModel struct {
	Name         string    `json:"name"`
	PK           string    `json:"pk"`
	Table        string    `json:"table"`
	KeyPattern   string    `json:"key_pattern"`
	Fields       []JSField `json:"fields"`
	Columns      []string  `json:"columns"`
	UserTracking bool      `json:"user_tracking"`
	Auth         bool      `json:"auth"`
	Timestamps   bool      `json:"timestamps"`
	SoftDelete   bool      `json:"soft_delete"`
}

// JSField is one field of a JSModel.
type JSField struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// JSWriter runs the harness's JavaScript DataModel on one D1 database and
// one KV namespace of an account, through their workerd bindings: what a
// Worker sharing the data with the Go runtime does.
type JSWriter struct {
	h         *Harness
	account   string
	database  string
	namespace string
	model     JSModel
}

// JSWriter returns a writer for the model on the database and namespace
// ids of the account.
func (h *Harness) JSWriter(account, databaseID, namespaceID string, model JSModel) *JSWriter {
	return &JSWriter{h: h, account: account, database: databaseID, namespace: namespaceID, model: model}
}

// ErrJS is wrapped by the errors the JavaScript writer reports (a record
// not found or forbidden, a D1 constraint).
var ErrJS = errors.New("js writer")

// Do runs one operation as user ("" for a system writer without auth
// checks): "create" and "replace" (data), "get", "update" (data),
// "share" and "unshare" (with), "delete". It returns the object the
// writer holds afterwards (nil for a get that finds nothing).
func (w *JSWriter) Do(ctx context.Context, user, op, id string, data map[string]any, with string) (map[string]any, error) {
	body := map[string]any{
		"account": w.account, "database": w.database, "namespace": w.namespace,
		"model": w.model, "op": op, "id": id, "data": data, "with": with,
	}
	if user != "" {
		body["user"] = user
	}
	var out struct {
		OK     bool            `json:"ok"`
		Result json.RawMessage `json:"result"`
		Error  string          `json:"error"`
	}
	if err := w.h.do(ctx, http.MethodPost, w.h.root+"/__jswriter", body, &out); err != nil {
		return nil, fmt.Errorf("js writer %s: %w", op, err)
	}
	if !out.OK {
		return nil, fmt.Errorf("%w %s: %s", ErrJS, op, out.Error)
	}
	var obj map[string]any
	if err := json.Unmarshal(out.Result, &obj); err != nil {
		return nil, fmt.Errorf("js writer %s: decode result: %w", op, err)
	}
	return obj, nil
}
