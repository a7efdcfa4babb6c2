package score

import "sync"

// TermFreq gives a folded name token's frequency in the population: the
// share of persons whose name holds the token (Islam about 0.2, a rare
// given name 1e-5). That is the chance that a stranger's name holds it,
// which is what the term-frequency adjustment needs; the Redis index
// counts it so, as do Counter and the offline evaluation. It returns 0 for
// a token it does not know, which the scorer reads as "no information"
// rather than "rare", so an incomplete table never strengthens a match.
// Implementations must be safe for concurrent use.
type TermFreq interface {
	Freq(token string) float64
}

// Counter is an in-memory TermFreq counted from names, for tests, offline
// evaluation and small deployments; production may back TermFreq by the
// index instead. The zero value is ready to use and safe for concurrent use.
type Counter struct {
	mu      sync.RWMutex
	counts  map[string]uint64
	persons uint64
}

// Add counts one person's name: each distinct token once, however often
// the name repeats it, and the person once.
func (c *Counter) Add(tokens ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = make(map[string]uint64)
	}
	for i, t := range tokens {
		if !repeated(tokens[:i], t) {
			c.counts[t]++
		}
	}
	c.persons++
}

// repeated reports whether t is among seen; names are short, so a scan is
// cheaper than a set.
func repeated(seen []string, t string) bool {
	for _, s := range seen {
		if s == t {
			return true
		}
	}
	return false
}

// Freq returns the share of the persons added whose name holds token, or 0
// when none does.
func (c *Counter) Freq(token string) float64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := c.counts[token]
	if n == 0 {
		return 0
	}
	return float64(n) / float64(c.persons)
}

// Total returns how many persons have been added.
func (c *Counter) Total() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.persons
}
