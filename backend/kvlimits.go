package backend

import (
	"encoding/json"
	"fmt"
	"time"
)

// MinExpiration is how far ahead Workers KV wants an expiration to be.
const MinExpiration = 60 * time.Second

// CheckKey applies KV's key rules: not empty, not "." or "..", at most
// MaxKeyBytes bytes. Every backend calls it before reading or writing, so
// a key that works locally works on Cloudflare.
func CheckKey(key string) error {
	switch key {
	case "", ".", "..":
		return fmt.Errorf("key %q: %w", key, ErrInvalidKey)
	}
	if len(key) > MaxKeyBytes {
		return fmt.Errorf("key of %d bytes (limit %d): %w", len(key), MaxKeyBytes, ErrTooLarge)
	}
	return nil
}

// CheckEntry applies KV's limits to an entry before it is written: the key
// rules, MaxValueBytes, MaxMetadataBytes of valid JSON, and an expiration
// at least MinExpiration after now.
func CheckEntry(e Entry, now time.Time) error {
	if err := CheckKey(e.Key); err != nil {
		return err
	}
	if len(e.Value) > MaxValueBytes {
		return fmt.Errorf("value of %q holds %d bytes (limit %d): %w", e.Key, len(e.Value), MaxValueBytes, ErrTooLarge)
	}
	if len(e.Metadata) > MaxMetadataBytes {
		return fmt.Errorf("metadata of %q holds %d bytes (limit %d): %w", e.Key, len(e.Metadata), MaxMetadataBytes, ErrTooLarge)
	}
	if e.Metadata != nil && !json.Valid(e.Metadata) {
		return fmt.Errorf("metadata of %q is not valid JSON", e.Key)
	}
	if !e.Expiration.IsZero() && e.Expiration.Before(now.Add(MinExpiration)) {
		return fmt.Errorf("expiration of %q at %s: %w", e.Key, e.Expiration.UTC().Format(time.RFC3339), ErrInvalidExpiration)
	}
	return nil
}
