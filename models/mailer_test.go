package models_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cpor/handlers/handlertest"
	"cpor/models"
)

func testMessage() *models.OutboxMessage {
	return &models.OutboxMessage{
		ID: 42, Kind: "password_reset", ToEmail: "penzugy@contoso-customer.test", ToName: "Pénzügy Osztály",
		Language: "hu", Subject: "Új jelszó beállítása a CPOR Claimshez",
		TextBody:  "Kedves Pénzügy!\n\nhttps://cpor.test/account/password/abc\n" + strings.Repeat("hosszú sor ", 30) + "\n",
		HTMLBody:  `<p>Kedves Pénzügy!</p><p><a href="https://cpor.test/account/password/abc">Új jelszó</a></p>`,
		CreatedAt: models.At(time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)),
	}
}

func TestNewSMTPSenderURLs(t *testing.T) {
	t.Parallel()
	for raw, ok := range map[string]bool{
		"smtp://mail.example.test":                 true,
		"smtp://mail.example.test:2525":            true,
		"smtp://user:p%40ss@mail.example.test:587": true,
		"smtps://mail.example.test":                true,
		"http://mail.example.test":                 false,
		"mail.example.test:25":                     false,
		"smtp://mail.example.test:port":            false,
		"smtp://mail.example.test:70000":           false,
		"%zz":                                      false,
	} {
		_, err := models.NewSMTPSender(raw)
		if (err == nil) != ok {
			t.Errorf("NewSMTPSender(%q): %v", raw, err)
		}
	}
}

// go-mail's opportunistic TLS policy must deliver to a server that offers
// no STARTTLS (a local relay, the test server) in plain text.
func TestSMTPSenderDeliversWithoutSTARTTLS(t *testing.T) {
	t.Parallel()
	srv := handlertest.StartSMTP(t, nil)
	defer srv.Close()
	sender, err := models.NewSMTPSender(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	m := testMessage()
	if err := sender.Send(context.Background(), "CPOR Claims <no-reply@cpor.test>", m); err != nil {
		t.Fatalf("send: %v", err)
	}
	msgs := srv.Mailbox.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages arrived", len(msgs))
	}
	got := msgs[0]
	if got.Err != nil {
		t.Fatal(got.Err)
	}
	if got.From != "no-reply@cpor.test" || !got.SentTo(m.ToEmail) {
		t.Errorf("envelope %q → %v", got.From, got.To)
	}
	if got.Subject != m.Subject || got.Language != "hu" {
		t.Errorf("subject %q, language %q", got.Subject, got.Language)
	}
	if to := got.Header.Get("To"); !strings.Contains(to, "<penzugy@contoso-customer.test>") || !strings.HasPrefix(to, "=?") {
		t.Errorf("To %q: the name must be encoded, the address kept", to)
	}
	if id := got.Header.Get("Message-Id"); id != "<outbox-42.1772618400000@cpor>" {
		t.Errorf("Message-ID %q", id)
	}
	if d, err := got.Header.Date(); err != nil || !d.Equal(m.CreatedAt.Time) {
		t.Errorf("Date %v (%v)", d, err)
	}
	if got.Text != m.TextBody {
		t.Errorf("text part changed in transit:\n%q\n%q", got.Text, m.TextBody)
	}
	if got.HTML != m.HTMLBody {
		t.Errorf("HTML part changed in transit:\n%q", got.HTML)
	}
}

func TestSMTPSenderReportsRefusals(t *testing.T) {
	t.Parallel()
	srv := handlertest.StartSMTP(t, nil)
	defer srv.Close()
	sender, _ := models.NewSMTPSender(srv.URL())
	srv.SetBehaviour(handlertest.Reject)
	if err := sender.Send(context.Background(), "no-reply@cpor.test", testMessage()); err == nil || !strings.Contains(err.Error(), "554") {
		t.Errorf("a 554 answer: %v", err)
	}
	srv.SetBehaviour(handlertest.DropInData)
	if err := sender.Send(context.Background(), "no-reply@cpor.test", testMessage()); err == nil {
		t.Error("a dropped connection counts as delivered")
	}
	// Nothing listening.
	srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := sender.Send(ctx, "no-reply@cpor.test", testMessage()); err == nil {
		t.Error("a closed server counts as delivered")
	}
	if srv.Mailbox.Len() != 0 {
		t.Error("a refused message arrived")
	}
	// Bad addresses are refused before connecting.
	m := testMessage()
	m.ToEmail = "not an address"
	if err := sender.Send(context.Background(), "no-reply@cpor.test", m); err == nil || !strings.Contains(err.Error(), "recipient") {
		t.Errorf("a bad recipient: %v", err)
	}
}

func TestFileSenderWritesOneEmlPerMessage(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "deep", "mail")
	fs := models.FileSender{Dir: dir}
	m := testMessage()
	if err := fs.Send(context.Background(), "no-reply@cpor.test", m); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "20260304T100000-000042-password_reset.eml" {
		t.Fatalf("files: %v", entries)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, entries[0].Name()))
	got, err := handlertest.ParseMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != m.Subject || got.Text != m.TextBody || got.HTML != m.HTMLBody || got.Language != "hu" {
		t.Errorf("the .eml differs from the message: %+v", got)
	}
}
