package runtime_test

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if queryDir != "" {
		os.RemoveAll(queryDir)
	}
	os.Exit(code)
}
