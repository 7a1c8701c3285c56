package operator_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/dmplan/dmplan/backend/local"
	"github.com/dmplan/dmplan/hclspec"
	"github.com/dmplan/dmplan/operator"
	"github.com/dmplan/dmplan/runtime"
)

// A service mounts the initialize handler behind an admin token; a deploy
// step then POSTs {"action":"system.initialize"} to create the tables and
// run the seeds. The second call finds nothing to do.
func ExampleInitializeHandler() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "dmplan-example")
	defer os.RemoveAll(dir)
	be, _ := local.Open(ctx, dir)
	defer be.Close()
	spec, _ := hclspec.LoadSources("app", map[string][]byte{"app.dm.hcl": []byte(`
model "SETTING" {
  options { user_tracking = false }
  field "name" {
    type     = string
    required = true
  }
  field "value" { type = string }
  d1 {
    table       = "settings"
    sync_fields = ["name", "value"]
  }
}

seed "SETTING" "theme" {
  condition = "if_missing"
  match     = ["name"]
  data      = { name = "theme", value = "dark" }
}
`)})
	ds, _ := runtime.Open(ctx, spec, be, runtime.WithLogger(slog.New(slog.DiscardHandler)))

	mux := http.NewServeMux()
	mux.Handle("/api/function", operator.InitializeHandler(ds, operator.HandlerOptions{AdminToken: "example-token"}))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for range 2 {
		req, _ := http.NewRequest("POST", srv.URL+"/api/function", strings.NewReader(`{"action":"system.initialize"}`))
		req.Header.Set("Authorization", "Bearer example-token")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		// The duration varies; show the rest.
		s := string(body)
		fmt.Println(resp.StatusCode, s[:max(strings.Index(s, `"duration"`), 0)])
	}
	// Output:
	// 200 {"success":true,"data":{"tablesCreated":["settings"],"columnsAdded":[],"indexesCreated":[],"seedsRun":[{"model":"SETTING","records":1}],
	// 200 {"success":true,"data":{"tablesCreated":[],"columnsAdded":[],"indexesCreated":[],"seedsRun":[{"model":"SETTING","records":0}],
}
