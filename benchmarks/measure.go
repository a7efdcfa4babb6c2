package benchmarks

import (
	"bufio"
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// CPU is CPU time spent by the three parties of a run: this process (the
// workers, the in-process Kafka broker and, in a fixed-rate run, the
// producer), the Redis server and the PostgreSQL server's processes.
type CPU struct {
	Process, Redis, Postgres time.Duration
}

// Total is the sum of the parties.
func (c CPU) Total() time.Duration { return c.Process + c.Redis + c.Postgres }

// Sub returns c minus an earlier reading.
func (c CPU) Sub(o CPU) CPU {
	return CPU{c.Process - o.Process, c.Redis - o.Redis, c.Postgres - o.Postgres}
}

// ReadCPU reads the CPU time used so far by this process, Redis (from INFO
// cpu) and every local process named postgres (from /proc, Linux only;
// zero elsewhere).
func ReadCPU(ctx context.Context, rdb redis.UniversalClient) CPU {
	var c CPU
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		c.Process = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if info, err := rdb.Info(ctx, "cpu").Result(); err == nil {
		sec := infoField(info, "used_cpu_user") + infoField(info, "used_cpu_sys")
		c.Redis = time.Duration(sec * float64(time.Second))
	}
	c.Postgres = postgresCPU()
	return c
}

func infoField(info, name string) float64 {
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+":"); ok {
			f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return f
		}
	}
	return 0
}

// postgresCPU sums utime and stime of the processes named postgres, and
// the cutime and cstime of their exited children, which the postmaster
// keeps once it has reaped them: a backend that exits between two readings
// is still counted. Other clients' work on the same server counts too, so
// the figure needs a quiet server.
func postgresCPU() time.Duration {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var ticks int64
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		s := string(b)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open || s[open+1:close] != "postgres" {
			continue
		}
		f := strings.Fields(s[close+1:])
		if len(f) < 15 {
			continue
		}
		for _, i := range []int{11, 12, 13, 14} { // utime, stime, cutime, cstime
			n, _ := strconv.ParseInt(f[i], 10, 64)
			ticks += n
		}
	}
	return time.Duration(ticks) * (time.Second / 100)
}

// RedisMemory returns Redis's used_memory in bytes.
func RedisMemory(ctx context.Context, rdb redis.UniversalClient) (int64, error) {
	info, err := rdb.Info(ctx, "memory").Result()
	if err != nil {
		return 0, err
	}
	return int64(infoField(info, "used_memory")), nil
}

// DatabaseSize returns the size on disk of the pool's database.
func DatabaseSize(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	var n int64
	err := pool.QueryRow(ctx, "SELECT pg_database_size(current_database())").Scan(&n)
	return n, err
}

// Latencies gathers decision latencies. It is safe for concurrent use.
type Latencies struct {
	mu sync.Mutex
	s  []float64
}

// Add records latencies in seconds.
func (l *Latencies) Add(d ...float64) {
	l.mu.Lock()
	l.s = append(l.s, d...)
	l.mu.Unlock()
}

// Quantiles are latency quantiles in milliseconds.
type Quantiles struct {
	N                  int
	P50, P95, P99, Max float64
}

// Quantiles returns the 50th, 95th and 99th percentiles and the maximum.
func (l *Latencies) Quantiles() Quantiles {
	l.mu.Lock()
	s := slices.Clone(l.s)
	l.mu.Unlock()
	if len(s) == 0 {
		return Quantiles{}
	}
	slices.Sort(s)
	q := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(s)))) - 1
		return s[max(0, min(i, len(s)-1))] * 1000
	}
	return Quantiles{N: len(s), P50: q(0.50), P95: q(0.95), P99: q(0.99), Max: s[len(s)-1] * 1000}
}

// Machine describes the host for the report.
func Machine() string {
	model := ""
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "model name"); ok {
				model = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
		f.Close()
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
				mem = strconv.FormatFloat(kb/1024/1024, 'f', 0, 64) + " GB"
			}
		}
	}
	return strings.TrimSpace(strconv.Itoa(numCPU()) + " cores " + model + ", " + mem)
}
