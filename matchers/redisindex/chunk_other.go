//go:build !unix

package redisindex

// newChunk returns n zeroed bytes.
func newChunk(n int) []byte { return make([]byte, n) }

// freeChunk leaves a chunk to the collector.
func freeChunk([]byte) {}
