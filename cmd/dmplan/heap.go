package main

import (
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/dmplan/dmplan/hclspec"
)

// Loading takes about 100 bytes of heap per byte of configuration; a
// configuration under hugeHeapMin bytes loads in a few megabytes, where
// preparing huge pages costs more than the faults it saves.
const (
	heapPerSourceByte = 100
	hugeHeapMin       = 32 << 10
	hugeHeapMax       = 64 << 20
)

var heapOnce sync.Once

// prepareHeap readies the heap for loading the configuration in dir (see
// hugeHeap), once per process, from the size of its files. Setting
// DMPLAN_NO_HUGE_HEAP turns it off, for comparisons.
func prepareHeap(dir string) {
	heapOnce.Do(func() {
		if os.Getenv("DMPLAN_NO_HUGE_HEAP") != "" {
			return
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		var size int64
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), hclspec.FileSuffix) {
				continue
			}
			if info, err := e.Info(); err == nil {
				size += info.Size()
			} else if info, err := os.Stat(filepath.Join(dir, e.Name())); err == nil {
				size += info.Size()
			}
		}
		if size >= hugeHeapMin {
			hugeHeap(int(min(size*heapPerSourceByte, hugeHeapMax)))
		}
	})
}
