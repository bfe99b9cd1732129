package models_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"cpor/models"
)

func linkToken(t *testing.T, link string) string {
	t.Helper()
	i := strings.Index(link, "/account/password/")
	if i < 0 {
		t.Fatalf("not an account link: %q", link)
	}
	return link[i+len("/account/password/"):]
}

func TestInvitationLinkFromTheCLI(t *testing.T) {
	t.Parallel()
	_, store, clock := foundationStore(t)
	ctx := context.Background()

	link, err := store.CreateUserCLI(ctx, models.NewUser{Email: "new.reviewer@program.test", Role: models.RoleReviewer}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, "https://cpor.test/account/password/") {
		t.Fatalf("link %q", link)
	}
	tok := linkToken(t, link)
	l, err := store.CheckAccountLink(ctx, tok)
	if err != nil || l.Purpose != models.PurposeInvite || l.User.Email != "new.reviewer@program.test" {
		t.Fatalf("CheckAccountLink: %+v, %v", l, err)
	}
	// Without a password nobody can sign in to the new account.
	if _, err := store.Authenticate(ctx, "new.reviewer@program.test", ""); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("an account without a password accepts the empty one: %v", err)
	}

	var fe models.FieldErrors
	if _, err := store.UseAccountLink(ctx, models.Actor{}, tok, "short"); !errors.As(err, &fe) {
		t.Fatalf("a short password: %v", err)
	}
	clock.Advance(models.InviteLinkTTL - time.Minute)
	if _, err := store.UseAccountLink(ctx, models.Actor{}, tok, "a long enough password"); err != nil {
		t.Fatalf("using the link: %v", err)
	}
	if _, err := store.Authenticate(ctx, "new.reviewer@program.test", "a long enough password"); err != nil {
		t.Errorf("the password set through the link does not work: %v", err)
	}
	if _, err := store.CheckAccountLink(ctx, tok); !errors.Is(err, models.ErrLinkUsed) {
		t.Errorf("a used link: %v", err)
	}
	if _, err := store.UseAccountLink(ctx, models.Actor{}, tok, "another long password"); !errors.Is(err, models.ErrLinkUsed) {
		t.Errorf("using a link twice: %v", err)
	}
	if _, err := store.CheckAccountLink(ctx, "no-such-token"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("an unknown link: %v", err)
	}
}

func TestInvitationLinkExpires(t *testing.T) {
	t.Parallel()
	_, store, clock := foundationStore(t)
	ctx := context.Background()
	link, err := store.CreateUserCLI(ctx, models.NewUser{Email: "late@contoso-partner.test", Role: models.RoleUser}, "Contoso Partners")
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(models.InviteLinkTTL)
	if _, err := store.UseAccountLink(ctx, models.Actor{}, linkToken(t, link), "a long enough password"); !errors.Is(err, models.ErrLinkExpired) {
		t.Errorf("an expired invitation: %v", err)
	}
}

func TestCreateUserCLIRefusals(t *testing.T) {
	t.Parallel()
	_, store, _ := foundationStore(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		user models.NewUser
		org  string
		want string
	}{
		{"partner without org", models.NewUser{Email: "a@x.test", Role: models.RoleAdmin}, "", "--org is required"},
		{"unknown org", models.NewUser{Email: "b@x.test", Role: models.RoleUser}, "No Such Org", "no organisation named"},
		{"org for a reviewer", models.NewUser{Email: "c@x.test", Role: models.RoleReviewer}, "Contoso Partners", "only for partner roles"},
		{"existing email, other case", models.NewUser{Email: "ADMIN@contoso-partner.test", Role: models.RoleOperator}, "", "already exists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := store.CreateUserCLI(ctx, tc.user, tc.org)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// Two browsers submitting the same link at once: exactly one wins.
func TestAccountLinkIsUsedOnceUnderConcurrency(t *testing.T) {
	t.Parallel()
	_, store, _ := foundationStore(t)
	ctx := context.Background()
	link, err := store.CreateUserCLI(ctx, models.NewUser{Email: "race@program.test", Role: models.RoleOperator}, "")
	if err != nil {
		t.Fatal(err)
	}
	tok := linkToken(t, link)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = store.UseAccountLink(ctx, models.Actor{}, tok, "concurrent password "+string(rune('a'+i)))
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, models.ErrLinkUsed):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d uses succeeded, want exactly 1", won)
	}
}

func TestPasswordResetIsQueuedWithItsLink(t *testing.T) {
	t.Parallel()
	db, store, _ := foundationStore(t)
	ctx := context.Background()
	if err := store.RequestPasswordReset(ctx, models.Actor{Label: "anonymous"}, "User@Contoso-Partner.test"); err != nil {
		t.Fatal(err)
	}
	for _, unknown := range []string{"nobody@example.test", ""} {
		if err := store.RequestPasswordReset(ctx, models.Actor{}, unknown); err != nil {
			t.Errorf("%q: %v", unknown, err)
		}
	}
	db.W.Exec(`UPDATE users SET disabled = 1 WHERE email = 'admin@fabrikam-partner.test'`)
	if err := store.RequestPasswordReset(ctx, models.Actor{}, "admin@fabrikam-partner.test"); err != nil {
		t.Fatal(err)
	}
	var rows []models.OutboxMessage
	if err := db.R.Raw(`SELECT id, kind, to_email, language, subject, text_body, state FROM outbox`).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("%d messages queued, want 1 (only the active account)", len(rows))
	}
	m := rows[0]
	if m.Kind != "password_reset" || m.ToEmail != "user@contoso-partner.test" || m.Language != "en" || m.State != models.MailQueued {
		t.Errorf("queued %+v", m)
	}
	if n := countRows(t, db, `SELECT count(*) FROM account_tokens WHERE purpose = 'reset' AND expires_at = ?`,
		models.Ms(store.Now().Add(models.ResetLinkTTL))); n != 1 {
		t.Error("the reset link does not expire after one hour")
	}
	if n := countRows(t, db, `SELECT count(*) FROM audit_log WHERE kind = 'user.reset_requested'`); n != 1 {
		t.Error("the request is not audited")
	}
}
