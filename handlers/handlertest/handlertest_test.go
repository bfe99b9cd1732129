package handlertest_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"cpor/handlers/handlertest"
)

func TestParseMessageWalksNestedParts(t *testing.T) {
	t.Parallel()
	raw := strings.Join([]string{
		"From: a@example.test",
		"To: b@example.test",
		"Subject: =?UTF-8?q?=C3=9Aj_jelsz=C3=B3?=",
		"Content-Language: hu",
		"MIME-Version: 1.0",
		`Content-Type: multipart/mixed; boundary="outer"`,
		"",
		"--outer",
		`Content-Type: multipart/alternative; boundary="inner"`,
		"",
		"--inner",
		"Content-Type: text/plain; charset=UTF-8",
		"Content-Transfer-Encoding: base64",
		"",
		"S2VkdmVzIEJvYiEKaHR0cHM6Ly9jcG9yLnRlc3QvYWNjb3VudC9wYXNzd29yZC9hYmMuCg==",
		"--inner",
		"Content-Type: text/html; charset=UTF-8",
		"Content-Transfer-Encoding: quoted-printable",
		"",
		`<p>Kedves <b>Bob</b>!</p><a href=3D"https://cpor.test/account/password/abc">=`,
		"link</a>",
		"--inner--",
		"--outer",
		"Content-Type: application/pdf",
		"",
		"%PDF-1.4",
		"--outer--",
		"",
	}, "\r\n")
	m, err := handlertest.ParseMessage([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Új jelszó" || m.Language != "hu" {
		t.Errorf("subject %q language %q", m.Subject, m.Language)
	}
	if m.Text != "Kedves Bob!\nhttps://cpor.test/account/password/abc.\n" {
		t.Errorf("text %q", m.Text)
	}
	if m.HTML != `<p>Kedves <b>Bob</b>!</p><a href="https://cpor.test/account/password/abc">link</a>` {
		t.Errorf("html %q", m.HTML)
	}
	if got := handlertest.LinkIn(m, "/account/password/"); got != "https://cpor.test/account/password/abc" {
		t.Errorf("LinkIn by path: %q", got)
	}
	if got := handlertest.LinkIn(m, "https://cpor.test/account/"); got != "https://cpor.test/account/password/abc" {
		t.Errorf("LinkIn by URL: %q", got)
	}
	if got := handlertest.LinkIn(m, "/c/"); got != "" {
		t.Errorf("LinkIn of a missing link: %q", got)
	}
	if _, err := handlertest.ParseMessage([]byte("no headers at all")); err == nil {
		t.Error("garbage parsed")
	}
}

func TestClockIsSafeAndOnlyMovesWhenTold(t *testing.T) {
	t.Parallel()
	c := handlertest.NewClock(handlertest.DefaultStart)
	if !c.Now().Equal(handlertest.DefaultStart) || c.Now().Weekday() != time.Wednesday {
		t.Fatalf("start %v", c.Now())
	}
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				c.Advance(time.Second)
				_ = c.Now()
			}
		}()
	}
	wg.Wait()
	if got := c.Now().Sub(handlertest.DefaultStart); got != 1000*time.Second {
		t.Errorf("advanced %v, want 1000s", got)
	}
	c.Set(time.Date(2030, 1, 1, 0, 0, 0, 0, time.FixedZone("X", 3600)))
	if c.Now().Location() != time.UTC || c.Now().Hour() != 23 {
		t.Errorf("Set keeps UTC: %v", c.Now())
	}
}

func TestClientAndMailboxAgainstTheApp(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	c := env.NewClient(t)
	// Without a page seen first, PostForm fetches one for its token.
	r := c.PostForm("/forgot", map[string][]string{"email": {handlertest.OperatorEmail}})
	handlertest.WantStatus(t, r, 200)
	msg := env.WaitForMail(t, handlertest.To(handlertest.OperatorEmail))
	if msg.Err != nil || msg.Text == "" || msg.HTML == "" {
		t.Fatalf("message %+v", msg)
	}
	// A message is returned by WaitFor once.
	env.Mailbox.Timeout = 50 * time.Millisecond
	ft := &fakeT{TB: t}
	func() {
		defer func() { _ = recover() }()
		env.WaitForMail(ft, handlertest.To(handlertest.OperatorEmail))
	}()
	if !ft.failed || !strings.Contains(ft.msg, "no matching message arrived") || !strings.Contains(ft.msg, "Outbox (1)") {
		t.Errorf("a second WaitFor for the same message: failed=%v %q", ft.failed, ft.msg)
	}
}

// fakeT records a fatal failure instead of ending the test.
type fakeT struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatal(args ...any) {
	f.failed = true
	for _, a := range args {
		if s, ok := a.(string); ok {
			f.msg += s
		}
	}
	panic("fatal")
}
func (f *fakeT) Fatalf(format string, args ...any) { f.Fatal(format) }
