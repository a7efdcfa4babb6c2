// Package pglocal runs a private PostgreSQL server: initdb into a fresh
// directory, a server on a free loopback port with trust auth for one
// user, stopped and removed when done. Tests that must restart PostgreSQL
// use it, so that the server other tests share is never disturbed, and so
// does the demo when no server answers.
//
// A process killed with SIGKILL leaves its directory and its server
// behind. Every directory records its owner, and the next Start under the
// same parent stops the server of, and removes, every directory whose
// owner has died.
package pglocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNotInstalled says the server binaries (initdb and postgres) were not
// found. The error that wraps it says where they were looked for and which
// package provides them.
var ErrNotInstalled = errors.New("PostgreSQL server binaries not found")

// Config says how to start a private server. The zero value is ready to
// use: every field has a default.
type Config struct {
	// BinDir holds initdb and postgres. Empty: the newest
	// /usr/lib/postgresql/<version>/bin (Debian's layout), else the
	// directory of initdb on the PATH.
	BinDir string
	// Parent is where the server's directory is made. Empty:
	// $TMPDIR/ekjon-pg, shared by every process so that a dead one's
	// directories are found and removed.
	Parent string
	// User is the database superuser, trusted without a password
	// (default postgres).
	User string
	// RunAs is the account initdb and postgres run as when this process
	// is root, which they refuse to be (default postgres, the account
	// Debian's package creates).
	RunAs string
	// Settings are extra server settings, passed as postgres -c name=value.
	Settings map[string]string
	// StartTimeout bounds initdb and the wait for the first connection the
	// server accepts (default 2m: a busy two-core machine is slow).
	StartTimeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.User == "" {
		c.User = "postgres"
	}
	if c.RunAs == "" {
		c.RunAs = "postgres"
	}
	if c.StartTimeout == 0 {
		c.StartTimeout = 2 * time.Minute
	}
	return c
}

// Validate reports settings that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.User != "" && !plainName(c.User) {
		errs = append(errs, fmt.Errorf("pglocal: user %q: letters, digits and _ only", c.User))
	}
	for k := range c.Settings {
		if !plainName(strings.ReplaceAll(k, ".", "_")) {
			errs = append(errs, fmt.Errorf("pglocal: setting %q: not a setting name", k))
		}
	}
	if c.StartTimeout < 0 {
		errs = append(errs, errors.New("pglocal: start timeout: not negative"))
	}
	return errors.Join(errs...)
}

func plainName(s string) bool {
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// StopMode is how a server is stopped.
type StopMode int

const (
	// Fast disconnects the clients, writes a checkpoint and exits.
	Fast StopMode = iota
	// Immediate exits at once, without a checkpoint: the next start
	// recovers from the write-ahead log, as after a crash.
	Immediate
)

func (m StopMode) signal() syscall.Signal {
	if m == Immediate {
		return syscall.SIGQUIT
	}
	return syscall.SIGINT
}

// The files of a server's directory.
const (
	ownerFile = "owner"        // "<pid> <start time>" of the process that owns the directory
	dataDir   = "data"         // the cluster initdb makes
	logFile   = "postgres.log" // initdb's and the server's output
)

// Server is a running private PostgreSQL. Its methods are safe for
// concurrent use.
type Server struct {
	cfg  Config
	bin  string
	dir  string
	cred *syscall.Credential
	log  *os.File

	mu      sync.Mutex
	port    int
	proc    *exec.Cmd
	exited  chan struct{} // closed when proc has exited
	removed bool
}

// Start makes a directory under cfg.Parent, runs initdb there and starts
// a server on a free port of 127.0.0.1 (its unix socket stays in the
// directory). It returns once the server accepts connections. Before
// that, it removes the directories of dead owners under the same parent.
// Errors wrap ErrNotInstalled when the binaries are missing, and carry
// initdb's or the server's output when those fail.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	bin := cfg.BinDir
	if bin == "" {
		var err error
		if bin, err = FindBinaries(); err != nil {
			return nil, err
		}
	} else if !hasBinaries(bin) {
		return nil, notInstalled(bin)
	}
	cred, err := credential(cfg.RunAs)
	if err != nil {
		return nil, err
	}
	parent, err := makeParent(cfg.Parent)
	if err != nil {
		return nil, err
	}
	removeStale(parent)

	dir, err := os.MkdirTemp(parent, strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return nil, fmt.Errorf("pglocal: %w", err)
	}
	s := &Server{cfg: cfg, bin: bin, dir: dir, cred: cred}
	ok := false
	defer func() {
		if !ok {
			s.Stop()
		}
	}()
	if err := writeOwner(dir); err != nil {
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, fmt.Errorf("pglocal: %w", err)
		}
	}
	if s.log, err = os.OpenFile(filepath.Join(dir, logFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
		return nil, fmt.Errorf("pglocal: %w", err)
	}

	ctx, cancel := context.WithTimeout(ctx, cfg.StartTimeout)
	defer cancel()
	if err := s.initdb(ctx); err != nil {
		return nil, err
	}
	// The free port is found by closing a listener on it, so another
	// process may take it before the server binds it: try a few.
	for attempt := 0; ; attempt++ {
		if s.port, err = freePort(); err != nil {
			return nil, fmt.Errorf("pglocal: %w", err)
		}
		err = s.start(ctx)
		if err == nil || attempt == 2 || !strings.Contains(err.Error(), "could not bind") {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// URL returns a libpq URL of the server's postgres database.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/postgres?sslmode=disable", s.cfg.User, s.port)
}

// Port returns the server's TCP port; it stays the same across restarts.
func (s *Server) Port() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.port
}

// Dir returns the server's directory.
func (s *Server) Dir() string { return s.dir }

// Halt stops the server in the given mode and leaves it down, with its
// data and port, until Resume.
func (s *Server) Halt(mode StopMode) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.halt(mode)
}

