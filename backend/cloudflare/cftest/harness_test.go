package cftest

import (
	"errors"
	"strings"
	"testing"
)

// TestLaunchWithoutNodeModules checks the message a developer sees when the
// harness's npm packages were never installed.
func TestLaunchWithoutNodeModules(t *testing.T) {
	_, err := launchIn(t.TempDir(), Options{})
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("err = %v, want ErrNotInstalled", err)
	}
	for _, want := range []string{"make test", "npm ci --prefix backend/cloudflare/harness"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to mention %q", err, want)
		}
	}
}
