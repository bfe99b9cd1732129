package browser_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	ht "cpor/handlers/handlertest"
)

// stepTimeout bounds one browser step (a navigation, a field, a check). It
// is a guard against a hung step, not a speed assertion.
const stepTimeout = 30 * time.Second

// Session is one test's app and browser people: the handlertest
// environment, the output folder and every page visited, for the Nu
// checker and the artefacts of a failure.
type Session struct {
	t    *testing.T
	Env  *ht.Env
	host string // host:port of the app; any other host is a foreign request
	out  string // test-output/browser/<test>

	mu    sync.Mutex
	step  int
	pages []*page
	tabs  []*Tab
	// noAxe is set for sessions whose pages another session already runs
	// axe over (the same journey without JavaScript).
	noAxe bool
	// report receives what the page checks find; nil fails the test
	// (the checkers' own test collects instead).
	report func(string)
}

// fail reports a problem a page check found.
func (s *Session) fail(format string, args ...any) {
	s.t.Helper()
	msg := fmt.Sprintf(format, args...)
	s.mu.Lock()
	report := s.report
	s.mu.Unlock()
	if report != nil {
		report(msg)
		return
	}
	s.t.Error(msg)
}

// page is one document a person's browser loaded.
type page struct {
	step   string
	url    string
	status int
	html   []byte // the body as the server sent it
}

// newSession starts the app (handlertest.New with opts) and prepares the
// output folder of the test, emptied first so it shows this run only.
func newSession(t *testing.T, opts ...ht.Option) *Session {
	t.Helper()
	env := ht.New(t, opts...)
	u, err := url.Parse(env.URL)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(outRoot, strings.ReplaceAll(t.Name(), "/", "-"))
	if err := os.RemoveAll(out); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &Session{t: t, Env: env, host: u.Host, out: out}
	t.Cleanup(s.finish)
	return s
}

// nextStep names the next visited page: NNN-person-what.
func (s *Session) nextStep(person, what string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.step++
	return fmt.Sprintf("%03d-%s-%s", s.step, slug(person), slug(what))
}

func (s *Session) addPage(p *page) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pages = append(s.pages, p)
}

// finish runs the Nu checker over every page of the test, then — if the
// test failed — keeps each page's HTML and each browser's last state next
// to the screenshots, and closes the browsers.
func (s *Session) finish() {
	s.checkHTML()
	if s.t.Failed() {
		for _, p := range s.pages {
			_ = os.WriteFile(filepath.Join(s.out, p.step+".html"), p.html, 0o644)
		}
		for _, tb := range s.tabs {
			tb.keepLastState()
		}
		s.t.Logf("screenshots and page HTML of this test: %s", s.out)
	}
	for _, tb := range s.tabs {
		tb.cancel()
	}
}

// Tab is one person's browser: its own browser context (cookies) and tab,
// with a listener that records what the page loads and logs.
type Tab struct {
	s      *Session
	name   string
	ctx    context.Context
	cancel context.CancelFunc
	js     bool
	lang   string // the language of the words used to find elements (en, hu)
	accept string // Accept-Language to send, if not the browser's

	mu       sync.Mutex
	doc      docResponse
	docURLs  map[string]bool
	problems []string
	last     string // step name of the page shown now
	within   string // heading of the part of the page lookups are limited to (In)
}

// docResponse is the last main document the tab received.
type docResponse struct {
	id     network.RequestID
	url    string
	status int
}

// TabOption changes how a person's browser is set up.
type TabOption func(*Tab)

// withoutJS turns JavaScript off in the page (the journey must still work).
func withoutJS() TabOption { return func(tb *Tab) { tb.js = false } }

// inLanguage makes the person find elements by the words of lang, and sends
// it as the browser's Accept-Language.
func inLanguage(lang string) TabOption {
	return func(tb *Tab) { tb.lang, tb.accept = lang, lang }
}

// Person opens a browser for someone: a new browser context in the one
// Chromium, at 1280×900.
func (s *Session) Person(name string, opts ...TabOption) *Tab {
	s.t.Helper()
	tb := &Tab{s: s, name: name, js: true, lang: "en", docURLs: map[string]bool{}}
	for _, o := range opts {
		o(tb)
	}
	tb.ctx, tb.cancel = chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext(), chromedp.WithListener(tb.onEvent))
	s.mu.Lock()
	s.tabs = append(s.tabs, tb)
	s.mu.Unlock()
	if err := chromedp.Do(tb.ctx); err != nil {
		s.t.Fatalf("%s: open a browser tab: %v", name, err)
	}
	tb.do("set up the browser", chromedp.EmulateViewport(1280, 900))
	if !tb.js {
		tb.do("turn JavaScript off", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}))
	}
	if tb.accept != "" {
		tb.do("set Accept-Language", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
				Headers: network.Headers{"Accept-Language": tb.accept}})
			return err
		}))
	}
	return tb
}

func (tb *Tab) t() *testing.T { return tb.s.t }

