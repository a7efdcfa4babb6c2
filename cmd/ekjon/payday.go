package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/ekjon/ekjon/benchmarks"
	"github.com/ekjon/ekjon/benchmarks/synth"
	"github.com/ekjon/ekjon/cmd/ekjon/internal/app"
	"github.com/ekjon/ekjon/domain"
	"github.com/ekjon/ekjon/pipeline/kafka"
)

// paydayNote explains the payday table of the report.
const paydayNote = "Payday: after the two runs, on the same registry, a payment cycle (every registry person paid once for a cycle no run paid, with the generator's default rates of double payments, ghosts, the dead and exited still paid and wallet changes) an enrolment drive of new persons (--drive of them) and those persons' status changes, each produced to the broker first and then decided as fast as ekjon can. The broker is `ekjon broker` in a process of its own, whose CPU (utime+stime from /proc) is reported apart from ekjon's (getrusage of this process), as a real Kafka's would be. Redis commands are those ekjon's client sent (a Lua script counts one); Redis bytes the change of MEMORY USAGE summed over the index's keys; PostgreSQL rows and bytes the change of each table (count(*), pg_total_relation_size summed over partitions) over the phase; WAL is server-wide."

// brokerProc is `ekjon broker` run as a process of its own.
type brokerProc struct {
	cmd  *exec.Cmd
	addr string
	done chan error
}

// startBrokerProc starts the broker command of bin (this binary if empty)
// on a free port and waits for it to say where it listens.
func startBrokerProc(ctx context.Context, bin string, partitions int) (*brokerProc, error) {
	if bin == "" {
		var err error
		if bin, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	cmd := exec.Command(bin, "broker", "--listen", "127.0.0.1:0", "--partitions", strconv.Itoa(partitions))
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start broker: %w", err)
	}
	b := &brokerProc{cmd: cmd, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := brokerListeningLine(sc.Text()); m != "" {
				addr <- m
			}
		}
		_, _ = io.Copy(io.Discard, out)
	}()
	go func() { b.done <- cmd.Wait() }()
	select {
	case b.addr = <-addr:
		return b, nil
	case err := <-b.done:
		return nil, fmt.Errorf("broker exited before serving: %v", err)
	case <-time.After(30 * time.Second):
		b.stop()
		return nil, errors.New("broker did not serve within 30 s")
	case <-ctx.Done():
		b.stop()
		return nil, ctx.Err()
	}
}

func brokerListeningLine(s string) string {
	const prefix = "ekjon broker: listening on "
	if len(s) > len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):]
	}
	return ""
}

// cpu returns the CPU time the broker process has used.
func (b *brokerProc) cpu() time.Duration {
	d, _ := benchmarks.ProcessCPU(b.cmd.Process.Pid)
	return d
}

// stop asks the broker to stop and waits for it, killing it after 10 s.
func (b *brokerProc) stop() {
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.done:
	case <-time.After(10 * time.Second):
		_ = b.cmd.Process.Kill()
		<-b.done
	}
}

// produceSeq writes recs to the broker as fast as it takes them, without
// holding them all in memory, and returns how many it wrote.
func produceSeq(ctx context.Context, broker string, topics kafka.Topics, recs iter.Seq[synth.Record]) (int, error) {
	wr := kafka.NewWriter(&kafkago.Writer{
		Addr: kafkago.TCP(broker), Balancer: &kafkago.Hash{}, RequiredAcks: kafkago.RequireAll,
		BatchSize: 1000, BatchTimeout: time.Millisecond, BatchBytes: kafka.BatchBytes(kafka.DefaultMaxMessageBytes),
	})
	defer wr.Close()
	topic := map[domain.EventType]string{domain.TypeEnrolment: topics.Enrolments, domain.TypeDistribution: topics.Distributions,
		domain.TypeStatus: topics.Status}
	n := 0
	batch := make([]kafkago.Message, 0, 5000)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := wr.WriteMessages(ctx, batch...)
		batch = batch[:0]
		return err
	}
	for r := range recs {
		tp := topic[r.Type]
		if tp == "" {
			tp = topics.Enrolments
		}
		batch = append(batch, kafkago.Message{Topic: tp, Key: r.Key, Value: r.Value, Time: time.Now()})
		n++
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	return n, flush()
}

