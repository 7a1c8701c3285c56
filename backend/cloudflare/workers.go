package cloudflare

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"

	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/cloudflare/cloudflare-go/v6/workers"
)

// The Workers calls of the gateway deploy (see the gateway block in the
// README): read a script's bindings, upload it, put it on workers.dev or
// a route. Like D1 and KV they go through Store.call, so they are counted,
// retried by the same rules and kept under the governor. Requests are
// built by cloudflare-go's workers services; the upload's multipart body
// and the settings answer are encoded and decoded here, because the SDK's
// binding types are a union of every binding kind Cloudflare has, and
// dmplan uses four.

// Binding types the gateway uses.
const (
	BindingD1          = "d1"
	BindingKVNamespace = "kv_namespace"
	BindingPlainText   = "plain_text"
	BindingSecretText  = "secret_text"
)

// WorkerBinding is one binding of a Worker script. Text is sent for
// plain_text and secret_text bindings; the API returns it for plain_text
// only. A WorkerBinding's String never shows Text.
type WorkerBinding struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	ID          string `json:"id,omitempty"`           // d1: the database id
	NamespaceID string `json:"namespace_id,omitempty"` // kv_namespace
	Text        string `json:"text,omitempty"`         // plain_text, secret_text
}

func (b WorkerBinding) String() string {
	switch b.Type {
	case BindingD1:
		return b.Type + " " + b.Name + "=" + b.ID
	case BindingKVNamespace:
		return b.Type + " " + b.Name + "=" + b.NamespaceID
	}
	return b.Type + " " + b.Name
}

// WorkerScript is a deployed script as its settings describe it.
type WorkerScript struct {
	Name              string
	CompatibilityDate string
	// Bindings as the API returns them: secret_text bindings carry no
	// text.
	Bindings []WorkerBinding
}

// WorkerUpload is a script upload: one ES module and its bindings.
type WorkerUpload struct {
	MainModule        string // the module's name, "gateway.js"
	Module            []byte
	CompatibilityDate string
	Bindings          []WorkerBinding
}

// WorkerRoute is a route of a zone.
type WorkerRoute struct {
	ID      string `json:"id"`
	Pattern string `json:"pattern"`
	Script  string `json:"script"`
}

// ErrScriptNotFound is returned by calls on a script the account lacks.
var ErrScriptNotFound = errors.New("cloudflare: worker script not found")

// scriptNotFound reports Cloudflare's answer for a missing script: HTTP
// 404 with code 10007.
func scriptNotFound(err error) bool {
	var apiErr *apiError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
		return false
	}
	for _, e := range apiErr.Errors {
		if e.Code == 10007 {
			return true
		}
	}
	return len(apiErr.Errors) == 0
}

// WorkerScript reads a script's settings: one request. A script the account
// does not have is (nil, nil).
func (s *Store) WorkerScript(ctx context.Context, name string) (*WorkerScript, error) {
	var raw struct {
		Result struct {
			CompatibilityDate string          `json:"compatibility_date"`
			Bindings          []WorkerBinding `json:"bindings"`
		} `json:"result"`
	}
	missing := false
	err := s.call(ctx, "workers get script settings", idempotent, func(ctx context.Context) error {
		var params workers.ScriptScriptAndVersionSettingGetParams
		present(&params.AccountID, s.cfg.AccountID)
		var body []byte
		_, err := s.scripts.ScriptAndVersionSettings.Get(ctx, name, params, option.WithResponseBodyInto(&body))
		if scriptNotFound(err) {
			missing = true
			return nil
		}
		if err != nil {
			return err
		}
		return json.Unmarshal(body, &raw)
	})
	if err != nil {
		return nil, fmt.Errorf("read worker %s: %w", name, err)
	}
	if missing {
		return nil, nil
	}
	return &WorkerScript{Name: name, CompatibilityDate: raw.Result.CompatibilityDate, Bindings: raw.Result.Bindings}, nil
}

// UploadWorker uploads (creates or replaces) a script with its module and
// bindings: one request. An upload replaces every binding, secrets
// included, so it always carries them all. The same upload twice leaves the
// same script, so it is retried like a read.
func (s *Store) UploadWorker(ctx context.Context, name string, up WorkerUpload) error {
	body, contentType, err := up.multipart()
	if err != nil {
		return fmt.Errorf("upload worker %s: %w", name, err)
	}
	err = s.call(ctx, "workers upload script", idempotentWrite, func(ctx context.Context) error {
		var params workers.ScriptUpdateParams
		present(&params.AccountID, s.cfg.AccountID)
		_, err := s.scripts.Update(ctx, name, params, option.WithRequestBody(contentType, bytes.NewReader(body)))
		return err
	})
	if err != nil {
		return fmt.Errorf("upload worker %s: %w", name, err)
	}
	return nil
}

