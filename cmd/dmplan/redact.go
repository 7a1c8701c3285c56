package main

import (
	"strings"

	"github.com/dmplan/dmplan/hclspec"
)

// redact rewords err so that no value the target read from env.X appears
// in it, whole or as the 8-character prefix some messages abbreviate ids
// to. Backends are asked never to include secrets; this makes sure.
func redact(err error, t *hclspec.Target) error {
	if err == nil || t == nil || len(t.Sensitive) == 0 {
		return err
	}
	values := map[string]string{
		"path": t.Path, "account_id": t.AccountID, "database": t.Database,
		"api_token": t.APIToken, "base_url": t.BaseURL,
	}
	msg := err.Error()
	for name := range t.Sensitive {
		v := values[name]
		if v == "" {
			continue
		}
		msg = strings.ReplaceAll(msg, v, sensitive)
		if len(v) > 8 {
			msg = strings.ReplaceAll(msg, v[:8], sensitive)
		}
	}
	if msg == err.Error() {
		return err
	}
	return &shownError{msg: msg, err: err}
}