// benchPayday runs the payday phases on the registry the runs left: a
// payment cycle of the whole registry, then an enrolment drive of drive
// new persons.
func benchPayday(ctx context.Context, o benchOptions, cfg app.Config, w *benchmarks.Workload, pool *pgxpool.Pool,
	rdb *redis.Client, log *slog.Logger, out io.Writer) (*benchmarks.PaydayResult, error) {
	res := &benchmarks.PaydayResult{Persons: w.Persons}
	drive := o.drive
	if drive == 0 {
		drive = max(o.events, w.Persons/10)
	}
	enrolments, statuses, err := w.EnrolmentDrive(drive)
	if err != nil {
		return nil, err
	}
	phases := []struct {
		name string
		recs iter.Seq[synth.Record]
	}{
		{"payment cycle", w.PaymentCycle()},
		{"enrolment drive", enrolments},
		{"status changes", statuses},
	}
	for i, ph := range phases {
		cfg.Kafka.Group = "bench-payday-" + strconv.Itoa(i)
		r, err := paydayPhase(ctx, o, cfg, ph.name, ph.recs, pool, rdb, log, out)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", ph.name, err)
		}
		res.Phases = append(res.Phases, r)
	}
	return res, nil
}

// paydayPhase produces a phase's events to a broker process of its own,
// then decides them with a fresh ekjon and measures what it cost.
func paydayPhase(ctx context.Context, o benchOptions, cfg app.Config, name string, recs iter.Seq[synth.Record],
	pool *pgxpool.Pool, rdb *redis.Client, log *slog.Logger, out io.Writer) (benchmarks.PhaseResult, error) {
	r := benchmarks.PhaseResult{Name: name}
	bp, err := startBrokerProc(ctx, o.brokerBin, o.partitions)
	if err != nil {
		return r, err
	}
	defer bp.stop()
	cfg.Kafka.Brokers = []string{bp.addr}
	t := time.Now()
	if r.Events, err = produceSeq(ctx, bp.addr, cfg.Kafka.Topics, recs); err != nil {
		return r, fmt.Errorf("produce: %w", err)
	}
	fmt.Fprintf(out, "  payday %s: produced %d events in %s\n", name, r.Events, time.Since(t).Round(time.Millisecond))

	tr := newTracker()
	a, err := app.New(ctx, cfg, log, func(outs []domain.Outcome) { tr.observe(outs, time.Now()) })
	if err != nil {
		return r, err
	}
	defer a.Close()
	var counter benchmarks.RedisCounter
	a.Redis.AddHook(&counter)
	sizes0, err := benchmarks.RecordSizes(ctx, pool)
	if err != nil {
		return r, err
	}
	wal0, _ := benchmarks.WALBytes(ctx, pool)
	mem0, err := benchmarks.PrefixMemory(ctx, rdb, cfg.Redis.Prefix)
	if err != nil {
		return r, err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	appDone := make(chan error, 1)
	stopProfile, err := cpuProfile(phaseFile(o.paydayProf, name))
	if err != nil {
		return r, err
	}
	cpu0, broker0, cmds0 := benchmarks.ReadCPU(ctx, rdb), bp.cpu(), counter.Commands()
	go func() { appDone <- a.Run(runCtx) }()
	err = tr.wait(ctx, int64(r.Events), appDone)
	r.CPU, r.Broker, r.RedisCommands = benchmarks.ReadCPU(ctx, rdb).Sub(cpu0), bp.cpu()-broker0, counter.Commands()-cmds0
	stopProfile()
	stop()
	<-appDone
	if err != nil {
		return r, err
	}
	r.Rate = tr.rate()
	mem1, err := benchmarks.PrefixMemory(ctx, rdb, cfg.Redis.Prefix)
	if err != nil {
		return r, err
	}
	wal1, _ := benchmarks.WALBytes(ctx, pool)
	sizes1, err := benchmarks.RecordSizes(ctx, pool)
	if err != nil {
		return r, err
	}
	r.RedisBytes, r.WAL, r.Tables = mem1-mem0, wal1-wal0, benchmarks.SizeDelta(sizes0, sizes1)
	k := float64(r.Events) / 1000
	fmt.Fprintf(out, "  payday %s: %d events at %.0f events/s; CPU s per 1,000 events: ekjon %.3f, broker %.3f, redis %.3f, postgres %.3f; %.2f Redis commands per event\n",
		name, r.Events, r.Rate, r.CPU.Process.Seconds()/k, r.Broker.Seconds()/k, r.CPU.Redis.Seconds()/k, r.CPU.Postgres.Seconds()/k,
		r.Per(float64(r.RedisCommands)))
	return r, nil
}

// phaseFile names a payday phase's profile: path with the phase's name,
// its spaces as dashes, before the extension; "" stays "".
func phaseFile(path, phase string) string {
	if path == "" {
		return ""
	}
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-" + strings.ReplaceAll(phase, " ", "-") + ext
}
