package runtime_test

import "os"

// makeTempDir makes the directory of the shared query fixture; TestMain
// removes it.
func makeTempDir() (string, error) { return os.MkdirTemp("", "dmplan-runtime-bench") }
