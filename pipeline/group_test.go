package pipeline

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/ekjon/ekjon/domain"
)

// gatedRecorder holds a write that records the event gated until gate is
// closed, and tells entered when one is held.
type gatedRecorder struct {
	Recorder
	gated   string
	entered chan struct{}
	gate    chan struct{}
}

func (g *gatedRecorder) Write(ctx context.Context, outs []domain.Outcome, gen int64) (map[string]domain.Decision, error) {
	for i := range outs {
		if outs[i].Decision.EventID == g.gated {
			g.entered <- struct{}{}
			<-g.gate
		}
	}
	return g.Recorder.Write(ctx, outs, gen)
}

// TestGroupAnswersEachCaller gathers, behind a group held in the record,
// good events, one the record refuses for good and one that is not JSON,
// into one group: the refused event is split out and rejected, the bad one
// rejected, and every caller gets the outcome of its own event, the
// others admitted.
func TestGroupAnswersEachCaller(t *testing.T) {
	r := newRig(t)
	r.rec.refuse = map[string]error{"p3": refusal("fake write")}
	gr := &gatedRecorder{Recorder: r.rec, gated: "hold", entered: make(chan struct{}, 1), gate: make(chan struct{})}
	p := NewProcessor(r.proc.cfg, r.dec, gr, r.pub, r.proc.log, r.m)
	g := NewGroup(p, GroupConfig{MaxSize: 16, InFlight: 1})
	ctx := context.Background()

	held := make(chan domain.Outcome, 1)
	go func() {
		o, err := g.Do(ctx, messages(payment("hold"))[0])
		if err != nil {
			t.Error(err)
		}
		held <- o
	}()
	<-gr.entered
	values := []string{payment("p0"), payment("p1"), payment("p2"), payment("p3"), `{"event_id":"bad",`, payment("p5"), payment("p6")}
	msgs := messages(values...)
	outs := make([]domain.Outcome, len(msgs))
	var wg sync.WaitGroup
	for i := range msgs {
		msgs[i].Offset = int64(100 + i)
		wg.Go(func() {
			o, err := g.Do(ctx, msgs[i])
			if err != nil {
				t.Error(err)
			}
			outs[i] = o
		})
	}
	for g.Waiting() < len(msgs) {
		runtime.Gosched()
	}
	close(gr.gate)
	wg.Wait()
	if o := <-held; o.Decision.EventID != "hold" || o.Decision.Action != domain.ActionAdmit {
		t.Fatalf("the held event: %s %s", o.Decision.EventID, o.Decision.Action)
	}
	for i, o := range outs {
		d := o.Decision
		switch i {
		case 3:
			if d.EventID != "p3" || d.Action != domain.ActionRejected || !slices.Equal(d.Rules, []string{domain.RuleInvalidEvent}) {
				t.Errorf("caller of p3: %s %s %v, want p3 REJECTED [INVALID_EVENT]", d.EventID, d.Action, d.Rules)
			}
		case 4:
			if want := "kafka:" + topic + ":0:104"; d.EventID != want || d.Action != domain.ActionRejected || !o.Dead {
				t.Errorf("caller of the bad event: %s %s, want %s REJECTED", d.EventID, d.Action, want)
			}
		default:
			if want := fmt.Sprintf("p%d", i); d.EventID != want || d.Action != domain.ActionAdmit {
				t.Errorf("caller of %s: %s %s, want its own ADMIT", want, d.EventID, d.Action)
			}
		}
	}
	// The held event alone, then the seven together.
	if n := r.metric(t, "ekjon_pipeline_group_size_events"); n != 2 {
		t.Errorf("%v groups, want 2", n)
	}
}

// TestGroupCallerGoneBeforeItsGroup: a caller who left before its group
// began is answered with its context's error, and its event is not
// decided.
func TestGroupCallerGoneBeforeItsGroup(t *testing.T) {
	r := newRig(t)
	g := NewGroup(r.proc, DefaultGroupConfig())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := g.Do(ctx, messages(payment("gone"))[0]); err == nil {
		t.Fatal("a caller already gone was answered")
	}
	o, err := g.Do(context.Background(), messages(payment("here"))[0])
	if err != nil || o.Decision.Action != domain.ActionAdmit {
		t.Fatalf("here: %v %s", err, o.Decision.Action)
	}
	for _, ids := range r.dec.decideCalls() {
		if slices.Contains(ids, "gone") {
			t.Errorf("the gone caller's event was decided: %v", ids)
		}
	}
}
