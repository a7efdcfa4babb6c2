package pglocal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// writeOwner records this process as the owner of dir: its pid and, where
// /proc tells it, its start time, so that a pid the system has since given
// to another process does not keep a dead owner's directory alive.
func writeOwner(dir string) error {
	pid := os.Getpid()
	st, _ := procStat(pid)
	if err := os.WriteFile(filepath.Join(dir, ownerFile), fmt.Appendf(nil, "%d %s\n", pid, st.start), 0o644); err != nil {
		return fmt.Errorf("pglocal: %w", err)
	}
	return nil
}

// readOwner returns the owner of dir: from its owner file, else from its
// name (<pid>-<random>), which a process killed between making the
// directory and writing the file leaves.
func readOwner(dir string) (pid int, start string, ok bool) {
	if b, err := os.ReadFile(filepath.Join(dir, ownerFile)); err == nil {
		f := strings.Fields(string(b))
		if len(f) > 0 {
			pid, err = strconv.Atoi(f[0])
			if len(f) > 1 {
				start = f[1]
			}
			return pid, start, err == nil
		}
	}
	p, _, found := strings.Cut(filepath.Base(dir), "-")
	pid, err := strconv.Atoi(p)
	return pid, "", found && err == nil
}

// removeStale stops the server of, and removes, every directory under
// parent whose owner has died. It does its best and says nothing: a
// directory of another account, or one that another process is removing
// at the same moment, is left to it.
func removeStale(parent string) {
	entries, _ := os.ReadDir(parent)
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		pid, start, ok := readOwner(dir)
		if !ok || alive(pid, start) {
			continue
		}
		stopServer(filepath.Join(dir, dataDir))
		_ = os.RemoveAll(dir)
	}
}

// stopServer stops the server that a dead owner left running on the data
// directory, if any: an immediate shutdown, then SIGKILL to its process
// group if it lingers.
func stopServer(data string) {
	b, err := os.ReadFile(filepath.Join(data, "postmaster.pid"))
	if err != nil {
		return
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || pid <= 0 || !worksIn(pid, data) {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGQUIT)
	for deadline := time.Now().Add(30 * time.Second); alive(pid, "") && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if alive(pid, "") {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}

// worksIn reports whether process pid has dir as its working directory, as
// a postmaster has its data directory. It keeps a stale postmaster.pid
// from naming a process that is not that server. Without /proc it trusts
// the pid, as pg_ctl does.
func worksIn(pid int, dir string) bool {
	cwd, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd")
	if err != nil {
		if _, perr := os.Stat("/proc/self"); perr == nil {
			return false // gone, or another account's process: not ours to stop
		}
		return alive(pid, "")
	}
	want, err := filepath.EvalSymlinks(dir)
	return err == nil && cwd == want
}

// alive reports whether process pid exists and is not a zombie, and, when
// start is known, whether it is the process that started then.
func alive(pid int, start string) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	st, ok := procStat(pid)
	if !ok {
		return true // no /proc: the signal said it exists
	}
	return st.state != "Z" && (start == "" || st.start == start)
}

// stat is what /proc/<pid>/stat says of a process.
type stat struct {
	state string // R, S, D, Z…
	start string // clock ticks after boot
}

func procStat(pid int) (stat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return stat{}, false
	}
	// The command name, in parentheses, may hold spaces: the fields that
	// follow start after the last parenthesis, the state first and the
	// start time twentieth.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return stat{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return stat{}, false
	}
	return stat{state: f[0], start: f[19]}, true
}
