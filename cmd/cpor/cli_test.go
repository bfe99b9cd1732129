package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"cpor/models"
)

// The tests below run the real binary, built once per test run.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	binDir    string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cpor-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func cporBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		}
		binPath = filepath.Join(binDir, "cpor")
		out, err := exec.Command(goTool, "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// cliEnv is the process environment without any CPOR_* of the test's own,
// plus the given variables.
func cliEnv(vars ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CPOR_") {
			env = append(env, kv)
		}
	}
	return append(env, vars...)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runCLI runs one command to completion.
func runCLI(t *testing.T, env []string, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cporBinary(t), args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("cpor %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// server is a running `cpor serve`.
type server struct {
	t        *testing.T
	cmd      *exec.Cmd
	out, log *syncBuffer
	url      string
	done     chan struct{}
	waitErr  error
}

var servingLine = regexp.MustCompile(`serving on (http://\S+)`)

func startServe(t *testing.T, env []string) *server {
	t.Helper()
	s := &server{t: t, out: &syncBuffer{}, log: &syncBuffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(cporBinary(t), "serve")
	s.cmd.Env = env
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.waitErr = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = s.cmd.Process.Kill()
			<-s.done
		}
		if t.Failed() {
			t.Logf("cpor serve stdout:\n%s\nstderr:\n%s", s.out, s.log)
		}
	})
	deadline := time.Now().Add(time.Minute)
	for s.url == "" {
		if m := servingLine.FindStringSubmatch(s.out.String()); m != nil {
			s.url = m[1]
			break
		}
		select {
		case <-s.done:
			t.Fatalf("cpor serve exited: %v\n%s", s.waitErr, s.log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("cpor serve did not start within a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz never answered 200: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop sends sig and waits for the process to end.
func (s *server) stop(sig syscall.Signal) error {
	s.t.Helper()
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(time.Minute):
		s.t.Fatalf("cpor serve did not stop after %v", sig)
	}
	return s.waitErr
}

// browser is a minimal cookie-keeping client for the subprocess.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// csrf fetches a page and returns its form's _csrf token.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, err := goquery.NewDocumentFromReader(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	tok, _ := doc.Find(`input[name="_csrf"]`).First().Attr("value")
	if tok == "" {
		b.t.Fatalf("no _csrf on %s", path)
	}
	return tok
}

func (b *browser) post(path string, form url.Values) int {
	b.t.Helper()
	resp, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatalf("POST %s: %v", path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func countIn(t *testing.T, dbPath, query string) int64 {
	t.Helper()
	db, err := models.Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.R.Raw(query).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// Every change the server acknowledged survives a SIGKILL (SPEC §6).
func TestAcknowledgedWritesSurviveSIGKILL(t *testing.T) {
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "data", "cpor.db")
	env := cliEnv("CPOR_DB="+dbPath, "CPOR_DEV=1", "CPOR_ADDR=127.0.0.1:0", "CPOR_RATE_LINK_PER_MINUTE=100000")
	s := startServe(t, env)

	const n = 200
	b := newBrowser(t, s.url)
	tok := b.csrf("/forgot")
	for i := range n {
		if code := b.post("/forgot", url.Values{"_csrf": {tok}, "email": {"admin@contoso-partner.test"}}); code != http.StatusOK {
			t.Fatalf("write %d answered %d", i, code)
		}
	}
	err := s.stop(syscall.SIGKILL)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("the server was not killed: %v", err)
	}

	// The database opens after the crash and holds every acknowledged write.
	s2 := startServe(t, env)
	if got := countIn(t, dbPath, `SELECT count(*) FROM account_tokens WHERE purpose = 'reset'`); got != n {
		t.Errorf("%d reset links after the crash, want %d", got, n)
	}
	if got := countIn(t, dbPath, `SELECT count(*) FROM outbox WHERE kind = 'password_reset'`); got != n {
		t.Errorf("%d queued emails after the crash, want %d", got, n)
	}
	if got := countIn(t, dbPath, `SELECT count(*) FROM users`); got != int64(len(models.DemoAccounts)) {
		t.Errorf("%d users after restart (demo data loaded twice?)", got)
	}
	if err := s2.stop(syscall.SIGTERM); err != nil {
		t.Errorf("restarted server: %v", err)
	}
}

func TestSIGTERMStopsCleanlyAndBackupWorksLive(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "cpor.db")
	env := cliEnv("CPOR_DB="+dbPath, "CPOR_DEV=1", "CPOR_ADDR=127.0.0.1:0", "CPOR_PUBLIC_URL=https://claims.example.test")
	s := startServe(t, env)
	if !strings.Contains(s.out.String(), "Demo accounts (password \"demo-password-1\")") {
		t.Errorf("dev mode does not print the demo accounts:\n%s", s.out)
	}

	// Behind an https public URL the cookies are Secure.
	resp, err := http.Get(s.url + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if !ck.Secure {
			t.Errorf("cookie %s is not Secure behind an https public URL", ck.Name)
		}
	}
	if len(resp.Cookies()) == 0 {
		t.Error("no cookies on the sign-in page")
	}

	// A backup of the live database, taken by a second process.
	b := newBrowser(t, s.url)
	tok := b.csrf("/forgot")
	for range 5 {
		b.post("/forgot", url.Values{"_csrf": {tok}, "email": {"user@contoso-partner.test"}})
	}
	backup := filepath.Join(dir, "backup.db")
	out, errOut, code := runCLI(t, env, "", "backup", backup)
	if code != 0 || !strings.Contains(out, "backup written to "+backup) {
		t.Fatalf("backup: exit %d\n%s%s", code, out, errOut)
	}
	if got := countIn(t, backup, `SELECT count(*) FROM account_tokens`); got != 5 {
		t.Errorf("the backup holds %d of the 5 reset links", got)
	}
	if got := countIn(t, backup, `SELECT count(*) FROM users`); got != int64(len(models.DemoAccounts)) {
		t.Errorf("the backup holds %d users", got)
	}
	if _, _, code := runCLI(t, env, "", "backup", backup); code == 0 {
		t.Error("backup overwrote an existing file")
	}

	if err := s.stop(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v\n%s", err, s.log)
	}
	logs := s.log.String()
	if !strings.Contains(logs, "shutting down") || !strings.Contains(logs, "msg=stopped") {
		t.Errorf("the shutdown is not logged:\n%s", logs)
	}
	// The database was closed properly: it opens and is consistent.
	if got := countIn(t, dbPath, `SELECT count(*) FROM account_tokens`); got != 5 {
		t.Errorf("%d reset links after shutdown", got)
	}
}

func TestServeRefusesToStartWithoutASessionKey(t *testing.T) {
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "cpor.db")
	_, errOut, code := runCLI(t, cliEnv("CPOR_DB="+dbPath, "CPOR_ADDR=127.0.0.1:0", "CPOR_TIMEZONE=Nowhere/City"), "", "serve")
	if code != 1 || !strings.Contains(errOut, "CPOR_SESSION_KEY is required") || !strings.Contains(errOut, "CPOR_TIMEZONE") {
		t.Errorf("exit %d:\n%s", code, errOut)
	}
	if _, err := os.Stat(dbPath); err == nil {
		t.Error("a refused start created the database")
	}
	// Outside dev mode an outdated schema is refused too, unless --migrate.
	env := cliEnv("CPOR_DB="+dbPath, "CPOR_ADDR=127.0.0.1:0", "CPOR_SESSION_KEY="+testKey)
	_, errOut, code = runCLI(t, env, "", "serve")
	if code != 1 || !strings.Contains(errOut, "cpor migrate") {
		t.Errorf("serve on an empty database: exit %d\n%s", code, errOut)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	t.Parallel()
	env := cliEnv("CPOR_DB=" + filepath.Join(t.TempDir(), "cpor.db"))
	latest := models.LatestSchema()
	var all []string
	for v := 1; v <= latest; v++ {
		all = append(all, fmt.Sprint(v))
	}
	out, errOut, code := runCLI(t, env, "", "migrate")
	if want := fmt.Sprintf("schema at version %d (applied [%s])", latest, strings.Join(all, " ")); code != 0 || !strings.Contains(out, want) {
		t.Fatalf("first migrate: exit %d, %q (want %q) %s", code, out, want, errOut)
	}
	out, _, code = runCLI(t, env, "", "migrate")
	if want := fmt.Sprintf("schema at version %d (applied [])", latest); code != 0 || !strings.Contains(out, want) {
		t.Errorf("second migrate: exit %d, %q", code, out)
	}
}

func TestUserCreate(t *testing.T) {
	t.Parallel()
	dbPath := filepath.Join(t.TempDir(), "cpor.db")
	env := cliEnv("CPOR_DB="+dbPath, "CPOR_PUBLIC_URL=https://claims.example.test")

	// Before migrating, nothing is touched.
	if _, errOut, code := runCLI(t, env, "", "user", "create", "--email", "x@program.test", "--role", "reviewer"); code != 1 || !strings.Contains(errOut, "cpor migrate") {
		t.Errorf("user create on an empty database: exit %d %s", code, errOut)
	}
	if _, _, code := runCLI(t, env, "", "seed", "--demo"); code != 0 {
		t.Fatal("seed --demo failed")
	}

	t.Run("with --password-stdin", func(t *testing.T) {
		out, errOut, code := runCLI(t, env, "a strong password 1\n", "user", "create", "--email", "rev2@program.test", "--role", "reviewer", "--password-stdin")
		if code != 0 || !strings.Contains(out, "created rev2@program.test (reviewer)") || strings.Contains(out, "/account/password/") {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		db, err := models.Open(dbPath)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		store := models.NewStore(db, models.StoreOptions{})
		if _, err := store.Authenticate(context.Background(), "rev2@program.test", "a strong password 1"); err != nil {
			t.Errorf("the new reviewer cannot sign in: %v", err)
		}
	})

	t.Run("without a password prints a one-time link", func(t *testing.T) {
		out, errOut, code := runCLI(t, env, "", "user", "create", "--email", "new.admin@contoso-partner.test", "--role", "incentives-admin", "--org", "Contoso Partners")
		if code != 0 || !strings.Contains(out, "created new.admin@contoso-partner.test (incentives_admin)") {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		m := regexp.MustCompile(`https://claims\.example\.test/account/password/(\S+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no link in:\n%s", out)
		}
		db, err := models.Open(dbPath)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		store := models.NewStore(db, models.StoreOptions{})
		l, err := store.CheckAccountLink(context.Background(), m[1])
		if err != nil || l.Purpose != models.PurposeInvite || l.User.OrgName != "Contoso Partners" {
			t.Errorf("the printed link: %+v %v", l, err)
		}
		if n := countIn(t, dbPath, `SELECT count(*) FROM outbox`); n != 0 {
			t.Errorf("the CLI queued %d emails; it prints the link instead", n)
		}
	})

	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"short password", "too short\n", []string{"--email", "a@program.test", "--role", "operator", "--password-stdin"}, "at least 12 characters"},
		{"unknown role", "", []string{"--email", "a@program.test", "--role", "boss"}, "--role must be"},
		{"bad email", "", []string{"--email", "not-an-email", "--role", "operator"}, "--email must be an email address"},
		{"existing email", "", []string{"--email", "Reviewer@program.test", "--role", "operator"}, "already exists"},
		{"partner without org", "", []string{"--email", "b@x.test", "--role", "incentives-user"}, "--org is required"},
		{"unknown org", "", []string{"--email", "b@x.test", "--role", "incentives-user", "--org", "Nobody Ltd"}, "no organisation named"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := runCLI(t, env, tc.stdin, append([]string{"user", "create"}, tc.args...)...)
			if code != 1 || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q (want %q)", code, errOut, tc.want)
			}
		})
	}
	if n := countIn(t, dbPath, `SELECT count(*) FROM users`); n != int64(len(models.DemoAccounts))+2 {
		t.Errorf("%d users, want the demo ones and two new", n)
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()
	out, _, code := runCLI(t, cliEnv(), "", "help")
	if code != 0 || !strings.Contains(out, "cpor serve") || !strings.Contains(out, "CPOR_SESSION_KEY") {
		t.Errorf("help: exit %d\n%s", code, out)
	}
	_, errOut, code := runCLI(t, cliEnv(), "", "frobnicate")
	if code != 1 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d\n%s", code, errOut)
	}
}
