package score

import "sync"

// TermFreq gives a folded name token's relative frequency in the
// population: the share of all name tokens that are this one. It returns 0
// for a token it does not know, which the scorer reads as "no information"
// rather than "rare", so an incomplete table never strengthens a match.
// Implementations must be safe for concurrent use.
type TermFreq interface {
	Freq(token string) float64
}

// Counter is an in-memory TermFreq counted from tokens, for tests, offline
// evaluation and small deployments; production may back TermFreq by the
// index instead. The zero value is ready to use and safe for concurrent use.
type Counter struct {
	mu     sync.RWMutex
	counts map[string]uint64
	total  uint64
}

// Add counts each token once; callers add every strong token of every
// enrolled name (and of fathers' and spouses' names, which share the
// population of names).
func (c *Counter) Add(tokens ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = make(map[string]uint64)
	}
	for _, t := range tokens {
		c.counts[t]++
	}
	c.total += uint64(len(tokens))
}

// Freq returns count(token)/total, or 0 when the token was never added.
func (c *Counter) Freq(token string) float64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := c.counts[token]
	if n == 0 {
		return 0
	}
	return float64(n) / float64(c.total)
}

// Total returns how many tokens have been added.
func (c *Counter) Total() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.total
}
