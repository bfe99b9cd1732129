package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cpor/handlers/handlertest"
	"cpor/models"
)

const forgotSent = "If this address has an account, a link to set a new password is on its way. Check your inbox; the link works once, for one hour."

// requestReset asks for a reset link on the "Forgot password?" page.
func requestReset(t *testing.T, c *handlertest.Client, email string) *handlertest.Response {
	t.Helper()
	page := c.Get("/forgot")
	handlertest.WantStatus(t, page, http.StatusOK)
	r := c.Submit(page, `form[action="/forgot"]`, url.Values{"email": {email}})
	handlertest.WantStatus(t, r, http.StatusOK)
	if got := r.Doc().Find(`[role="status"]`).Text(); got != forgotSent {
		t.Errorf("forgot answer %q", got)
	}
	return r
}

// resetLink waits for the reset email to email and returns its link.
func resetLink(t *testing.T, env *handlertest.Env, email string) (handlertest.Msg, string) {
	t.Helper()
	msg := env.WaitForMail(t, handlertest.To(email))
	link := handlertest.LinkIn(msg, "/account/password/")
	if link == "" {
		t.Fatalf("no reset link in the email:\n%s", msg.Text)
	}
	return msg, link
}

func TestPasswordResetEmail(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	c := env.NewClient(t)
	requestReset(t, c, handlertest.UserEmail)
	msg, link := resetLink(t, env, handlertest.UserEmail)

	if msg.From != "no-reply@cpor.test" || len(msg.To) != 1 || msg.To[0] != handlertest.UserEmail {
		t.Errorf("envelope from %q to %v", msg.From, msg.To)
	}
	if got := msg.Header.Get("To"); got != `"Uma User" <user@contoso-partner.test>` {
		t.Errorf("To: %q", got)
	}
	if got := msg.Header.Get("From"); !strings.Contains(got, "no-reply@cpor.test") {
		t.Errorf("From: %q", got)
	}
	if msg.Subject != "Set a new password for CPOR Claims" {
		t.Errorf("subject %q", msg.Subject)
	}
	if msg.Language != "en" {
		t.Errorf("Content-Language %q", msg.Language)
	}
	if !strings.HasPrefix(msg.Header.Get("Content-Type"), "multipart/alternative") {
		t.Errorf("Content-Type %q", msg.Header.Get("Content-Type"))
	}
	if !strings.HasPrefix(msg.Text, "Hello Uma User,") || !strings.Contains(msg.Text, "4 Mar 2026, 11:00") {
		t.Errorf("text part:\n%s", msg.Text)
	}
	if !strings.Contains(msg.HTML, `href="`+link+`"`) || !strings.Contains(msg.HTML, "Set a new password") {
		t.Errorf("the HTML part lacks the link:\n%s", msg.HTML)
	}
	if !strings.HasPrefix(link, env.URL+"/account/password/") {
		t.Errorf("link %q is not under the public URL %s", link, env.URL)
	}
	if tok := link[strings.LastIndex(link, "/")+1:]; len(tok) < 43 {
		t.Errorf("token %q is shorter than 32 random bytes", tok)
	}
}

func TestPasswordResetEmailInTheUsersLanguage(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	env.Exec(t, `UPDATE users SET language = 'hu' WHERE email = ?`, handlertest.AdminEmail)
	c := env.NewClient(t)
	c.Header.Set("Accept-Language", "en") // the page is English; the email follows the profile
	requestReset(t, c, handlertest.AdminEmail)
	msg, link := resetLink(t, env, handlertest.AdminEmail)
	if msg.Subject != "Új jelszó beállítása a CPOR Claimshez" {
		t.Errorf("subject %q", msg.Subject)
	}
	if raw := msg.Header.Get("Subject"); !strings.HasPrefix(raw, "=?") {
		t.Errorf("a non-ASCII subject is sent unencoded: %q", raw)
	}
	if msg.Language != "hu" {
		t.Errorf("Content-Language %q", msg.Language)
	}
	if !strings.HasPrefix(msg.Text, "Kedves Anna Admin!") || strings.Contains(msg.Text, "Set a new password") {
		t.Errorf("text part is not Hungarian:\n%s", msg.Text)
	}
	if !strings.Contains(msg.HTML, "Új jelszó beállítása") || !strings.Contains(msg.HTML, link) {
		t.Errorf("HTML part:\n%s", msg.HTML)
	}
}

