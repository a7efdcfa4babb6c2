package benchmarks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/ekjon/ekjon/benchmarks/synth"
)

// PaydayCycle is the index of the generator's payment cycle a payday
// pays: the runs pay cycles 0 and 1, so no event of the cycle was decided
// before it.
const PaydayCycle = 2

// PaymentCycle yields one payment cycle of the whole registry: every
// registry person's payments of cycle PaydayCycle, with the generator's
// default rates of double payments, ghosts on the payroll, the dead and
// exited still paid, and wallet changes. Persons enrolled in the runs are
// left out, as in Run.
func (w *Workload) PaymentCycle() iter.Seq[synth.Record] {
	cycle := w.gen.Config().Cycles[PaydayCycle]
	return func(yield func(synth.Record) bool) {
		for r := range w.gen.Payments(cycle) {
			if r.Truth.PersonID != "" && r.Truth.PersonID[0] == 'H' && cluster(r.Truth.PersonID) >= w.Persons {
				continue
			}
			if !yield(r) {
				return
			}
		}
	}
}

// EnrolmentDrive yields the enrolments of n persons new to the registry
// and to the runs, with their duplicates and frauds at the generator's
// rates: an enrolment drive, such as a relief programme's; and then the
// status changes of those persons (deaths, exits, suspensions, wallet
// changes). The drive's persons come from a generator of the same seed
// grown by n persons, under a run id of their own.
func (w *Workload) EnrolmentDrive(n int) (enrolments, statuses iter.Seq[synth.Record], err error) {
	cfg := w.gen.Config()
	from := cfg.Persons
	cfg.Persons += n
	// Event ids of their own: the grown generator numbers its streams
	// afresh, and the registry's status events hold the first numbers.
	cfg.RunID += "drive"
	g, err := synth.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	only := func(seq iter.Seq[synth.Record]) iter.Seq[synth.Record] {
		return func(yield func(synth.Record) bool) {
			for r := range seq {
				if cluster(r.Truth.PersonID) >= from && !yield(r) {
					return
				}
			}
		}
	}
	return only(g.Enrolments()), only(g.Statuses()), nil
}

