package redistest

import (
	"bufio"
	"errors"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Persistence is what a private Redis server keeps when it is killed.
type Persistence int

const (
	// NoPersistence keeps nothing: a restart loses every key, as a crash
	// of a Redis run as a pure cache does.
	NoPersistence Persistence = iota
	// AppendOnly logs every write and fsyncs it before answering
	// (appendonly yes, appendfsync always): a restart keeps every write
	// the server acknowledged.
	AppendOnly
	// Snapshot keeps what the last SAVE or BGSAVE wrote, and nothing
	// after it: a restart comes back with the data as it was then, as a
	// server persisting by RDB snapshots alone does after a crash.
	Snapshot
)

// ServerOptions says how to run a private Redis server.
type ServerOptions struct {
	Persistence Persistence
	// Config are more redis-server settings, name to value, given on its
	// command line at every start (CONFIG SET would not outlive a restart).
	Config map[string]string
}

// Server is a private redis-server process for one test, which the test
// may kill and restart without disturbing the shared Redis other tests
// use. Its methods are safe for concurrent use.
type Server struct {
	bin, dir string
	port     int
	opts     ServerOptions

	mu     sync.Mutex
	proc   *exec.Cmd
	exited chan struct{}
}

// StartServer runs redis-server on a free port of 127.0.0.1 with its
// files in a directory of the test's, and kills it when the test ends.
// It skips the test when redis-server is not installed, except under CI,
// which installs it.
func StartServer(tb testing.TB, opts ServerOptions) *Server {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatal("redistest: redis-server is not installed; .ci/run installs it (apt-get install redis-server)")
		}
		tb.Skip("redistest: redis-server is not installed (apt-get install redis-server)")
	}
	s := &Server{bin: bin, dir: tb.TempDir(), opts: opts}
	tb.Cleanup(s.Kill)
	// The free port is found by closing a listener on it, so another
	// process may take it before the server binds it: try a few.
	for attempt := 0; ; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatalf("redistest: %v", err)
		}
		s.port = l.Addr().(*net.TCPAddr).Port
		l.Close()
		err = s.Restart()
		if err == nil {
			return s
		}
		if attempt == 2 || !strings.Contains(err.Error(), "Address already in use") {
			tb.Fatal(err)
		}
	}
}

// Addr returns the server's host:port; it stays the same across restarts.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL returns the server's redis:// URL.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Client returns a client of the server, closed when the test ends. It
// reconnects by itself after a restart.
func (s *Server) Client(tb testing.TB) *redis.Client {
	tb.Helper()
	c := redis.NewClient(&redis.Options{Addr: s.Addr()})
	tb.Cleanup(func() { c.Close() })
	return c
}

// Kill kills the server with SIGKILL, as a crash would, and waits until
// it has exited. It stays down until Restart.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kill()
}

func (s *Server) kill() {
	if s.proc == nil {
		return
	}
	_ = s.proc.Process.Kill()
	<-s.exited
	s.proc = nil
}

// Restart kills the server if it runs and starts it again on the same
// port and directory, and returns once it answers PING (with
// AppendOnly or Snapshot, once it has loaded its data).
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kill()
	if s.opts.Persistence == NoPersistence {
		// A SAVE the test sent would otherwise be loaded.
		if err := os.Remove(filepath.Join(s.dir, "dump.rdb")); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("redistest: %w", err)
		}
	}
	appendOnly := "no"
	if s.opts.Persistence == AppendOnly {
		appendOnly = "yes"
	}
	logPath := filepath.Join(s.dir, "redis.log")
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("redistest: %w", err)
	}
	defer log.Close()
	st, _ := log.Stat()
	args := []string{"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--dir", s.dir,
		"--save", "", "--appendonly", appendOnly, "--appendfsync", "always", "--daemonize", "no", "--logfile", ""}
	for _, name := range slices.Sorted(maps.Keys(s.opts.Config)) {
		args = append(args, "--"+name, s.opts.Config[name])
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redistest: redis-server: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.proc, s.exited = cmd, exited

	deadline := time.Now().Add(time.Minute)
	for {
		err := ping(s.Addr())
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			s.proc = nil
			return fmt.Errorf("redistest: redis-server exited at start:\n%s", logSince(logPath, st.Size()))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("redistest: redis-server did not answer within a minute (%w):\n%s",
				err, logSince(logPath, st.Size()))
		}
	}
}

// ping asks the server at addr for PONG on a connection of its own; a
// client's pool would log every refused dial while the server starts.
func ping(addr string) error {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return errors.New(strings.TrimSpace(line)) // -LOADING while it reads its log
	}
	return nil
}

func logSince(path string, offset int64) string {
	b, err := os.ReadFile(path)
	if err != nil || offset > int64(len(b)) {
		return ""
	}
	return strings.TrimSpace(string(b[offset:]))
}