func TestResetLinkWorksOnceAndEndsOtherSessions(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	elsewhere := env.NewClient(t)
	elsewhere.LoginAs(handlertest.UserEmail)

	c := env.NewClient(t)
	requestReset(t, c, handlertest.UserEmail)
	_, link := resetLink(t, env, handlertest.UserEmail)

	page := c.Get(link)
	handlertest.WantStatus(t, page, http.StatusOK)
	if got := page.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy %q on the link page", got)
	}
	if !strings.Contains(handlertest.MainText(page), "Choose a password for user@contoso-partner.test.") {
		t.Errorf("link page: %s", handlertest.MainText(page))
	}
	// Opening the link (as a mail scanner would) does not use it.
	handlertest.WantStatus(t, c.Get(link), http.StatusOK)

	const newPw = "a new password from the link"
	r := c.Submit(page, "main form", url.Values{"password": {newPw}, "confirm": {newPw}})
	handlertest.WantRedirect(t, r, "/login")
	if got := c.Get("/login").Doc().Find(".flash").Text(); got != "Your password is set. Sign in with it." {
		t.Errorf("flash %q", got)
	}
	// Using the link signs the person out everywhere.
	handlertest.WantRedirect(t, elsewhere.Get("/profile"), "/login?next=%2Fprofile")
	handlertest.WantStatus(t, env.NewClient(t).PostForm("/login", url.Values{
		"email": {handlertest.UserEmail}, "password": {models.DemoPassword}}), http.StatusUnprocessableEntity)
	env.NewClient(t).Login(handlertest.UserEmail, newPw)

	// A second use is refused, by GET and by POST.
	again := c.Get(link)
	handlertest.WantStatus(t, again, http.StatusNotFound)
	if got := again.Doc().Find(`[role="alert"]`).Text(); got != "This link has already been used. Ask for a new one if you need it." {
		t.Errorf("second use: %q", got)
	}
	r = c.Submit(page, "main form", url.Values{"password": {"yet another password"}, "confirm": {"yet another password"}})
	handlertest.WantStatus(t, r, http.StatusNotFound)
	env.NewClient(t).Login(handlertest.UserEmail, newPw)
}

func TestResetLinkExpiresAfterOneHour(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	c := env.NewClient(t)
	requestReset(t, c, handlertest.UserEmail)
	_, link := resetLink(t, env, handlertest.UserEmail)

	env.Clock.Advance(time.Hour - time.Second)
	page := c.Get(link)
	handlertest.WantStatus(t, page, http.StatusOK)

	env.Clock.Advance(time.Second)
	r := c.Get(link)
	handlertest.WantStatus(t, r, http.StatusNotFound)
	if got := r.Doc().Find(`[role="alert"]`).Text(); got != "This link has expired. Ask for a new one." {
		t.Errorf("expired link: %q", got)
	}
	if r.Doc().Find(`a[href="/forgot"]`).Length() == 0 {
		t.Error("no way to ask for a new link")
	}
	// The form loaded before the hour passed cannot use it either.
	r = c.Submit(page, "main form", url.Values{"password": {"too late a password"}, "confirm": {"too late a password"}})
	handlertest.WantStatus(t, r, http.StatusNotFound)
	env.NewClient(t).LoginAs(handlertest.UserEmail)
}

func TestResetLinkFormMessages(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	c := env.NewClient(t)
	requestReset(t, c, handlertest.UserEmail)
	_, link := resetLink(t, env, handlertest.UserEmail)
	page := c.Get(link)

	r := c.Submit(page, "main form", url.Values{"password": {"short"}, "confirm": {"short"}})
	handlertest.WantStatus(t, r, http.StatusUnprocessableEntity)
	if got := strings.TrimSpace(r.Doc().Find("#f-password-error").Text()); got != "Use at least 12 characters." {
		t.Errorf("short: %q", got)
	}
	r = c.Submit(page, "main form", url.Values{"password": {"a long enough password"}, "confirm": {"a different password!"}})
	handlertest.WantStatus(t, r, http.StatusUnprocessableEntity)
	if got := strings.TrimSpace(r.Doc().Find("#f-confirm-error").Text()); got != "The two passwords are different." {
		t.Errorf("mismatch: %q", got)
	}
	// Mistakes do not use up the link.
	handlertest.WantRedirect(t, c.Submit(page, "main form", url.Values{"password": {"a long enough password"}, "confirm": {"a long enough password"}}), "/login")
}

