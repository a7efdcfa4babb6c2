package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ekjonBinary builds the ekjon command into a directory of the test's, as
// this test binary was built (with -race if it was), so that the packages
// it compiled are reused and a second build only links.
func ekjonBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ekjon")
	build := []string{"build", "-o", bin}
	if bi, ok := debug.ReadBuildInfo(); ok && slices.Contains(bi.Settings, debug.BuildSetting{Key: "-race", Value: "true"}) {
		build = append(build, "-race")
	}
	if out, err := exec.Command("go", append(build, ".")...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// child is a process of the ekjon binary that a test started. Its output,
// stdout and stderr together, goes to a file of the test's, which may be
// read at any time.
type child struct {
	name   string
	cmd    *exec.Cmd
	out    string        // path of the output file
	exited chan struct{} // closed once the process has exited
	err    error         // how it exited; read after exited
}

// startChild runs bin with args (and env added to the test's environment)
// and waits up to a minute for a line of its output that matches ready,
// whose first submatch it returns. The process is killed when the test
// ends.
func startChild(t *testing.T, name, bin string, env []string, ready *regexp.Regexp, args ...string) (*child, string) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "out-*.log")
	if err != nil {
		t.Fatal(err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{name: name, cmd: exec.Command(bin, args...), out: f.Name(), exited: make(chan struct{})}
	c.cmd.Env = append(os.Environ(), env...)
	c.cmd.Stdout, c.cmd.Stderr = pw, pw
	err = c.cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		f.Close()
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		defer f.Close()
		defer pr.Close()
		r := bufio.NewReader(pr)
		for {
			line, err := r.ReadString('\n')
			_, _ = f.WriteString(line)
			if m := ready.FindStringSubmatch(strings.TrimRight(line, "\n")); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
			if err != nil {
				break
			}
		}
		c.err = c.cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(c.kill)
	select {
	case v := <-found:
		return c, v
	case <-c.exited:
		t.Fatalf("%s exited: %v\n%s", name, c.err, c.tail(40))
	case <-time.After(time.Minute):
		c.kill()
		t.Fatalf("%s printed no line matching %q in a minute\n%s", name, ready, c.tail(40))
	}
	return nil, ""
}

// output returns everything the process has written so far.
func (c *child) output() string {
	b, _ := os.ReadFile(c.out)
	return string(b)
}

// tail returns the last n lines of the process's output.
func (c *child) tail(n int) string {
	lines := strings.Split(strings.TrimRight(c.output(), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func (c *child) kill() {
	_ = c.cmd.Process.Kill() // ErrProcessDone once it has exited
	<-c.exited
}

// signal sends sig and waits up to a minute for the process to exit; after
// SIGTERM it must exit cleanly.
func (c *child) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	c.awaitExit(t, sig)
}

// awaitExit waits up to a minute for the process to exit after sig was
// sent; after SIGTERM it must exit cleanly.
func (c *child) awaitExit(t *testing.T, sig syscall.Signal) {
	t.Helper()
	select {
	case <-c.exited:
		if sig == syscall.SIGTERM && c.err != nil {
			t.Fatalf("%s after SIGTERM: %v\n%s", c.name, c.err, c.tail(40))
		}
	case <-time.After(time.Minute):
		c.kill()
		t.Fatalf("%s still runs a minute after %v\n%s", c.name, sig, c.tail(40))
	}
}

// running reports whether the process has not exited.
func (c *child) running() bool {
	select {
	case <-c.exited:
		return false
	default:
		return true
	}
}

// brokerProcess is `ekjon broker` running as a process.
type brokerProcess struct {
	*child
	addr string
}

var brokerListening = regexp.MustCompile(`^ekjon broker: listening on (\S+)$`)

// startBrokerProcess starts `ekjon broker args...` and waits for the line
// that gives its address. The process is killed when the test ends.
func startBrokerProcess(t *testing.T, bin string, args ...string) *brokerProcess {
	t.Helper()
	c, addr := startChild(t, "ekjon broker", bin, nil, brokerListening, append([]string{"broker"}, args...)...)
	return &brokerProcess{child: c, addr: addr}
}

// stop sends sig and waits for the broker to exit; after SIGTERM it must
// say it stopped.
func (b *brokerProcess) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	b.signal(t, sig)
	if sig == syscall.SIGTERM && !strings.Contains(b.output(), "ekjon broker: stopped") {
		t.Fatalf("after SIGTERM the broker did not say it stopped\n%s", b.tail(40))
	}
}

// runProcess is `ekjon run` running as a process.
type runProcess struct {
	*child
	http string // address of its HTTP server
}

var runRunning = regexp.MustCompile(`msg="ekjon running" http=(\S+)`)

// startRunProcess starts `ekjon run args...` with env added to the test's
// environment, and waits until it has joined its world and serves HTTP.
func startRunProcess(t *testing.T, name, bin string, env []string, args ...string) *runProcess {
	t.Helper()
	c, addr := startChild(t, name, bin, env, runRunning, append([]string{"run"}, args...)...)
	return &runProcess{child: c, http: addr}
}

// metrics returns the process's /metrics page.
func (r *runProcess) metrics(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+r.http+"/metrics", nil)
	if err != nil {
		return "", err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err == nil && res.StatusCode != http.StatusOK {
		err = fmt.Errorf("/metrics: %s", res.Status)
	}
	return string(b), err
}

// metricSum adds up the samples of the metric name on a page of the
// Prometheus text format whose labels include every one of labels (each
// written name="value").
func metricSum(page, name string, labels ...string) float64 {
	var sum float64
	for _, line := range strings.Split(page, "\n") {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		set := ""
		if rest[0] == '{' {
			end := strings.IndexByte(rest, '}')
			if end < 0 {
				continue
			}
			set, rest = rest[1:end], rest[end+1:]
		}
		have := strings.Split(set, ",") // ekjon's label values hold no commas
		if slices.ContainsFunc(labels, func(l string) bool { return !slices.Contains(have, l) }) {
			continue
		}
		// The client writes no timestamps: the value is what is left.
		if v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64); err == nil {
			sum += v
		}
	}
	return sum
}
