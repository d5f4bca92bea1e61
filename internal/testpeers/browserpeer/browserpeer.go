// Package browserpeer runs Debian's Chromium, headless, for tests: driven
// by chromedp (Start) to use parley's web page as a person would, or run
// once from the command line (Run) to dump a page or print it to PDF.
// When Chromium is not installed the test fails under CI and is skipped
// elsewhere (the rule of package testpeers).
package browserpeer

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"parley/internal/testpeers"
)

// Install is the command that installs Chromium.
var Install = testpeers.Apt("chromium")

// Path returns the path of chromium: on PATH, else where Debian's package
// puts it.
func Path(t testing.TB) string {
	t.Helper()
	return testpeers.Program(t, "chromium", Install, "/usr/bin/chromium")
}

// Start launches a headless Chromium with a window of width by height CSS
// pixels, driven by chromedp, and returns the browser's context for
// chromedp.Do and chromedp.Run. The browser runs until stop is called or
// the test ends. Call stop before stopping a server the page talks to: an
// open EventSource keeps that server's shutdown waiting.
//
// Give the steps a deadline (context.WithTimeout of ctx): chromedp's waits
// have none of their own.
func Start(t testing.TB, width, height int) (ctx context.Context, stop func()) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(Path(t)), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.WindowSize(width, height))
	actx, stopAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, stopBrowser := chromedp.NewContext(actx)
	stop = sync.OnceFunc(func() {
		stopBrowser()
		stopAlloc() // waits for the browser to exit and its profile to go
	})
	t.Cleanup(stop)
	// The first Do starts the browser, bound to bctx.
	if err := chromedp.Do(bctx); err != nil {
		stop()
		t.Fatalf("start chromium: %v", err)
	}
	return bctx, stop
}

// Run runs Chromium once, headless, with a fresh profile and args (for
// example "--dump-dom", URL or "--print-to-pdf="+file, URL), and returns
// what it wrote to its standard output. A failure fails the test.
func Run(ctx context.Context, t testing.TB, args ...string) []byte {
	t.Helper()
	bin := Path(t)
	cmd := exec.CommandContext(ctx, bin, append([]string{"--headless", "--no-sandbox", "--disable-gpu",
		"--user-data-dir=" + filepath.Join(t.TempDir(), "profile"), "--no-first-run"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}
