package backfill

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/pipeline"
)

// Topic is what the record keeps as the Kafka topic of a backfilled
// decision; the partition is the file's place among the backfill's files
// and the offset the record's line.
const Topic = "backfill"

// Checkpoints keep how far a backfill has come (see sinks/postgres).
type Checkpoints interface {
	BackfillCheckpoint(ctx context.Context, key string) (done int64, started, finished bool, err error)
	SaveBackfillCheckpoint(ctx context.Context, key, files string, done, total int64, finished bool) error
}

// Config configures a backfill.
type Config struct {
	Files []string
	Options
	// Pipeline configures the processor the records go through: the
	// stream's policy, size limit and content digest.
	Pipeline pipeline.Config
	// BatchSize is how many records are decided in one round of the
	// processor (one pipeline to Redis, one transaction in PostgreSQL).
	BatchSize int
	// Clusters, Report and Rejects name the output files; "" skips the
	// first two. Rejects is always written when set.
	Clusters, Report, Rejects string
	// Progress, if set, is where a progress line is redrawn (a terminal).
	Progress io.Writer
	// ProgressEvery is how often it is redrawn (default 500 ms).
	ProgressEvery time.Duration
}

// Deps are the stream's own parts the backfill decides and records with.
type Deps struct {
	Decider     pipeline.Decider
	Recorder    pipeline.Recorder
	Checkpoints Checkpoints
	// Ready makes the index ready to decide against, rebuilding it from
	// the record if it is not (a lost index, or none yet). A backfill that
	// does not resume calls it first.
	Ready func(ctx context.Context) error
	// Rebuild rebuilds the index from the record, whether or not it is
	// ready; rank gives the place, in the backfill's order, of the records
	// it decided by their event ids, which the rebuild takes a batch's
	// enrolments in (see redisindex.InBatchOrder). A backfill that resumes
	// calls it first, instead of Ready: an interrupted run may have left
	// claims of a batch it never recorded, or recorded a batch whose
	// name-token counts it never wrote. Taken in the order they were
	// decided, the enrolments on record give the index that deciding them
	// grew, so that the rest is decided as by an uninterrupted run.
	Rebuild func(ctx context.Context, rank func(eventID string) (int, bool)) error
	// Scratch, if set, returns the index copied into memory, to decide
	// against instead of Decider, the flush that writes it back to the
	// index once every record is decided (see redisindex.Scratch), and
	// the release of a copy given up without a flush. It is called again
	// after Rebuild.
	Scratch func(ctx context.Context) (dec pipeline.Decider, flush func(context.Context) error, release func(), err error)
	Log     *slog.Logger
}

// Result is what a backfill did.
type Result struct {
	Records  int // records read, rejects included
	Rejects  int // records rejected, on reading or by the rules
	Resumed  int // records found done by an earlier run of the same backfill
	Took     time.Duration
	Summary  Summary
	RunKey   string
	Finished bool // false when ctx ended first
	// Stages is the time the processor spent in each of its stages
	// (decode, lookup, decide, record, remember, publish), summed over
	// the batches this run decided.
	Stages map[string]time.Duration
}

// stageTimes sums the processor's stage durations from its metrics.
func stageTimes(reg *prometheus.Registry) map[string]time.Duration {
	out := map[string]time.Duration{}
	mfs, err := reg.Gather()
	if err != nil {
		return out
	}
	for _, mf := range mfs {
		if mf.GetName() != "ekjon_pipeline_stage_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "stage" {
					out[l.GetValue()] += time.Duration(m.GetHistogram().GetSampleSum() * float64(time.Second))
				}
			}
		}
	}
	return out
}

// formatStages lists stage times in the order the stages run.
func formatStages(st map[string]time.Duration) string {
	var b strings.Builder
	for _, n := range []string{"decode", "lookup", "decide", "record", "remember", "publish"} {
		if d, ok := st[n]; ok {
			fmt.Fprintf(&b, "%s %s ", n, d.Round(time.Millisecond))
		}
	}
	return strings.TrimSpace(b.String())
}

