//go:build !linux

package main

// hugeHeap advises huge pages for the heap on Linux only.
func hugeHeap(int) {}