func TestForgotAnswersAlikeForUnknownAddresses(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	env.Exec(t, `UPDATE users SET disabled = 1 WHERE email = ?`, handlertest.OtherAdminEmail)
	c := env.NewClient(t)
	known := requestReset(t, c, handlertest.UserEmail)
	for _, addr := range []string{"nobody@contoso-partner.test", handlertest.OtherAdminEmail, "NOBODY@example.test"} {
		r := requestReset(t, c, addr)
		if r.Body != known.Body {
			t.Errorf("the answer for %s differs from the answer for an account", addr)
		}
	}
	resetLink(t, env, handlertest.UserEmail)
	env.RunWorker(t)
	if n := env.Mailbox.Len(); n != 1 {
		t.Errorf("%d emails sent, want only the one to the account", n)
	}
	if n := env.QueryInt(t, `SELECT count(*) FROM outbox`); n != 1 {
		t.Errorf("%d outbox rows", n)
	}
	if n := env.QueryInt(t, `SELECT count(*) FROM account_tokens`); n != 1 {
		t.Errorf("%d account links", n)
	}
}

func TestDeliveredMailNoLongerHoldsTheLink(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	requestReset(t, env.NewClient(t), handlertest.UserEmail)

	type row struct {
		ID                            int64
		State, Secret, TextBody, Data string
		HTMLBody                      string `gorm:"column:html_body"`
		Attempts                      int
	}
	const columns = `SELECT id, state, secret, text_body, html_body, data, attempts FROM outbox`
	var before row
	if err := env.App.DB.R.Raw(columns).Scan(&before).Error; err != nil {
		t.Fatal(err)
	}
	// Queued, the message is its facts, link included; it is rendered at delivery.
	if before.State != models.MailQueued || before.Secret == "" || !strings.Contains(before.Data, before.Secret) || before.TextBody != "" {
		t.Fatalf("queued message: %+v", before)
	}
	_, link := resetLink(t, env, handlertest.UserEmail)
	token := link[strings.LastIndex(link, "/")+1:]

	var after row
	if err := env.App.DB.R.Raw(columns).Scan(&after).Error; err != nil {
		t.Fatal(err)
	}
	if after.State != models.MailSent || after.Attempts != 1 || after.Secret != "" || after.Data != "" {
		t.Errorf("delivered message: state %s attempts %d secret %q data %q", after.State, after.Attempts, after.Secret, after.Data)
	}
	if strings.Contains(after.TextBody, token) || strings.Contains(after.HTMLBody, token) {
		t.Error("the stored copy still holds the link")
	}
	if !strings.Contains(after.TextBody, "[link removed after delivery]") {
		t.Errorf("text body after delivery:\n%s", after.TextBody)
	}
	// The token itself is stored only as a hash.
	if n := env.QueryInt(t, `SELECT count(*) FROM account_tokens WHERE hash = CAST(? AS BLOB) OR hex(hash) LIKE ?`, token, "%"+token+"%"); n != 0 {
		t.Error("the account token is stored in the clear")
	}
	// The link still works: blanking the copy does not touch the token.
	handlertest.WantStatus(t, env.NewClient(t).Get(link), http.StatusOK)
}

