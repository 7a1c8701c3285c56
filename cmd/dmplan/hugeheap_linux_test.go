package main

import (
	"bytes"
	"os"
	"syscall"
	"testing"
)

// hugeHeapVMAs counts the mappings of this process advised for huge pages
// ("hg" in their VmFlags).
func hugeHeapVMAs(t *testing.T) int {
	t.Helper()
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range bytes.Split(smaps, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("VmFlags:")) && bytes.Contains(line, []byte(" hg")) {
			n++
		}
	}
	return n
}

// Where the system leaves huge pages to madvise, hugeHeap marks heap
// memory for them; elsewhere it changes nothing.
func TestHugeHeapAdvisesHeap(t *testing.T) {
	mode, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	advise := err == nil && bytes.Contains(mode, []byte("[madvise]"))
	// Systems that count address space are left alone.
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_AS, &rl); err != nil || rl.Cur != ^uint64(0) {
		advise = false
	}
	if policy, err := os.ReadFile("/proc/sys/vm/overcommit_memory"); err != nil || string(bytes.TrimSpace(policy)) == "2" {
		advise = false
	}
	before := hugeHeapVMAs(t)
	hugeHeap(16 << 20)
	after := hugeHeapVMAs(t)
	switch {
	case advise && after <= before:
		t.Errorf("transparent huge pages are %q, but no mapping was advised (%d before, %d after)", bytes.TrimSpace(mode), before, after)
	case !advise && after != before:
		t.Errorf("transparent huge pages are %q, but %d mappings were advised", bytes.TrimSpace(mode), after-before)
	}
}
