// Package browsertest drives a headless Chromium for the tests of the
// review UI's pages: the queue, a case, the overview, the distribution
// report and the card sheet.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Path finds a Chromium to drive. Without one the test is skipped, except
// in CI (env CI set), where .ci/run installs the Debian package chromium
// and a missing browser is a failure.
func Path(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium binary on PATH; CI must install the Debian package chromium")
	}
	t.Skip("no chromium binary on PATH: install the Debian package chromium to run the browser test")
	return ""
}

// New starts the Chromium at bin, headless with a window of width ×
// height, and returns a context that drives it for at most 90 seconds.
// The browser ends with the test.
func New(t testing.TB, parent context.Context, bin string, width, height int) context.Context {
	t.Helper()
	actx, cancelAlloc := chromedp.NewExecAllocator(parent,
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
	})
	return ctx
}

// Save writes a screenshot under name to the test's temporary directory
// and, when EKJON_SCREENSHOT_DIR is set, there too (docs/img holds the
// committed ones).
func Save(t testing.TB, name string, png []byte) {
	t.Helper()
	dirs := []string{t.TempDir()}
	if d := os.Getenv("EKJON_SCREENSHOT_DIR"); d != "" {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}
}