func TestFailedDeliveryRetriesThenFailsAndIsKept(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		behaviour handlertest.Behaviour
		errorHas  string
	}{
		{"server answers 5xx", handlertest.Reject, "554"},
		{"connection dropped in DATA", handlertest.DropInData, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			const maxAttempts = 3
			env := handlertest.New(t, handlertest.WithSMTPBehaviour(tc.behaviour),
				handlertest.WithWorker(func(w *models.Worker) { w.MaxAttempts = maxAttempts; w.Backoff = time.Second }))
			requestReset(t, env.NewClient(t), handlertest.UserEmail)
			var m models.OutboxMessage
			load := func() {
				t.Helper()
				if err := env.App.DB.R.Raw(`SELECT id, state, attempts, next_attempt_at, last_error, text_body FROM outbox`).Scan(&m).Error; err != nil {
					t.Fatal(err)
				}
			}

			env.RunWorker(t)
			load()
			if m.State != models.MailRetrying || m.Attempts != 1 || m.LastError == "" || !strings.Contains(m.LastError, tc.errorHas) {
				t.Fatalf("after one failure: state %s attempts %d error %q", m.State, m.Attempts, m.LastError)
			}
			if want := env.Clock.Now().Add(time.Second); !m.NextAttemptAt.Equal(want) {
				t.Errorf("next attempt at %v, want %v", m.NextAttemptAt, want)
			}
			// Not before the backoff has passed…
			env.RunWorker(t)
			if env.SMTP.Attempts() != 1 {
				t.Fatalf("retried before the backoff: %d attempts", env.SMTP.Attempts())
			}
			// …which doubles each time.
			env.Clock.Advance(time.Second)
			env.RunWorker(t)
			load()
			if m.State != models.MailRetrying || m.Attempts != 2 {
				t.Fatalf("after two failures: %s, %d", m.State, m.Attempts)
			}
			if want := env.Clock.Now().Add(2 * time.Second); !m.NextAttemptAt.Equal(want) {
				t.Errorf("second backoff until %v, want %v", m.NextAttemptAt, want)
			}
			env.Clock.Advance(2 * time.Second)
			env.RunWorker(t)
			load()
			if m.State != models.MailFailed || m.Attempts != maxAttempts || m.LastError == "" {
				t.Fatalf("after %d failures: state %s attempts %d error %q", maxAttempts, m.State, m.Attempts, m.LastError)
			}
			// A failed message stays failed (and visible) — no more attempts.
			env.Clock.Advance(time.Hour / 2)
			env.RunWorker(t)
			if env.SMTP.Attempts() != maxAttempts || env.Mailbox.Len() != 0 {
				t.Fatalf("%d attempts, %d delivered", env.SMTP.Attempts(), env.Mailbox.Len())
			}
			if !strings.Contains(m.TextBody, "/account/password/") {
				t.Error("the failed message lost its content")
			}
			log, err := env.App.Store.MailLog(context.Background(), models.MailFilter{State: models.MailFailed})
			if err != nil || len(log) != 1 || log[0].ToEmail != handlertest.UserEmail {
				t.Errorf("mail log of failed messages: %+v, %v", log, err)
			}

			// Once the server is fixed, an operator's resend delivers it.
			env.SMTP.SetBehaviour(handlertest.Accept)
			if err := env.App.Store.ResendMail(context.Background(), models.Actor{Label: "test"}, m.ID); err != nil {
				t.Fatal(err)
			}
			_, link := resetLink(t, env, handlertest.UserEmail)
			handlertest.WantStatus(t, env.NewClient(t).Get(link), http.StatusOK)
		})
	}
}

func TestMailQueuedBeforeACrashIsDeliveredAfterRestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cpor.db")
	first := handlertest.New(t, handlertest.WithDB(path))
	requestReset(t, first.NewClient(t), handlertest.UserEmail)
	first.Close() // no worker pass ran: the message is only in the outbox
	if first.Mailbox.Len() != 0 || first.SMTP.Attempts() != 0 {
		t.Fatal("the message left before the restart")
	}

	second := handlertest.New(t, handlertest.WithDB(path))
	_, link := resetLink(t, second, handlertest.UserEmail)
	handlertest.WantStatus(t, second.NewClient(t).Get(link), http.StatusOK)
	if n := second.QueryInt(t, `SELECT count(*) FROM outbox WHERE state = 'sent'`); n != 1 {
		t.Errorf("%d sent messages after the restart", n)
	}
	if n := second.QueryInt(t, `SELECT count(*) FROM users`); n != int64(len(models.DemoAccounts)) {
		t.Errorf("demo data loaded twice: %d users", n)
	}
}

func TestBackgroundWorkerDeliversPromptly(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t, handlertest.WithBackgroundWorker())
	requestReset(t, env.NewClient(t), handlertest.UserEmail)
	resetLink(t, env, handlertest.UserEmail)
}

func TestFileSenderWritesEmlFiles(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "mail")
	env := handlertest.New(t, handlertest.WithSender(models.FileSender{Dir: dir}))
	env.Exec(t, `UPDATE users SET language = 'hu' WHERE email = ?`, handlertest.UserEmail)
	requestReset(t, env.NewClient(t), handlertest.UserEmail)
	env.RunWorker(t)

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || !strings.HasSuffix(entries[0].Name(), "-password_reset.eml") {
		t.Fatalf("files in the mail folder: %v", entries)
	}
	raw, err := os.ReadFile(filepath.Join(dir, entries[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := handlertest.ParseMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	if msg.Subject != "Új jelszó beállítása a CPOR Claimshez" || msg.Language != "hu" {
		t.Errorf("subject %q, language %q", msg.Subject, msg.Language)
	}
	link := handlertest.LinkIn(msg, "/account/password/")
	if link == "" || !strings.Contains(msg.HTML, link) {
		t.Errorf("text part:\n%s\nHTML part:\n%s", msg.Text, msg.HTML)
	}
	if got := msg.Header.Get("To"); !strings.Contains(got, handlertest.UserEmail) {
		t.Errorf("To: %q", got)
	}
	if n := env.QueryInt(t, `SELECT count(*) FROM outbox WHERE state = 'sent'`); n != 1 {
		t.Error("the message is not marked sent")
	}
	handlertest.WantStatus(t, env.NewClient(t).Get(link), http.StatusOK)
}