// ProcessCPU returns the CPU time (user and system) a process has used so
// far, from /proc/<pid>/stat: Linux only, an error elsewhere.
func ProcessCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	s := string(b)
	end := strings.LastIndexByte(s, ')')
	if end < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	f := strings.Fields(s[end+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	var ticks int64
	for _, i := range []int{11, 12} { // utime, stime
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * (time.Second / 100), nil
}

// RedisCounter is a go-redis hook that counts the commands a client
// sends, those of pipelines one by one: ekjon's own Redis operations,
// whatever else the server is doing. It is safe for concurrent use.
type RedisCounter struct{ n atomic.Int64 }

// Commands returns the commands counted so far.
func (c *RedisCounter) Commands() int64 { return c.n.Load() }

// DialHook passes dials through.
func (c *RedisCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook counts one command.
func (c *RedisCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook counts a pipeline's commands.
func (c *RedisCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

// PrefixMemory returns the bytes Redis uses for the keys under prefix
// (MEMORY USAGE of each, all of its elements sampled): the index's own
// memory, whatever else the server holds.
func PrefixMemory(ctx context.Context, rdb *redis.Client, prefix string) (int64, error) {
	var total int64
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	pipe := rdb.Pipeline()
	var cmds []*redis.IntCmd
	flush := func() error {
		if len(cmds) == 0 {
			return nil
		}
		if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		for _, c := range cmds {
			total += c.Val()
		}
		cmds = cmds[:0]
		return nil
	}
	for iter.Next(ctx) {
		cmds = append(cmds, pipe.MemoryUsage(ctx, iter.Val(), 0))
		if len(cmds) == 1000 {
			if err := flush(); err != nil {
				return 0, err
			}
		}
	}
	if err := iter.Err(); err != nil {
		return 0, err
	}
	if err := flush(); err != nil {
		return 0, err
	}
	return total, nil
}

// TableSize is one table's rows and bytes on disk (heap, indexes and
// TOAST), a partitioned table's summed over its partitions.
type TableSize struct {
	Rows, Bytes int64
}

// RecordSizes returns the rows and bytes of every table of the pool's
// current schema, partitions counted under their parent's name.
func RecordSizes(ctx context.Context, pool *pgxpool.Pool) (map[string]TableSize, error) {
	rows, err := pool.Query(ctx, `SELECT coalesce(p.relname, c.relname), sum(pg_total_relation_size(c.oid))::bigint
		FROM pg_class c
		LEFT JOIN pg_inherits i ON i.inhrelid = c.oid
		LEFT JOIN pg_class p ON p.oid = i.inhparent
		WHERE c.relkind = 'r' AND c.relnamespace = current_schema()::regnamespace
		GROUP BY 1`)
	if err != nil {
		return nil, err
	}
	out := map[string]TableSize{}
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			rows.Close()
			return nil, err
		}
		out[name] = TableSize{Bytes: n}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for name, s := range out {
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM "+pgIdent(name)).Scan(&s.Rows); err != nil {
			return nil, err
		}
		out[name] = s
	}
	return out, nil
}

func pgIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// WALBytes returns the server's WAL position in bytes. Every client of
// the server moves it, so a difference is only ekjon's on a quiet server.
func WALBytes(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	var n int64
	err := pool.QueryRow(ctx, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint").Scan(&n)
	return n, err
}

// PhaseResult is one payday phase: a payment cycle or an enrolment drive,
// produced to the broker first, then decided as fast as ekjon can.
type PhaseResult struct {
	Name   string
	Events int
	Rate   float64 // events decided per second, sustained
	// CPU: ekjon's process, the broker's process, Redis and PostgreSQL,
	// from the first consumer's start to the last decision.
	CPU    CPU
	Broker time.Duration
	// RedisCommands are the commands ekjon sent to Redis; RedisBytes the
	// change of the memory of the index's keys (PrefixMemory).
	RedisCommands int64
	RedisBytes    int64
	// Tables are the rows and bytes each table gained; WAL the server's
	// WAL written meanwhile.
	Tables map[string]TableSize
	WAL    int64
}

// Per returns x per event of the phase.
func (p PhaseResult) Per(x float64) float64 {
	if p.Events == 0 {
		return 0
	}
	return x / float64(p.Events)
}

// SizeDelta returns after minus before, table by table.
func SizeDelta(before, after map[string]TableSize) map[string]TableSize {
	out := map[string]TableSize{}
	for name, a := range after {
		b := before[name]
		if d := (TableSize{a.Rows - b.Rows, a.Bytes - b.Bytes}); d != (TableSize{}) {
			out[name] = d
		}
	}
	return out
}

// PaydayResult is the payday phases at one registry size.
type PaydayResult struct {
	Persons int
	Phases  []PhaseResult
}

// WriteMarkdown writes the phases as one table, and the record's growth
// per event, table by table.
func (r PaydayResult) WriteMarkdown(w io.Writer) {
	if len(r.Phases) == 0 {
		return
	}
	fmt.Fprintf(w, "#### Payday at P = %s persons (broker in its own process)\n\n| measure |", thousands(r.Persons))
	for _, p := range r.Phases {
		fmt.Fprintf(w, " %s |", p.Name)
	}
	fmt.Fprintf(w, "\n|---|%s\n", strings.Repeat("---:|", len(r.Phases)))
	row := func(name, format string, f func(p PhaseResult) float64) {
		fmt.Fprintf(w, "| %s |", name)
		for _, p := range r.Phases {
			fmt.Fprintf(w, " "+format+" |", f(p))
		}
		fmt.Fprintln(w)
	}
	k := func(p PhaseResult, d time.Duration) float64 { return p.Per(d.Seconds()) * 1000 }
	row("events", "%.0f", func(p PhaseResult) float64 { return float64(p.Events) })
	row("events/s (sustained)", "%.0f", func(p PhaseResult) float64 { return p.Rate })
	row("CPU s per 1,000 events: ekjon", "%.3f", func(p PhaseResult) float64 { return k(p, p.CPU.Process) })
	row("… broker (apart)", "%.3f", func(p PhaseResult) float64 { return k(p, p.Broker) })
	row("… Redis", "%.3f", func(p PhaseResult) float64 { return k(p, p.CPU.Redis) })
	row("… PostgreSQL", "%.3f", func(p PhaseResult) float64 { return k(p, p.CPU.Postgres) })
	row("Redis commands per event", "%.2f", func(p PhaseResult) float64 { return p.Per(float64(p.RedisCommands)) })
	row("Redis bytes per event (index keys)", "%.0f", func(p PhaseResult) float64 { return p.Per(float64(p.RedisBytes)) })
	row("PostgreSQL rows per event", "%.2f", func(p PhaseResult) float64 {
		var n int64
		for _, t := range p.Tables {
			n += t.Rows
		}
		return p.Per(float64(n))
	})
	row("PostgreSQL bytes per event", "%.0f", func(p PhaseResult) float64 {
		var n int64
		for _, t := range p.Tables {
			n += t.Bytes
		}
		return p.Per(float64(n))
	})
	row("WAL bytes per event (server-wide)", "%.0f", func(p PhaseResult) float64 { return p.Per(float64(p.WAL)) })
	fmt.Fprintln(w)
	fmt.Fprintf(w, "| table: rows / bytes per event |")
	for _, p := range r.Phases {
		fmt.Fprintf(w, " %s |", p.Name)
	}
	fmt.Fprintf(w, "\n|---|%s\n", strings.Repeat("---:|", len(r.Phases)))
	names := map[string]bool{}
	for _, p := range r.Phases {
		for t := range p.Tables {
			names[t] = true
		}
	}
	sorted := make([]string, 0, len(names))
	for t := range names {
		sorted = append(sorted, t)
	}
	sort.Strings(sorted)
	for _, t := range sorted {
		fmt.Fprintf(w, "| %s |", t)
		for _, p := range r.Phases {
			s := p.Tables[t]
			fmt.Fprintf(w, " %.3f / %.0f |", p.Per(float64(s.Rows)), p.Per(float64(s.Bytes)))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}
