package main

import (
	"context"
	"fmt"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/hclspec"
)

// openCloudflare opens the Cloudflare backend for the target.
func (c *cli) openCloudflare(_ context.Context, t *hclspec.Target) (backend.Backend, error) {
	return nil, fmt.Errorf("environment %s: the cloudflare backend is not available in this build yet; use a local environment", t.Environment)
}