// onEvent runs in the tab's event loop: it records, it never calls back.
func (tb *Tab) onEvent(ev any) {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if u, err := url.Parse(ev.Request.URL); err == nil && (u.Scheme == "http" || u.Scheme == "https" || u.Scheme == "ws" || u.Scheme == "wss") && u.Host != tb.s.host {
			tb.problems = append(tb.problems, "request to another host: "+ev.Request.URL)
		}
	case *network.EventResponseReceived:
		if ev.Type == network.ResourceTypeDocument {
			tb.doc = docResponse{id: ev.RequestID, url: ev.Response.URL, status: int(ev.Response.Status)}
			tb.docURLs[ev.Response.URL] = true
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		tb.problems = append(tb.problems, fmt.Sprintf("uncaught exception at %s:%d: %s", d.URL, d.LineNumber+1, msg))
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range ev.Args {
				var str string
				switch {
				case a.Description != "":
					parts = append(parts, a.Description)
				case json.Unmarshal(a.Value, &str) == nil:
					parts = append(parts, str)
				default:
					parts = append(parts, string(a.Value))
				}
			}
			tb.problems = append(tb.problems, "console."+string(ev.Type)+": "+strings.Join(parts, " "))
		}
	case *log.EventEntryAdded:
		e := ev.Entry
		if e.Level != log.EntryLevelError {
			return
		}
		// A document answered with 4xx is logged as a failed resource; its
		// status is what the test expects and checks itself.
		if e.Source == log.EntrySourceNetwork && tb.docURLs[e.URL] {
			return
		}
		tb.problems = append(tb.problems, fmt.Sprintf("console error (%s) %s %s", e.Source, e.Text, e.URL))
	}
}

// do runs browser steps with the step timeout, failing the test on error.
func (tb *Tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.t().Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.t().Fatalf("%s: %s (on %s): %v", tb.name, what, tb.last, err)
	}
}

// eval evaluates a JavaScript expression in the page through DevTools (it
// works with the page's own JavaScript turned off).
func eval[T any](tb *Tab, what, expr string, opts ...chromedp.EvaluateOption) T {
	tb.t().Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		tb.t().Fatalf("%s: %s (on %s): %v", tb.name, what, tb.last, err)
	}
	return v
}

// navigate runs an action that loads a new page, then checks that page.
func (tb *Tab) navigate(what string, want int, act chromedp.Action[chromedp.Void]) {
	tb.t().Helper()
	tb.mu.Lock()
	tb.doc = docResponse{}
	tb.mu.Unlock()
	ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, act); err != nil {
		tb.t().Fatalf("%s: %s (on %s): %v", tb.name, what, tb.last, err)
	}
	tb.visited(what, want)
}

// visited checks the page just loaded: its status, screenshots at both
// widths with no horizontal scrolling at 375 px, axe-core, console errors
// and foreign requests; its HTML is kept for the Nu checker.
func (tb *Tab) visited(what string, want int) {
	tb.t().Helper()
	tb.mu.Lock()
	doc := tb.doc
	tb.mu.Unlock()
	step := tb.s.nextStep(tb.name, what)
	tb.last = step
	p := &page{step: step, url: doc.url, status: doc.status}
	if doc.id != "" {
		ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
		body, err := chromedp.Call(ctx, network.GetResponseBody, network.GetResponseBodyParams{RequestID: doc.id})
		cancel()
		if err != nil {
			tb.t().Errorf("%s: read the HTML of %s: %v", step, doc.url, err)
		}
		p.html = body.Body
	}
	tb.s.addPage(p)
	tb.screenshots(step)
	if doc.status != want {
		tb.t().Fatalf("%s: %s answered %d, want %d. The page says:\n%s", step, doc.url, doc.status, want, clip(tb.MainText(), 1500))
	}
	if !tb.s.noAxe {
		tb.axe(step)
	}
	if tb.lang != "en" {
		tb.noEnglish(step)
	}
	tb.reportProblems(step)
}

// reportProblems fails the test for console errors and foreign requests
// seen since the last check.
func (tb *Tab) reportProblems(step string) {
	tb.t().Helper()
	tb.mu.Lock()
	probs := tb.problems
	tb.problems = nil
	tb.mu.Unlock()
	for _, p := range probs {
		tb.s.fail("%s: %s", step, p)
	}
}

// screenshots saves the page at 1280 and 375 px wide and fails the test if
// the page scrolls sideways at 375 px.
func (tb *Tab) screenshots(step string) {
	tb.t().Helper()
	for _, w := range []int64{1280, 375} {
		if w == 375 {
			tb.do("narrow the window", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile))
			if wide := eval[[]string](tb, "measure the width", overflowJS); len(wide) > 0 {
				tb.s.fail("%s: the page scrolls sideways at 375 px; too wide: %s", step, strings.Join(wide, "; "))
			}
		}
		ctx, cancel := context.WithTimeout(tb.ctx, stepTimeout)
		png, err := chromedp.Run(ctx, fullPNG)
		cancel()
		if err != nil {
			tb.t().Errorf("%s: screenshot at %d px: %v", step, w, err)
			continue
		}
		if err := os.WriteFile(filepath.Join(tb.s.out, fmt.Sprintf("%s-%d.png", step, w)), png, 0o644); err != nil {
			tb.t().Errorf("%s: %v", step, err)
		}
	}
	tb.do("widen the window", chromedp.EmulateViewport(1280, 900))
}