// Run backfills the files: reads them, decides every record in content
// order through the stream's processor, checkpointing after each batch,
// then writes the outputs from the record. Bad records never stop it;
// an error means a file could not be read or ctx ended (the checkpoint
// then lets the same command go on where this one stopped).
func Run(ctx context.Context, cfg Config, d Deps) (*Result, error) {
	start := time.Now()
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 2000
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = 500 * time.Millisecond
	}
	log := d.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ins := make([]*Input, 0, len(cfg.Files))
	defer func() {
		for _, in := range ins {
			in.Close()
		}
	}()
	for _, p := range cfg.Files {
		in, err := Open(p, cfg.Options)
		if err != nil {
			return nil, err
		}
		ins = append(ins, in)
		if len(in.Ignored) > 0 {
			log.Warn("CSV columns that name no v1 field are ignored", "file", p, "columns", strings.Join(in.Ignored, ", "))
		}
	}
	if len(ins) >= 1<<23 {
		return nil, errors.New("too many files")
	}

	var entries []Entry
	var rejects []Reject
	for i, in := range ins {
		if err := in.Scan(i, func(e Entry) { entries = append(entries, e) }, func(r Reject) { rejects = append(rejects, r) }); err != nil {
			return nil, fmt.Errorf("%s: %w", in.Path, err)
		}
	}
	// The order of the decisions: by content, so that which record of a
	// person comes first, and so keeps the person's id, is the same
	// however the file is sorted. Equal content is one event and decides
	// alike wherever it lies.
	slices.SortFunc(entries, func(a, b Entry) int {
		if a.Key != b.Key {
			if a.Key < b.Key {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Pos, b.Pos)
	})
	key := runKey(entries)
	res := &Result{Records: len(entries) + len(rejects), RunKey: key}
	names := strings.Join(cfg.Files, "\n")

	done, started, finished, err := d.Checkpoints.BackfillCheckpoint(ctx, key)
	if err != nil {
		return nil, err
	}
	if done > int64(len(entries)) {
		done = int64(len(entries))
	}
	res.Resumed = int(done)
	// A run stopped before its first checkpoint may still have recorded
	// part of a batch: any unfinished run rebuilds.
	if started && !finished {
		log.Info("resuming an interrupted backfill; rebuilding the index from the record first", "done", done, "of", len(entries))
		if err := d.Rebuild(ctx, ranks(ins, entries, int(done), cfg.BatchSize)); err != nil {
			return nil, fmt.Errorf("rebuild index: %w", err)
		}
	} else if d.Ready != nil {
		if err := d.Ready(ctx); err != nil {
			return nil, err
		}
	}

	pub := &publisher{}
	pcfg := cfg.Pipeline
	reg := prometheus.NewRegistry()
	metrics := pipeline.NewMetrics(reg)
	prog := newProgress(cfg.Progress, cfg.ProgressEvery, int64(len(entries)), done, pub)
	if !finished {
		if err := d.Checkpoints.SaveBackfillCheckpoint(ctx, key, names, done, int64(len(entries)), false); err != nil {
			return nil, err
		}
		save := func(ctx context.Context, n int) error {
			if err := d.Checkpoints.SaveBackfillCheckpoint(ctx, key, names, int64(n), int64(len(entries)), n == len(entries)); err != nil {
				return err
			}
			prog.done.Store(int64(n))
			// Logged once the checkpoint holds the batch.
			log.Debug("batch decided", "done", n, "of", len(entries))
			return nil
		}
		decider, flush, release, err := scratch(ctx, d)
		if err != nil {
			return nil, err
		}
		prog.start()
		// Each batch is recorded while the next is decided (lateRecorder).
		late := newLateRecorder(ctx, d.Recorder, save)
		proc := pipeline.NewProcessor(pcfg, decider, late, pub, log, metrics)
		err = decideAll(ctx, ins, entries, int(done), cfg.BatchSize, proc, func(n int) error {
			if err := late.failed(); err != nil {
				return err
			}
			late.checkpoint(n)
			return nil
		})
		if ferr := late.flush(); err == nil {
			err = ferr
		}
		if err != nil && isLate(err) && ctx.Err() == nil && d.Rebuild != nil {
			// A batch could not be recorded after the next was decided:
			// the index goes back to what the record holds, and the rest
			// is decided one batch at a time, each recorded before the
			// next is decided, as the stream does.
			log.Warn("recording a batch failed; rebuilding the index from the record and deciding the rest one batch at a time",
				"err", domain.Redact(err.Error()))
			// The copy holds the claims of the batch the record refused:
			// it goes (and with it the rebuild lock it holds), and the
			// rebuilt index is copied.
			release()
			done, _, _, err = d.Checkpoints.BackfillCheckpoint(ctx, key)
			if err == nil {
				err = d.Rebuild(ctx, ranks(ins, entries, int(done), cfg.BatchSize))
			}
			if err == nil {
				decider, flush, release, err = scratch(ctx, d)
			}
			if err == nil {
				proc := pipeline.NewProcessor(pcfg, decider, d.Recorder, pub, log, metrics)
				err = decideAll(ctx, ins, entries, int(done), cfg.BatchSize, proc, func(n int) error { return save(ctx, n) })
			}
		}
		prog.stop()
		if err != nil {
			release()
			return res, err
		}
		res.Stages = stageTimes(reg)
		log.Info("records decided", "took", time.Since(start).Round(time.Millisecond), "stages", formatStages(res.Stages))
		if flush != nil {
			t := time.Now()
			if err := flush(ctx); err != nil {
				return res, fmt.Errorf("write the index: %w", err)
			}
			log.Info("index written to Redis", "took", time.Since(t).Round(time.Millisecond))
		}
	}
	res.Finished = true
	t := time.Now()
	sum, err := writeOutputs(ctx, cfg, ins, entries, rejects, d.Recorder)
	if err != nil {
		return res, err
	}
	log.Info("outputs written", "took", time.Since(t).Round(time.Millisecond))
	res.Summary = *sum
	res.Rejects = sum.Rejected
	res.Took = time.Since(start)
	return res, nil
}

