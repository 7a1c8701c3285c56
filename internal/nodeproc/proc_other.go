//go:build !unix

package nodeproc

import "os/exec"

func setProcessGroup(cmd *exec.Cmd) {}

func stopProcessGroup(cmd *exec.Cmd, force bool) {
	if cmd.Process != nil {
		_ = cmd.Process.Kill()
	}
}
