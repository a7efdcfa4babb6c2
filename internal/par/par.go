// Package par runs independent work on all cores.
package par

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// perWorker is the least number of items worth a goroutine of ForEach.
const perWorker = 32

// ForEach calls fn(i) for every i in [0, n), spread over the cores, and
// returns once every call has. It is for work on a batch's events that is
// computed per event, independently of the others: each call must touch
// only what belongs to its i, so that the result is the one of calling
// fn(0), fn(1), ... in turn.
func ForEach(n int, fn func(i int)) {
	w := min(runtime.GOMAXPROCS(0), n/perWorker)
	if w <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}