// scratch returns what to decide against: the index in memory, with its
// flush and release, when the backfill has one, else the index itself, no
// flush and a release that does nothing.
func scratch(ctx context.Context, d Deps) (pipeline.Decider, func(context.Context) error, func(), error) {
	if d.Scratch == nil {
		return d.Decider, nil, func() {}, nil
	}
	dec, flush, release, err := d.Scratch(ctx)
	if err != nil {
		return nil, nil, func() {}, fmt.Errorf("copy the index into memory: %w", err)
	}
	return dec, flush, release, nil
}

// ranks gives the place in the order of entries of the records that may
// be on record when done of them are checkpointed, by their event ids: a
// few batches past the checkpoint, since a batch is recorded before the
// checkpoint moves past it. A record the rank does not know (a reader's
// error, an id not its own) is taken after its batch's others.
func ranks(ins []*Input, entries []Entry, done, size int) func(string) (int, bool) {
	n := min(len(entries), done+4*size)
	at := make(map[string]int, n)
	var buf []byte
	for i, e := range entries[:n] {
		raw, err := ins[e.File()].Read(e, buf)
		if err != nil {
			continue
		}
		if id := domain.PeekEventID(raw); id != "" {
			if _, ok := at[id]; !ok { // a repeated id is decided where it first comes
				at[id] = i
			}
		}
	}
	return func(id string) (int, bool) {
		i, ok := at[id]
		return i, ok
	}
}

// runKey names a backfill by its content: the hashes of its records, in
// order, and their number.
func runKey(entries []Entry) string {
	h := fnv.New128a()
	var b [8]byte
	for _, e := range entries {
		binary.LittleEndian.PutUint64(b[:], e.Key)
		_, _ = h.Write(b[:])
	}
	binary.LittleEndian.PutUint64(b[:], uint64(len(entries)))
	_, _ = h.Write(b[:])
	return fmt.Sprintf("%x", h.Sum(nil))
}

// batchOf is one batch of messages read ahead of the processor.
type batchOf struct {
	msgs []pipeline.Message
	end  int
	err  error
}

