package pipeline

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/ekjon/ekjon/domain"
)

// GroupConfig configures a Group.
type GroupConfig struct {
	// MaxSize caps the messages decided together.
	MaxSize int
	// InFlight is how many groups may be under way at once. With two, a
	// group is looked up and decided while the one before it records;
	// every message that arrives while all are under way waits for the
	// next group.
	InFlight int
}

// DefaultGroupConfig returns the scan API's grouping, described in
// docs/capacity.md.
func DefaultGroupConfig() GroupConfig { return GroupConfig{MaxSize: 256, InFlight: 4} }

// Group decides messages that callers send one at a time and wait for
// (the distributors' scan API) in groups, by its Processor, as a consumer
// decides a batch from the stream: one lookup, one decision against the
// index, one record transaction and one publication for the whole group,
// each caller getting its own message's outcome. There is no timer: a
// message that finds fewer than InFlight groups under way starts a group
// at once, alone if need be; messages that arrive while the groups are
// under way gather and go together as soon as one finishes. So an idle
// Group adds no wait, and a busy one pays the stages once per group
// instead of once per message.
//
// Messages of a group see one another as the events of a batch do: two
// scans of one card, one is admitted and the other blocked; two messages
// under one id share the first's decision; another event under an id
// already used is rejected. Groups under way at once, and the stream's
// consumers, claim against the same index and record, as concurrent
// batches always have.
//
// A group runs for as long as one of its callers waits: a caller whose
// context ends is answered with its error at once, and its message stays
// in the group, which may still decide it (a retry under the same id then
// finds that decision). When every caller of a group has gone, the group
// stops where it is; what was not recorded then was not decided, and the
// claims its decision left in the index are found as the message's own
// when it is sent again, as a redelivered batch's are. Safe for
// concurrent use.
type Group struct {
	p   *Processor
	cfg GroupConfig

	mu      sync.Mutex
	queue   []*call
	running int
}

// call is one caller's message and, once done is closed, its answer.
type call struct {
	ctx  context.Context
	m    Message
	done chan struct{}
	out  domain.Outcome
	err  error
}

func (c *call) answer(out domain.Outcome, err error) {
	c.out, c.err = out, err
	close(c.done)
}

// NewGroup returns a Group deciding by p; a size or groups in flight
// below 1 count as 1.
func NewGroup(p *Processor, cfg GroupConfig) *Group {
	cfg.MaxSize, cfg.InFlight = max(cfg.MaxSize, 1), max(cfg.InFlight, 1)
	return &Group{p: p, cfg: cfg}
}

// Do decides m with the messages sent about the same time and returns its
// outcome once it is durable and published: the outcome a consumer of the
// stream would have published for it. It returns an error only when ctx
// ends first, or, of KindInternal, when the group's processing panicked
// or left the message unanswered (a bug).
func (g *Group) Do(ctx context.Context, m Message) (domain.Outcome, error) {
	c := &call{ctx: ctx, m: m, done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, c)
	g.p.m.groupWaiting.Set(float64(len(g.queue)))
	lead := g.running < g.cfg.InFlight
	if lead {
		g.running++
	}
	g.mu.Unlock()
	if lead {
		go g.drain()
	}
	select {
	case <-c.done:
		return c.out, c.err
	case <-ctx.Done():
		return domain.Outcome{}, ctx.Err()
	}
}

// Waiting reports how many messages wait for a group.
func (g *Group) Waiting() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.queue)
}

// drain runs groups of what waits until nothing does.
func (g *Group) drain() {
	for {
		g.mu.Lock()
		n := min(len(g.queue), g.cfg.MaxSize)
		if n == 0 {
			g.running--
			g.mu.Unlock()
			return
		}
		calls := make([]*call, n)
		copy(calls, g.queue)
		g.queue = g.queue[n:]
		if len(g.queue) == 0 {
			g.queue = nil
		}
		g.p.m.groupWaiting.Set(float64(len(g.queue)))
		g.mu.Unlock()
		g.run(calls)
	}
}

// errGroupFailed answers the callers of a group whose processing panicked
// or ended without answering them.
var errGroupFailed = domain.Errorf(domain.KindInternal, "pipeline: group", "the group failed")

// run decides one group and answers its callers.
func (g *Group) run(calls []*call) {
	// A caller already gone is not decided: nobody waits for it, and a
	// retry decides it afresh.
	live := make([]*call, 0, len(calls))
	for _, c := range calls {
		if err := c.ctx.Err(); err != nil {
			c.answer(domain.Outcome{}, err)
			continue
		}
		live = append(live, c)
	}
	if len(live) == 0 {
		return
	}
	g.p.m.groupSize.Observe(float64(len(live)))
	// The group's context ends when its last caller's does, not its
	// first's: one caller's going does not undo the others' decisions.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var gone atomic.Int32
	for _, c := range live {
		stop := context.AfterFunc(c.ctx, func() {
			if int(gone.Add(1)) == len(live) {
				cancel()
			}
		})
		defer stop()
	}
	msgs := make([]Message, len(live))
	for i, c := range live {
		msgs[i] = c.m
	}
	answered := make([]bool, len(live))
	defer func() {
		if r := recover(); r != nil {
			g.p.log.Error("a scan group panicked; its callers are answered with an error", "panic", domain.Redact(fmt.Sprint(r)))
			for i, c := range live {
				if !answered[i] {
					c.answer(domain.Outcome{}, errGroupFailed)
				}
			}
		}
	}()
	err := g.p.process(ctx, msgs, func(at int, outs []domain.Outcome) {
		for i := range outs {
			if !answered[at+i] {
				answered[at+i] = true
				live[at+i].answer(outs[i], nil)
			}
		}
	})
	if err == nil {
		err = errGroupFailed
	}
	for i, c := range live {
		if !answered[i] {
			c.answer(domain.Outcome{}, err)
		}
	}
}
