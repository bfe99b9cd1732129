package browser_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"
)

// The one browser of the test binary: every person of every test gets a
// browser context of its own in it (its own cookies), which is far cheaper
// than a process per test.
var (
	browserCtx context.Context
	// axeSource is axe.min.js, injected into each page checked.
	axeSource string
	// vnuJar is the Nu HTML checker, run once per test over its pages.
	vnuJar string
	// outRoot is test-output/browser at the top of the module.
	outRoot string
)

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		// make test-short is "the tests without the browser suite".
		fmt.Println("browser suite: not run with -short")
		os.Exit(0)
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if err := prerequisites(); err != nil {
		fmt.Fprintln(os.Stderr, "browser suite cannot run:", err)
		return 1
	}
	dataDir, err := os.MkdirTemp("", "cpor-chromium-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "browser suite:", err)
		return 1
	}
	defer os.RemoveAll(dataDir)

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath()),
		chromedp.Headless,
		chromedp.NoSandbox, // Debian's Chromium runs as root in CI
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(dataDir), // a fresh profile every run
		// The machine's network is closed: Chromium must not try its own hosts.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("lang", "en-US"),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "browser suite: Chromium at %s did not start: %v\n", chromiumPath(), err)
		return 1
	}
	browserCtx = ctx
	return m.Run()
}

// chromiumPath is Debian's Chromium unless CPOR_CHROMIUM names another.
func chromiumPath() string {
	if p := os.Getenv("CPOR_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// prerequisites checks the browser, Java and the npm checkers, and says
// what to install when one is missing: the suite fails, it never skips.
func prerequisites() error {
	var errs []error
	if _, err := os.Stat(chromiumPath()); err != nil {
		errs = append(errs, fmt.Errorf("no Chromium at %s: install Debian's chromium (apt-get install chromium; .ci/run does) or set CPOR_CHROMIUM", chromiumPath()))
	}
	if _, err := exec.LookPath("java"); err != nil {
		errs = append(errs, errors.New("no java on PATH (the Nu HTML checker needs it): apt-get install default-jre-headless"))
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	outRoot = filepath.Join(root, "test-output", "browser")
	here := filepath.Join(root, "handlers", "browser")
	axe, err := os.ReadFile(filepath.Join(here, "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		errs = append(errs, errors.New("axe-core is not installed: run npm ci --prefix handlers/browser --ignore-scripts (make test does)"))
	}
	axeSource = string(axe)
	vnuJar = filepath.Join(here, "node_modules", "vnu-jar", "build", "dist", "vnu.jar")
	if _, err := os.Stat(vnuJar); err != nil {
		errs = append(errs, errors.New("vnu-jar is not installed: run npm ci --prefix handlers/browser --ignore-scripts (make test does)"))
	}
	return errors.Join(errs...)
}

// moduleRoot is the folder of go.mod above the working directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