// decideAll runs entries[from:] through proc, batch by batch, reading the
// next batch while one is decided; after each it calls saved with the
// number of entries done. Records of another type than enrolment are
// skipped here and reported by writeOutputs.
func decideAll(ctx context.Context, ins []*Input, entries []Entry, from, size int, proc *pipeline.Processor,
	saved func(int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan batchOf, 2)
	go func() {
		defer close(ch)
		var buf []byte
		for i := from; i < len(entries); {
			j := min(i+size, len(entries))
			b := batchOf{end: j, msgs: make([]pipeline.Message, 0, j-i)}
			for k := i; k < j; k++ {
				e := entries[k]
				raw, err := ins[e.File()].Read(e, buf)
				if err != nil {
					b.err = err
					break
				}
				if !isEnrolment(raw) {
					continue
				}
				v := make([]byte, len(raw))
				copy(v, raw)
				b.msgs = append(b.msgs, pipeline.Message{Topic: Topic, Partition: e.File(), Offset: int64(e.Line), Value: v})
			}
			select {
			case ch <- b:
			case <-ctx.Done():
				return
			}
			if b.err != nil {
				return
			}
			i = j
		}
	}()
	for b := range ch {
		if b.err != nil {
			return b.err
		}
		if err := proc.Process(ctx, b.msgs); err != nil {
			return err
		}
		if err := saved(b.end); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// isEnrolment reports whether raw is an event the backfill decides: an
// enrolment, or anything that is not another valid type (the processor
// rejects what does not decode or validate). A registry holds no payments
// or status changes: they are reported as rejects, not decided.
func isEnrolment(raw []byte) bool {
	t := domain.EventType(eventType(raw))
	return t != domain.TypeDistribution && t != domain.TypeStatus
}

func eventType(raw []byte) string {
	var probe struct {
		Type json.RawMessage `json:"type"`
	}
	if json.Unmarshal(raw, &probe) != nil {
		return ""
	}
	var s string
	if json.Unmarshal(probe.Type, &s) != nil {
		return ""
	}
	return s
}

// coordinates is the id the processor gives a decision on a record that
// has no usable event id of its own (see pipeline's coordinates).
func coordinates(file int, line uint32) string {
	return fmt.Sprintf("kafka:%s:%d:%d", Topic, file, line)
}

// publisher is the processor's publisher in a backfill: the decisions
// are on record, which is what the outputs are written from; it counts
// them for the progress line.
type publisher struct {
	decided, dups atomic.Int64
}

func (p *publisher) Publish(_ context.Context, outs []domain.Outcome) error {
	var n, dups int64
	for i := range outs {
		n++
		if isFirm(outs[i].Decision.Rules) {
			dups++
		}
	}
	p.decided.Add(n)
	p.dups.Add(dups)
	return nil
}

// duplicateRules are the rules that match a record to another's person;
// firmRules those that block or hold it for that (POSSIBLE_PERSON only
// asks a reviewer to look).
var (
	duplicateRules = []string{domain.RuleDupNID, domain.RuleMultiProgramme, domain.RuleFuzzyPerson, domain.RulePossiblePerson}
	firmRules      = duplicateRules[:3]
)

func isDuplicate(rules []string) bool { return hasAny(rules, duplicateRules) }

func isFirm(rules []string) bool { return hasAny(rules, firmRules) }

func hasAny(rules, of []string) bool {
	for _, r := range rules {
		if slices.Contains(of, r) {
			return true
		}
	}
	return false
}

// progress redraws one line: records a second, done, ETA, duplicates.
type progress struct {
	w           io.Writer
	every       time.Duration
	total, from int64
	done        atomic.Int64
	pub         *publisher
	stopc       chan struct{}
	stopped     chan struct{}
}

func newProgress(w io.Writer, every time.Duration, total, from int64, pub *publisher) *progress {
	p := &progress{w: w, every: every, total: total, from: from, pub: pub}
	p.done.Store(from)
	return p
}

func (p *progress) start() {
	if p.w == nil {
		return
	}
	p.stopc, p.stopped = make(chan struct{}), make(chan struct{})
	began := time.Now()
	go func() {
		defer close(p.stopped)
		t := time.NewTicker(p.every)
		defer t.Stop()
		for {
			select {
			case <-p.stopc:
				p.draw(began, true)
				return
			case <-t.C:
				p.draw(began, false)
			}
		}
	}()
}

func (p *progress) draw(began time.Time, last bool) {
	done := p.done.Load()
	el := time.Since(began).Seconds()
	rate := float64(done-p.from) / max(el, 1e-3)
	eta := "?"
	if rate > 0 {
		eta = (time.Duration(float64(p.total-done)/rate) * time.Second).Round(time.Second).String()
	}
	pct := 100.0
	if p.total > 0 {
		pct = 100 * float64(done) / float64(p.total)
	}
	end := ""
	if last {
		end = "\n"
	}
	fmt.Fprintf(p.w, "\r\033[Kbackfill: %d/%d (%.1f%%)  %.0f records/s  ETA %s  duplicates %d%s",
		done, p.total, pct, rate, eta, p.pub.dups.Load(), end)
}

func (p *progress) stop() {
	if p.stopc == nil {
		return
	}
	close(p.stopc)
	<-p.stopped
}

// IsTerminal reports whether f is a character device: a progress line
// is drawn only there, not on a pipe or file.
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