// fullPNG captures the whole page as PNG, encoded for speed rather than
// size (the suite takes hundreds).
func fullPNG(ctx context.Context, t *chromedp.Target) ([]byte, error) {
	r, err := cdp.Call(ctx, t, cdppage.CaptureScreenshot, cdppage.CaptureScreenshotParams{
		Format: cdppage.CaptureScreenshotFormatPng, CaptureBeyondViewport: new(true), FromSurface: new(true), OptimizeForSpeed: new(true),
	})
	return r.Data, err
}

// overflowJS lists the elements that stick out to the right when the page
// is wider than the window (empty when it is not).
const overflowJS = `(() => {
  const d = document.documentElement, w = d.clientWidth;
  if (d.scrollWidth <= w) return [];
  const out = [];
  for (const e of document.body.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    if (r.right > w + 0.5 && r.width > 0) {
      out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\s+/).join('.') : '') +
        ' (right edge ' + Math.round(r.right) + ' px) "' + (e.textContent || '').trim().slice(0, 40) + '"');
      if (out.length >= 6) break;
    }
  }
  return out.length ? out : ['document ' + d.scrollWidth + ' px wide'];
})()`

// keepLastState saves what the browser shows now (after a failure).
func (tb *Tab) keepLastState() {
	ctx, cancel := context.WithTimeout(tb.ctx, 10*time.Second)
	defer cancel()
	name := fmt.Sprintf("zz-%s-last", slug(tb.name))
	if html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement ? document.documentElement.outerHTML : ""`)); err == nil {
		_ = os.WriteFile(filepath.Join(tb.s.out, name+"-dom.html"), []byte(html), 0o644)
	}
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		_ = os.WriteFile(filepath.Join(tb.s.out, name+"-1280.png"), png, 0o644)
	}
}

// Open loads a path of the app (or an absolute URL, e.g. from an email)
// and expects 200.
func (tb *Tab) Open(path string) { tb.t().Helper(); tb.OpenWant(path, 200) }

// OpenWant loads a path and expects the given status.
func (tb *Tab) OpenWant(path string, want int) {
	tb.t().Helper()
	u := path
	if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		u = tb.s.Env.URL + path
	}
	what := "open " + path
	if pu, err := url.Parse(u); err == nil {
		what = "open " + pu.Path
		if strings.HasPrefix(pu.Path, "/c/") || strings.HasPrefix(pu.Path, "/account/password/") {
			what = "open emailed link"
		}
	}
	tb.navigate(what, want, chromedp.Navigate(u))
}

// Back goes back one page in the browser's history, as the Back button does.
func (tb *Tab) Back(want int) {
	tb.t().Helper()
	tb.navigate("back", want, chromedp.NavigateBack())
}

// URL is the address the browser shows.
func (tb *Tab) URL() string {
	tb.t().Helper()
	return eval[string](tb, "read the address", `location.href`)
}

// Path is the path (and query) the browser shows.
func (tb *Tab) Path() string {
	tb.t().Helper()
	u, err := url.Parse(tb.URL())
	if err != nil {
		tb.t().Fatal(err)
	}
	return u.RequestURI()
}

// MainText is what the page's main region says, spaces collapsed.
func (tb *Tab) MainText() string {
	tb.t().Helper()
	s := eval[string](tb, "read the page", `(document.querySelector('main') || document.body || document.documentElement).innerText`)
	return strings.Join(strings.Fields(s), " ")
}

// See fails the test unless the main region shows each text (English
// words are translated into the person's language when the catalogue has
// them).
func (tb *Tab) See(texts ...string) {
	tb.t().Helper()
	main := tb.MainText()
	for _, text := range texts {
		want := tb.T(text)
		if !strings.Contains(main, want) {
			tb.t().Errorf("%s: the page does not say %q. It says:\n%s", tb.last, want, clip(main, 3000))
		}
	}
}

// DontSee fails the test if the main region shows any of the texts.
func (tb *Tab) DontSee(texts ...string) {
	tb.t().Helper()
	main := tb.MainText()
	for _, text := range texts {
		if want := tb.T(text); strings.Contains(main, want) {
			tb.t().Errorf("%s: the page should not say %q. It says:\n%s", tb.last, want, clip(main, 3000))
		}
	}
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

// slug makes a file-name part: lower-case ASCII letters, digits and dashes.
func slug(s string) string {
	s = nonWord.ReplaceAllString(strings.ToLower(s), "-")
	s = strings.Trim(s, "-")
	if len(s) > 60 {
		s = strings.Trim(s[:60], "-")
	}
	return s
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
