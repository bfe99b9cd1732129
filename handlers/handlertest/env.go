package handlertest

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"cpor/handlers"
	"cpor/models"
)

// SessionKey is the cookie key of every test app (32 bytes).
var SessionKey = []byte("handlertest-session-key-32-bytes")

// The demo accounts of SPEC §7 (models.SeedDemo); each has models.DemoPassword.
const (
	AdminEmail      = "admin@contoso-partner.test"  // incentives admin, Contoso Partners
	UserEmail       = "user@contoso-partner.test"   // incentives user, Contoso Partners, scope 1000001
	OtherAdminEmail = "admin@fabrikam-partner.test" // incentives admin, Fabrikam Services
	ReviewerEmail   = "reviewer@program.test"
	OperatorEmail   = "operator@program.test"
)

var fastPasswords sync.Once

// FastPasswords lowers the argon2id cost for the whole test binary (64 KiB,
// one pass) so that sign-ins and seeding take microseconds. New calls it
// before any demo user is created; call it yourself in tests that hash
// passwords without New.
func FastPasswords() {
	fastPasswords.Do(func() {
		models.PasswordParams = models.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}
	})
}

// Option changes how New builds the environment.
type Option func(*options)

type options struct {
	web        []func(*handlers.Config)
	start      time.Time
	dbPath     string
	sender     models.Sender
	behaviour  Behaviour
	background bool
	demo       bool
	worker     []func(*models.Worker)
}

// WithConfig edits the web configuration (rate limits, PublicURL, SecureCookies…)
// after the defaults are set.
func WithConfig(fn func(*handlers.Config)) Option {
	return func(o *options) { o.web = append(o.web, fn) }
}

// WithStart starts the fake clock at t instead of DefaultStart.
func WithStart(t time.Time) Option { return func(o *options) { o.start = t } }

// WithDB opens an existing database file instead of a new one in
// t.TempDir() — for restart tests. The file outlives the environment.
func WithDB(path string) Option { return func(o *options) { o.dbPath = path } }

// WithSender delivers mail through s (e.g. a models.FileSender) instead of
// the test SMTP server; the SMTP server still runs, its Mailbox stays empty.
func WithSender(s models.Sender) Option { return func(o *options) { o.sender = s } }

// WithSMTPBehaviour starts the SMTP server answering with b (see SetBehaviour).
func WithSMTPBehaviour(b Behaviour) Option { return func(o *options) { o.behaviour = b } }

// WithBackgroundWorker runs the worker's loop from the start, as serve does.
// WaitFor then only polls the mailbox.
func WithBackgroundWorker() Option { return func(o *options) { o.background = true } }

// WithoutDemoData skips models.Store.SeedDemo.
func WithoutDemoData() Option { return func(o *options) { o.demo = false } }

// WithWorker edits the worker's settings (MaxAttempts, Backoff…) before it starts.
func WithWorker(fn func(*models.Worker)) Option {
	return func(o *options) { o.worker = append(o.worker, fn) }
}

// Env is one running app with everything around it. Build it with New; it
// is torn down by t.Cleanup (or earlier by Close).
type Env struct {
	App     *handlers.App
	Server  *httptest.Server
	URL     string // the server's base URL, e.g. http://127.0.0.1:41234
	DBPath  string
	Clock   *Clock
	SMTP    *SMTPServer
	Mailbox *Mailbox // the SMTP server's mailbox

	logs       *lockedBuffer
	transport  *http.Transport
	mu         sync.Mutex
	stopWorker context.CancelFunc
	workerDone chan struct{}
	closeOnce  sync.Once
}

