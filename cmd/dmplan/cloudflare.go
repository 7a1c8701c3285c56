package main

import (
	"context"
	"fmt"

	"github.com/dmplan/dmplan/backend"
	"github.com/dmplan/dmplan/backend/cloudflare"
	"github.com/dmplan/dmplan/hclspec"
)

// openCloudflare opens the Cloudflare backend for the target. Fields the
// environment block leaves empty come from CLOUDFLARE_ACCOUNT_ID,
// CLOUDFLARE_API_TOKEN and CLOUDFLARE_BASE_URL, as with wrangler.
func (c *cli) openCloudflare(ctx context.Context, t *hclspec.Target) (backend.Backend, error) {
	s, err := cloudflare.Open(ctx, cloudflare.Config{
		AccountID:   t.AccountID,
		APIToken:    t.APIToken,
		Database:    t.Database,
		BaseURL:     t.BaseURL,
		Environment: t.Environment,
		Getenv:      c.getenv,
		Logger:      c.logger(),
	})
	if err != nil {
		return nil, fmt.Errorf("open environment %s: %w", t.Environment, err)
	}
	return s, nil
}