// Resume starts the stopped server again on the same port and data, and
// returns once it accepts connections. It fails if another process took
// the port meanwhile.
func (s *Server) Resume(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.removed {
		return errors.New("pglocal: server stopped and removed")
	}
	if s.proc != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.StartTimeout)
	defer cancel()
	return s.startLocked(ctx)
}

// Restart stops the server in the given mode and starts it again on the
// same port and data. Fault tests use it: Immediate is a crash of the
// server, from which PostgreSQL recovers what was committed.
func (s *Server) Restart(ctx context.Context, mode StopMode) error {
	if err := s.Halt(mode); err != nil {
		return err
	}
	return s.Resume(ctx)
}

// Stop shuts the server down (fast) and removes its directory. It may be
// called more than once.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.removed {
		return nil
	}
	err := s.halt(Fast)
	if s.log != nil {
		s.log.Close()
	}
	s.removed = true
	if rerr := os.RemoveAll(s.dir); rerr != nil {
		err = errors.Join(err, fmt.Errorf("pglocal: %w", rerr))
	}
	return err
}

// initdb makes the cluster: one superuser trusted on every connection,
// UTF-8 with the C locale so that it behaves the same on every machine.
func (s *Server) initdb(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, "initdb"),
		"-D", filepath.Join(s.dir, dataDir), "-U", s.cfg.User, "-A", "trust",
		"-E", "UTF8", "--no-locale", "--no-sync")
	s.prepare(cmd)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.MultiWriter(&out, s.log), io.MultiWriter(&out, s.log)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pglocal: initdb: %w\n%s", err, strings.TrimSpace(out.String()))
	}
	return nil
}

// prepare gives a child process the server's directory as its working
// directory (initdb and postgres, run as another account, must be able to
// read it), an environment without PG* variables that would redirect
// them, and the account to run as.
func (s *Server) prepare(cmd *exec.Cmd) {
	cmd.Dir = s.dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	// Its own process group: a Ctrl-C in the terminal goes to the
	// program, which stops the server in its own time.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: s.cred}
}

func (s *Server) start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.startLocked(ctx)
}

