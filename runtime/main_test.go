package runtime_test

import (
	"os"
	"testing"

	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
)

func TestMain(m *testing.M) {
	code := cftest.Main(m) // stops the workerd harness if a test started it
	if queryDir != "" {
		os.RemoveAll(queryDir)
	}
	for _, dir := range docDirs() {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}
