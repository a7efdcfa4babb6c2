package pglocal

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// testParent returns a parent directory of the test's own, which the
// account postgres runs as can traverse.
func testParent(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pglocal-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func needBinaries(t *testing.T) {
	t.Helper()
	if _, err := FindBinaries(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

// deadPid returns the pid of a process that has exited.
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.ProcessState.Pid()
}

// TestStaleDirectoryRemoved leaves servers behind as a killed process
// does: the next Start under the same parent stops them and removes their
// directories, and leaves a live owner's directory alone.
func TestStaleDirectoryRemoved(t *testing.T) {
	needBinaries(t)
	parent := testParent(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := func() *Server {
		t.Helper()
		s, err := Start(ctx, Config{Parent: parent})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Stop() })
		return s
	}
	// A server outlives the removal of its directory for up to a minute,
	// so what must be gone is its process too.
	var postmasters []int
	server := func(dir string) {
		t.Helper()
		pid := postmaster(t, dir)
		postmasters = append(postmasters, pid)
		t.Cleanup(func() {
			if alive(pid, "") {
				syscall.Kill(pid, syscall.SIGQUIT)
			}
		})
	}
	killed := startAndKill(t, parent)
	server(killed)
	orphan, live := start(), start()
	server(orphan.Dir())
	// The owner file names a process that has exited.
	if err := os.WriteFile(filepath.Join(orphan.Dir(), ownerFile), fmt.Appendf(nil, "%d\n", deadPid(t)), 0o644); err != nil {
		t.Fatal(err)
	}
	// A directory whose owner died before it wrote the owner file.
	unnamed := filepath.Join(parent, fmt.Sprintf("%d-123", deadPid(t)))
	if err := os.Mkdir(unnamed, 0o700); err != nil {
		t.Fatal(err)
	}

	next := start()
	for _, dir := range []string{killed, orphan.Dir(), unnamed} {
		if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("stale directory %s: %v", dir, err)
		}
	}
	for _, pid := range postmasters {
		if alive(pid, "") {
			t.Errorf("the server of a stale directory (pid %d) still runs", pid)
		}
	}
	cctx, ccancel := context.WithTimeout(ctx, 10*time.Second)
	defer ccancel()
	for _, s := range []*Server{live, next} {
		if _, err := os.Stat(s.Dir()); err != nil {
			t.Errorf("live server's directory: %v", err)
		}
		conn, err := pgx.Connect(cctx, s.URL())
		if err != nil {
			t.Fatalf("live server: %v", err)
		}
		conn.Close(ctx)
	}
}

// postmaster returns the pid of the server running in dir.
func postmaster(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, dataDir, "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(line)
	if err != nil || !alive(pid, "") {
		t.Fatalf("postmaster.pid of %s: %q (%v)", dir, line, err)
	}
	return pid
}

// startAndKill runs this test binary as a process that starts a server
// under parent, and kills it with SIGKILL once the server is up.
func startAndKill(t *testing.T, parent string) (dir string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperOwner$")
	cmd.Env = append(os.Environ(), "PGLOCAL_HELPER_PARENT="+parent)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := fmt.Fscanln(out, &dir); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("owner process: %v", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	return dir
}

// TestHelperOwner is the process startAndKill kills; it does nothing in a
// normal run.
func TestHelperOwner(t *testing.T) {
	parent := os.Getenv("PGLOCAL_HELPER_PARENT")
	if parent == "" {
		t.Skip("run by startAndKill")
	}
	s, err := Start(context.Background(), Config{Parent: parent})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(s.Dir())
	time.Sleep(time.Hour)
}

func TestAlive(t *testing.T) {
	self, ok := procStat(os.Getpid())
	if !ok {
		t.Skip("no /proc")
	}
	for _, c := range []struct {
		name  string
		pid   int
		start string
		want  bool
	}{
		{"this process", os.Getpid(), self.start, true},
		{"this process, start unknown", os.Getpid(), "", true},
		{"a pid given to another process since", os.Getpid(), self.start + "1", false},
		{"an exited process", deadPid(t), "", false},
		{"no pid", 0, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := alive(c.pid, c.start); got != c.want {
				t.Errorf("alive(%d, %q) = %v", c.pid, c.start, got)
			}
		})
	}
}

// TestNotInstalled: without the binaries, the error says so and names the
// package to install.
func TestNotInstalled(t *testing.T) {
	_, err := Start(context.Background(), Config{BinDir: t.TempDir(), Parent: testParent(t)})
	if !errors.Is(err, ErrNotInstalled) || !strings.Contains(err.Error(), "apt-get install postgresql") {
		t.Fatalf("got %v, want ErrNotInstalled naming the package", err)
	}
}

// TestInitdbOutput: when initdb fails, the error carries what it said, and
// nothing is left behind.
func TestInitdbOutput(t *testing.T) {
	bin := testParent(t)
	for name, script := range map[string]string{
		"initdb":   "#!/bin/sh\necho 'initdb: the disk is made of cheese' >&2\nexit 1\n",
		"postgres": "#!/bin/sh\nexit 1\n",
	} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	parent := testParent(t)
	_, err := Start(context.Background(), Config{BinDir: bin, Parent: parent})
	if err == nil || !strings.Contains(err.Error(), "the disk is made of cheese") {
		t.Fatalf("got %v, want initdb's output", err)
	}
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}