// startLocked runs postgres and waits until it accepts a connection.
func (s *Server) startLocked(ctx context.Context) error {
	args := []string{"-D", filepath.Join(s.dir, dataDir), "-p", strconv.Itoa(s.port), "-k", s.dir,
		"-c", "listen_addresses=127.0.0.1"}
	for _, k := range slices.Sorted(maps.Keys(s.cfg.Settings)) {
		args = append(args, "-c", k+"="+s.cfg.Settings[k])
	}
	cmd := exec.Command(filepath.Join(s.bin, "postgres"), args...)
	s.prepare(cmd)
	cmd.Stdout, cmd.Stderr = s.log, s.log
	logStart := s.logSize()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("pglocal: postgres: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.proc, s.exited = cmd, exited

	url := fmt.Sprintf("postgres://%s@127.0.0.1:%d/postgres?sslmode=disable&connect_timeout=5", s.cfg.User, s.port)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		conn, err := pgx.Connect(cctx, url)
		cancel()
		if err == nil {
			conn.Close(context.Background())
			return nil
		}
		select {
		case <-exited:
			s.proc = nil
			return fmt.Errorf("pglocal: postgres exited at start:\n%s", s.logSince(logStart))
		case <-ctx.Done():
			_ = s.halt(Immediate)
			return fmt.Errorf("pglocal: waiting for postgres to accept connections: %w (last: %v)\n%s",
				ctx.Err(), err, s.logSince(logStart))
		case <-tick.C:
		}
	}
}

// halt signals the server and waits until it has exited; a server that
// has not exited after a minute is killed.
func (s *Server) halt(mode StopMode) error {
	if s.proc == nil {
		return nil
	}
	pid := s.proc.Process.Pid
	defer func() { s.proc = nil }()
	if err := s.proc.Process.Signal(mode.signal()); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("pglocal: stop postgres: %w", err)
	}
	select {
	case <-s.exited:
		return nil
	case <-time.After(time.Minute):
	}
	// The whole group: backends a killed postmaster leaves behind would
	// keep the shared memory and block the next start.
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	<-s.exited
	return fmt.Errorf("pglocal: postgres did not stop within a minute and was killed")
}

func (s *Server) logSize() int64 {
	if st, err := s.log.Stat(); err == nil {
		return st.Size()
	}
	return 0
}

// logSince returns what the server wrote to its log from offset on, at
// most the last 4 KiB.
func (s *Server) logSince(offset int64) string {
	b, err := os.ReadFile(s.log.Name())
	if err != nil || offset > int64(len(b)) {
		return ""
	}
	b = b[offset:]
	if len(b) > 4096 {
		b = b[len(b)-4096:]
	}
	return strings.TrimSpace(string(b))
}

// FindBinaries returns the directory of initdb and postgres: the newest
// /usr/lib/postgresql/<version>/bin, else the directory initdb on the PATH
// resolves to.
func FindBinaries() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return slices.Compare(versionOf(b), versionOf(a)) })
	for _, d := range dirs {
		if hasBinaries(d) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if p, err = filepath.EvalSymlinks(p); err == nil && hasBinaries(filepath.Dir(p)) {
			return filepath.Dir(p), nil
		}
	}
	return "", notInstalled("/usr/lib/postgresql/*/bin or on the PATH")
}

func notInstalled(where string) error {
	return fmt.Errorf("pglocal: %w in %s: install them "+
		"(Debian/Ubuntu: apt-get install postgresql; Fedora: dnf install postgresql-server; macOS: brew install postgresql)",
		ErrNotInstalled, where)
}

func hasBinaries(dir string) bool {
	for _, name := range []string{"initdb", "postgres"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// versionOf returns the numbers of /usr/lib/postgresql/<version>/bin.
func versionOf(binDir string) []int {
	var v []int
	for _, f := range strings.Split(filepath.Base(filepath.Dir(binDir)), ".") {
		n, _ := strconv.Atoi(f)
		v = append(v, n)
	}
	return v
}

// credential returns the account to run initdb and postgres as: nil (this
// process's own) unless this process is root.
func credential(runAs string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup(runAs)
	if err != nil {
		return nil, fmt.Errorf("pglocal: initdb and postgres refuse to run as root, and there is no %q account to run them as "+
			"(the postgresql package creates it): %w", runAs, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("pglocal: account %q: %w", runAs, err)
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

// makeParent makes the parent directory. The default one is shared by
// every account, as /tmp is, so that whoever starts next cleans up.
func makeParent(parent string) (string, error) {
	shared := parent == ""
	if shared {
		parent = filepath.Join(os.TempDir(), "ekjon-pg")
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("pglocal: %w", err)
	}
	if shared {
		if st, err := os.Stat(parent); err == nil && st.Mode()&os.ModePerm != 0o777 {
			_ = os.Chmod(parent, os.ModeSticky|0o777) // fails harmlessly if another account made it
		}
	}
	return parent, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
