package adopttest

import (
	"os"
	"testing"

	"github.com/dmplan/dmplan/backend/cloudflare/cftest"
)

func TestMain(m *testing.M) { os.Exit(cftest.Main(m)) }
