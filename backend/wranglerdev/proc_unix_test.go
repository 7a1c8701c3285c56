//go:build unix

package wranglerdev

import "syscall"

func processGroupAlive(pid int) bool { return syscall.Kill(-pid, 0) == nil }
