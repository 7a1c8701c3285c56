//go:build unix

package wranglerdev

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts the Node process and the workerd it starts in a
// group of their own, so that terminate and kill reach both.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func terminate(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }

func kill(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
