//go:build unix

package redisindex

import "syscall"

// newChunk returns n zeroed bytes mapped from the system outside Go's
// heap: a scratch's gigabyte of fields then counts for neither the
// garbage collector's work nor the heap it lets grow before collecting,
// which would double it. It falls back to the heap if the mapping fails.
func newChunk(n int) []byte {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]byte, n)
	}
	return b
}

// freeChunk unmaps a chunk of newChunk; one from the heap is left to the
// collector.
func freeChunk(b []byte) { _ = syscall.Munmap(b) }