// multipart encodes the upload as the API takes it: a "metadata" JSON part
// and one part per module, named by the module.
func (up WorkerUpload) multipart() ([]byte, string, error) {
	bindings := up.Bindings
	if bindings == nil {
		bindings = []WorkerBinding{}
	}
	md, err := json.Marshal(struct {
		MainModule        string          `json:"main_module"`
		CompatibilityDate string          `json:"compatibility_date"`
		Bindings          []WorkerBinding `json:"bindings"`
	}{up.MainModule, up.CompatibilityDate, bindings})
	if err != nil {
		return nil, "", err
	}
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="metadata"`)
	h.Set("Content-Type", "application/json")
	p, err := w.CreatePart(h)
	if err != nil {
		return nil, "", err
	}
	if _, err := p.Write(md); err != nil {
		return nil, "", err
	}
	h = textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, up.MainModule, up.MainModule))
	h.Set("Content-Type", "application/javascript+module")
	if p, err = w.CreatePart(h); err != nil {
		return nil, "", err
	}
	if _, err := p.Write(up.Module); err != nil {
		return nil, "", err
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

// WorkersDevEnabled reports whether the script is served on the account's
// workers.dev subdomain: one request.
func (s *Store) WorkersDevEnabled(ctx context.Context, name string) (bool, error) {
	var enabled bool
	err := s.call(ctx, "workers get script subdomain", idempotent, func(ctx context.Context) error {
		var params workers.ScriptSubdomainGetParams
		present(&params.AccountID, s.cfg.AccountID)
		res, err := s.scripts.Subdomain.Get(ctx, name, params)
		if err != nil {
			return err
		}
		enabled = res.Enabled
		return nil
	})
	if scriptNotFound(err) {
		return false, fmt.Errorf("worker %s: %w", name, ErrScriptNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("read worker %s subdomain: %w", name, err)
	}
	return enabled, nil
}

// EnableWorkersDev serves the script on the account's workers.dev
// subdomain: one request.
func (s *Store) EnableWorkersDev(ctx context.Context, name string) error {
	err := s.call(ctx, "workers enable script subdomain", idempotentWrite, func(ctx context.Context) error {
		var params workers.ScriptSubdomainNewParams
		present(&params.AccountID, s.cfg.AccountID)
		present(&params.Enabled, true)
		_, err := s.scripts.Subdomain.New(ctx, name, params)
		return err
	})
	if err != nil {
		return fmt.Errorf("enable workers.dev for worker %s: %w", name, err)
	}
	return nil
}

// WorkerRoutes lists a zone's Worker routes: one request.
func (s *Store) WorkerRoutes(ctx context.Context, zoneID string) ([]WorkerRoute, error) {
	var out []WorkerRoute
	err := s.call(ctx, "workers list routes", idempotent, func(ctx context.Context) error {
		var params workers.RouteListParams
		present(&params.ZoneID, zoneID)
		res, err := s.routes.List(ctx, params)
		if err != nil {
			return err
		}
		out = out[:0]
		for _, r := range res.Result {
			out = append(out, WorkerRoute{ID: r.ID, Pattern: r.Pattern, Script: r.Script})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list worker routes of zone %s: %w", zoneID, err)
	}
	return out, nil
}

// RouteWorker makes pattern on the zone run the script: nothing when a
// route already does, an update of the route with that pattern when it
// runs another script, else a new route. routes is the zone's list
// (WorkerRoutes); one request at most.
func (s *Store) RouteWorker(ctx context.Context, zoneID, pattern, script string, routes []WorkerRoute) error {
	for _, r := range routes {
		if r.Pattern != pattern {
			continue
		}
		if r.Script == script {
			return nil
		}
		err := s.call(ctx, "workers update route", idempotentWrite, func(ctx context.Context) error {
			var params workers.RouteUpdateParams
			present(&params.ZoneID, zoneID)
			present(&params.ID, r.ID)
			present(&params.Pattern, pattern)
			present(&params.Script, script)
			_, err := s.routes.Update(ctx, r.ID, params)
			return err
		})
		if err != nil {
			return fmt.Errorf("route %s to worker %s: %w", pattern, script, err)
		}
		return nil
	}
	err := s.call(ctx, "workers create route", unsafe, func(ctx context.Context) error {
		var params workers.RouteNewParams
		present(&params.ZoneID, zoneID)
		present(&params.Pattern, pattern)
		present(&params.Script, script)
		_, err := s.routes.New(ctx, params)
		return err
	})
	if err != nil {
		return fmt.Errorf("route %s to worker %s: %w", pattern, script, err)
	}
	return nil
}

// WorkersSubdomain returns the account's workers.dev subdomain: a script
// NAME on it is served at https://NAME.SUBDOMAIN.workers.dev. One request.
func (s *Store) WorkersSubdomain(ctx context.Context) (string, error) {
	var sub string
	err := s.call(ctx, "workers get account subdomain", idempotent, func(ctx context.Context) error {
		var params workers.SubdomainGetParams
		present(&params.AccountID, s.cfg.AccountID)
		res, err := s.subdomain.Get(ctx, params)
		if err != nil {
			return err
		}
		sub = res.Subdomain
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("read the account's workers.dev subdomain: %w", err)
	}
	return sub, nil
}
