package models_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cpor/models"
)

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestWorkerDeliversAndBeats(t *testing.T) {
	t.Parallel()
	db, store, _ := foundationStore(t)
	dir := filepath.Join(t.TempDir(), "mail")
	w := models.NewWorker(store, models.FileSender{Dir: dir}, "no-reply@cpor.test", quietLog())
	ctx := context.Background()
	if !w.Heartbeat().Before(time.Unix(1, 0)) {
		t.Errorf("heartbeat %v before any pass", w.Heartbeat())
	}
	if err := store.RequestPasswordReset(ctx, models.Actor{}, "admin@contoso-partner.test"); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	if err := w.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if w.Heartbeat().Before(before.Truncate(time.Millisecond)) {
		t.Errorf("heartbeat %v not updated by the pass at %v", w.Heartbeat(), before)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("%d files delivered", len(entries))
	}
	if n := countRows(t, db, `SELECT count(*) FROM outbox WHERE state = 'sent' AND secret = '' AND sent_at IS NOT NULL`); n != 1 {
		t.Error("the message is not marked sent and blanked")
	}
	// A second pass sends nothing again.
	if err := w.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files after a second pass", len(entries))
	}
}

// failingOnce fails the nth message it is given and hands the others on.
type failingOnce struct {
	n, fail int
	next    models.Sender
}

func (f *failingOnce) Send(ctx context.Context, from string, m *models.OutboxMessage) error {
	if f.n++; f.n == f.fail {
		return errors.New("452 mailbox full")
	}
	return f.next.Send(ctx, from, m)
}

// TestWorkerRecordsEverySendOfABatch: more messages than one delivery batch,
// one of them refused by the server: every delivered one is recorded sent
// (its link blanked), the refused one waits for its retry, and a second
// pass sends none of the delivered ones again.
func TestWorkerRecordsEverySendOfABatch(t *testing.T) {
	t.Parallel()
	db, store, _ := foundationStore(t)
	dir := filepath.Join(t.TempDir(), "mail")
	w := models.NewWorker(store, &failingOnce{fail: 7, next: models.FileSender{Dir: dir}}, "no-reply@cpor.test", quietLog())
	ctx := context.Background()
	const queued = 63 // a batch of 50 and part of another
	for range queued {
		if err := store.RequestPasswordReset(ctx, models.Actor{}, "admin@contoso-partner.test"); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		if err := w.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != queued-1 {
		t.Errorf("%d files delivered, want %d", len(entries), queued-1)
	}
	if n := countRows(t, db, `SELECT count(*) FROM outbox WHERE state = 'sent' AND secret = '' AND attempts = 1 AND sent_at IS NOT NULL`); n != queued-1 {
		t.Errorf("%d messages recorded sent, want %d", n, queued-1)
	}
	if n := countRows(t, db, `SELECT count(*) FROM outbox WHERE state = 'retrying' AND last_error LIKE '%mailbox full%'`); n != 1 {
		t.Errorf("%d messages waiting for a retry, want the refused one", n)
	}
}

func TestWorkerWithoutSenderKeepsMail(t *testing.T) {
	t.Parallel()
	db, store, _ := foundationStore(t)
	w := models.NewWorker(store, nil, "no-reply@cpor.test", quietLog())
	ctx := context.Background()
	if err := store.RequestPasswordReset(ctx, models.Actor{}, "admin@contoso-partner.test"); err != nil {
		t.Fatal(err)
	}
	if err := w.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	var m models.OutboxMessage
	db.R.Raw(`SELECT state, attempts, last_error FROM outbox`).Scan(&m)
	if m.State != models.MailRetrying || m.Attempts != 1 || !strings.Contains(m.LastError, "no mail sender") {
		t.Errorf("without a sender: %+v", m)
	}
}

// Run delivers as soon as a change commits (the store wakes it) and returns
// when its context ends.
func TestWorkerLoopWakesOnCommitAndStops(t *testing.T) {
	t.Parallel()
	db, store, _ := foundationStore(t)
	dir := filepath.Join(t.TempDir(), "mail")
	w := models.NewWorker(store, models.FileSender{Dir: dir}, "no-reply@cpor.test", quietLog())
	w.Interval = time.Hour // only the wake-up can make it deliver
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.Run(ctx) }()

	// The first pass runs at once; wait for it before queueing.
	deadline := time.Now().Add(10 * time.Second)
	for w.Heartbeat().Before(time.Unix(1, 0)) {
		if time.Now().After(deadline) {
			t.Fatal("the loop never ran a pass")
		}
		time.Sleep(time.Millisecond)
	}
	if err := store.RequestPasswordReset(ctx, models.Actor{}, "user@contoso-partner.test"); err != nil {
		t.Fatal(err)
	}
	for countRows(t, db, `SELECT count(*) FROM outbox WHERE state = 'sent'`) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the commit did not wake the worker")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