// New starts the real app over a migrated temp-file database with the demo
// data, a fake clock, an in-process SMTP server and an httptest server.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	FastPasswords()
	o := options{start: DefaultStart, demo: true}
	for _, fn := range opts {
		fn(&o)
	}
	if o.dbPath == "" {
		o.dbPath = filepath.Join(t.TempDir(), "cpor.db")
	}

	e := &Env{DBPath: o.dbPath, Clock: NewClock(o.start), logs: &lockedBuffer{},
		transport: http.DefaultTransport.(*http.Transport).Clone()}
	e.SMTP = StartSMTP(t, nil)
	e.SMTP.SetBehaviour(o.behaviour)
	e.Mailbox = e.SMTP.Mailbox

	// The server's address must be known before the app is built: it is
	// the public URL in emailed links.
	e.Server = httptest.NewUnstartedServer(nil)
	e.URL = "http://" + e.Server.Listener.Addr().String()

	sender := o.sender
	if sender == nil {
		s, err := models.NewSMTPSender(e.SMTP.URL())
		if err != nil {
			e.SMTP.Close()
			t.Fatalf("handlertest: smtp sender: %v", err)
		}
		sender = s
	}
	web := handlers.Config{PublicURL: e.URL, SessionKey: SessionKey}
	for _, fn := range o.web {
		fn(&web)
	}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	app, err := handlers.NewApp(handlers.AppOptions{
		DBPath:   o.dbPath,
		Migrate:  true,
		Web:      web,
		Clock:    e.Clock,
		Sender:   sender,
		MailFrom: "CPOR Claims <no-reply@cpor.test>",
		Log:      log,
	})
	if err != nil {
		e.Server.Close()
		e.SMTP.Close()
		t.Fatalf("handlertest: NewApp: %v", err)
	}
	e.App = app
	t.Cleanup(func() {
		e.Close()
		if t.Failed() {
			t.Logf("handlertest: server log:\n%s", e.logs.String())
		}
	})

	// Failures retry after milliseconds of the fake clock, not minutes.
	app.Worker.Backoff = 10 * time.Millisecond
	app.Worker.Interval = 20 * time.Millisecond
	for _, fn := range o.worker {
		fn(app.Worker)
	}
	if o.demo {
		if _, err := app.Store.SeedDemo(context.Background()); err != nil {
			t.Fatalf("handlertest: demo data: %v", err)
		}
	}

	e.Server.Config.Handler = app.HTTP
	e.Server.Start()

	e.Mailbox.pump = func() error { return e.App.Worker.RunOnce(context.Background()) }
	e.Mailbox.describe = e.describeOutbox
	if o.background {
		e.StartWorker()
	}
	return e
}

// Close stops the HTTP server, then the worker, then closes the database
// and the SMTP server. It runs once; t.Cleanup calls it too.
func (e *Env) Close() {
	e.closeOnce.Do(func() {
		e.Server.Close()
		e.transport.CloseIdleConnections()
		e.mu.Lock()
		stop, done := e.stopWorker, e.workerDone
		e.mu.Unlock()
		if stop != nil {
			stop()
			<-done
		}
		_ = e.App.Close()
		e.SMTP.Close()
	})
}

// StartWorker runs the worker's loop in the background until Close.
func (e *Env) StartWorker() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopWorker != nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.stopWorker, e.workerDone = cancel, make(chan struct{})
	e.Mailbox.pump = nil
	go func() {
		defer close(e.workerDone)
		e.App.Worker.Run(ctx)
	}()
}

// RunWorker runs one worker pass (due timers, due mail) and fails the test on error.
func (e *Env) RunWorker(t testing.TB) {
	t.Helper()
	if err := e.App.Worker.RunOnce(context.Background()); err != nil {
		t.Fatalf("handlertest: worker pass: %v", err)
	}
}

// WaitForMail is Mailbox.WaitFor.
func (e *Env) WaitForMail(t testing.TB, match func(Msg) bool) Msg {
	t.Helper()
	return e.Mailbox.WaitFor(t, match)
}

// Exec runs a write statement directly on the database (for set-ups the UI
// cannot make yet, such as disabling a user).
func (e *Env) Exec(t testing.TB, query string, args ...any) {
	t.Helper()
	if err := e.App.DB.W.Exec(query, args...).Error; err != nil {
		t.Fatalf("handlertest: exec %q: %v", query, err)
	}
}

// QueryInt returns the single integer a query selects.
func (e *Env) QueryInt(t testing.TB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := e.App.DB.R.Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatalf("handlertest: query %q: %v", query, err)
	}
	return n
}

// UserID returns the ID of the user with this email.
func (e *Env) UserID(t testing.TB, email string) int64 {
	t.Helper()
	u, err := e.App.Store.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatalf("handlertest: user %s: %v", email, err)
	}
	return u.ID
}

// Logs returns what the app logged so far (request logs, worker warnings).
func (e *Env) Logs() string { return e.logs.String() }

func (e *Env) describeOutbox() string {
	var rows []models.OutboxMessage
	err := e.App.DB.R.Raw(`SELECT id, kind, to_email, state, attempts, last_error FROM outbox ORDER BY id`).Scan(&rows).Error
	if err != nil {
		return "outbox: " + err.Error() + "\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Outbox (%d):\n", len(rows))
	for _, r := range rows {
		fmt.Fprintf(&b, "  #%d %s to %s: %s after %d attempts %s\n", r.ID, r.Kind, r.ToEmail, r.State, r.Attempts, r.LastError)
	}
	return b.String()
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
