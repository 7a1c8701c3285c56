package cloudflare

import (
	"fmt"
	"reflect"

	"github.com/cloudflare/cloudflare-go/v6/d1"
)

// dmplan talks to three Cloudflare products, D1, Workers KV and (for the
// gateway Worker it deploys) Workers scripts, so it builds their
// cloudflare-go services directly (d1.NewDatabaseService,
// kv.NewNamespaceService, workers.NewScriptService, NewRouteService,
// NewSubdomainService) rather than the SDK's root client. The root
// package links a service for every Cloudflare product, over a hundred
// packages whose initialisation every dmplan command would pay for at
// start-up, plan and validate included; without it the binary was 22 MB
// instead of 36 MB (the workers package adds about 1.4 MB and 0.1 ms of
// start-up). The price: the root client's defaults do not apply (Open
// sets the base URL itself, DefaultBaseURL by default), and its small
// helpers are out of reach, so the two this package needs are here.

// apiError is the SDK's API error (the root package's cloudflare.Error).
type apiError = d1.Error

// present fills a request field of the SDK with v and marks it present, as
// the root package's cloudflare.F does. Request fields have the type
// param.Field[T] from an internal package, which this package cannot name,
// so the field is set through reflection. A field whose value type does not
// take a T is a programming error found by every test that sends the
// request, so it panics.
func present[F, T any](field *F, v T) {
	rv := reflect.ValueOf(field).Elem()
	if rv.Kind() != reflect.Struct {
		panic(fmt.Sprintf("cloudflare: %T is not a request field", field))
	}
	val, pres := rv.FieldByName("Value"), rv.FieldByName("Present")
	if !val.IsValid() || !pres.IsValid() {
		panic(fmt.Sprintf("cloudflare: %T is not a request field", field))
	}
	val.Set(reflect.ValueOf(&v).Elem())
	pres.SetBool(true)
}
