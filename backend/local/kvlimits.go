package local

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/dmplan/dmplan/backend"
)

// checkKey applies KV's key rules: not empty, not "." or "..", at most
// backend.MaxKeyBytes bytes.
func checkKey(key string) error {
	switch key {
	case "", ".", "..":
		return fmt.Errorf("key %q: %w", key, backend.ErrInvalidKey)
	}
	if len(key) > backend.MaxKeyBytes {
		return fmt.Errorf("key of %d bytes (limit %d): %w", len(key), backend.MaxKeyBytes, backend.ErrTooLarge)
	}
	return nil
}

// checkEntry applies KV's limits to an entry before it is written.
func checkEntry(e backend.Entry, now time.Time) error {
	if err := checkKey(e.Key); err != nil {
		return err
	}
	if len(e.Value) > backend.MaxValueBytes {
		return fmt.Errorf("value of %q holds %d bytes (limit %d): %w", e.Key, len(e.Value), backend.MaxValueBytes, backend.ErrTooLarge)
	}
	if len(e.Metadata) > backend.MaxMetadataBytes {
		return fmt.Errorf("metadata of %q holds %d bytes (limit %d): %w", e.Key, len(e.Metadata), backend.MaxMetadataBytes, backend.ErrTooLarge)
	}
	if e.Metadata != nil && !json.Valid(e.Metadata) {
		return fmt.Errorf("metadata of %q is not JSON", e.Key)
	}
	if !e.Expiration.IsZero() && e.Expiration.Before(now.Add(60*time.Second)) {
		return fmt.Errorf("expiration of %q at %s: %w", e.Key, e.Expiration.UTC().Format(time.RFC3339), backend.ErrInvalidExpiration)
	}
	return nil
}

func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}
