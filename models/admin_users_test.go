package models

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
)

// admComposer renders every mail as its kind; the model tests only need the
// outbox rows, not the words (the views package is tested on its own).
type admComposer struct{}

func (admComposer) Compose(m *Mail) (string, string, string, error) {
	return m.Kind, m.Kind + " " + m.Secret, "<p>" + m.Kind + "</p>", nil
}

type admClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *admClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// admTestStore opens a migrated database in a temp dir with the demo data.
func admTestStore(t *testing.T) (*Store, *admClock) {
	t.Helper()
	PasswordParams = Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}
	db, err := Open(filepath.Join(t.TempDir(), "cpor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(); err != nil {
		t.Fatal(err)
	}
	clock := &admClock{t: time.Date(2026, time.March, 4, 10, 0, 0, 0, time.UTC)}
	s := NewStore(db, StoreOptions{Clock: clock, PublicURL: "http://cpor.test", Composer: admComposer{}})
	if _, err := s.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, clock
}

func admUser(t *testing.T, s *Store, email string) *User {
	t.Helper()
	u, err := s.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return u
}

// Two admins demoting each other at the same moment: the rule is checked
// inside each write transaction, so exactly one of them succeeds.
func TestLastAdminRuleHoldsUnderConcurrency(t *testing.T) {
	s, _ := admTestStore(t)
	ctx := context.Background()
	admin := admUser(t, s, "admin@contoso-partner.test")
	user := admUser(t, s, "user@contoso-partner.test")
	sc := OrgScope(admin.OrganisationID)
	a := Actor{UserID: admin.ID, Label: admin.Email}
	if err := s.SetUserRole(ctx, a, sc, user.ID, RoleAdmin); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 20; round++ {
		// Both are admins again; each demotes the other (or disables them).
		if err := s.tx(ctx, func(tx *gorm.DB) error {
			return tx.Exec(`UPDATE users SET role = 'incentives_admin', disabled = 0 WHERE id IN (?, ?)`, admin.ID, user.ID).Error
		}); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, pair := range [][2]int64{{admin.ID, user.ID}, {user.ID, admin.ID}} {
			wg.Add(1)
			go func(i int, actorID, target int64) {
				defer wg.Done()
				if round%2 == 0 {
					errs[i] = s.SetUserRole(ctx, Actor{UserID: actorID}, sc, target, RoleUser)
				} else {
					errs[i] = s.SetUserDisabled(ctx, Actor{UserID: actorID}, sc, target, true)
				}
			}(i, pair[0], pair[1])
		}
		wg.Wait()
		ok, refused := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, ErrLastAdmin):
				refused++
			default:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		n, err := activeAdmins(s.db.R, admin.OrganisationID)
		if err != nil {
			t.Fatal(err)
		}
		if ok != 1 || refused != 1 || n != 1 {
			t.Fatalf("round %d: %d succeeded, %d refused, %d active admins left; want 1, 1, 1", round, ok, refused, n)
		}
	}
}

func TestLastAdminCannotBeDemotedOrDisabled(t *testing.T) {
	s, _ := admTestStore(t)
	ctx := context.Background()
	admin := admUser(t, s, "admin@contoso-partner.test")
	sc := OrgScope(admin.OrganisationID)
	a := Actor{UserID: admin.ID, Label: admin.Email}
	if err := s.SetUserRole(ctx, a, sc, admin.ID, RoleUser); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("demoting the last admin: %v, want ErrLastAdmin", err)
	}
	if err := s.SetUserDisabled(ctx, a, sc, admin.ID, true); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("disabling the last admin: %v, want ErrLastAdmin", err)
	}
	// Nothing was written: still an active admin, no audit row for either.
	u := admUser(t, s, admin.Email)
	if u.Role != RoleAdmin || u.Disabled {
		t.Errorf("after refused changes: role %s, disabled %v", u.Role, u.Disabled)
	}
	var n int
	s.db.R.Raw(`SELECT count(*) FROM audit_log WHERE kind IN ('user.role','user.disable')`).Scan(&n)
	if n != 0 {
		t.Errorf("%d audit rows for refused changes", n)
	}
}

func TestScopedUsersStayInTheirScope(t *testing.T) {
	s, _ := admTestStore(t)
	ctx := context.Background()
	contoso := admUser(t, s, "admin@contoso-partner.test")
	fabrikam := admUser(t, s, "admin@fabrikam-partner.test")
	operator := admUser(t, s, "operator@program.test")
	sc := OrgScope(contoso.OrganisationID)
	a := Actor{UserID: contoso.ID}
	if _, err := s.ScopedUser(ctx, sc, fabrikam.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("another organisation's user: %v, want ErrNotFound", err)
	}
	if _, err := s.ScopedUser(ctx, sc, operator.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("an operator through a partner scope: %v, want ErrNotFound", err)
	}
	if _, err := s.ScopedUser(ctx, PlatformScope, contoso.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("a partner through the platform scope: %v, want ErrNotFound", err)
	}
	for name, err := range map[string]error{
		"role":    s.SetUserRole(ctx, a, sc, fabrikam.ID, RoleUser),
		"disable": s.SetUserDisabled(ctx, a, sc, fabrikam.ID, true),
		"scope":   s.SetUserLocations(ctx, a, sc, fabrikam.ID, nil),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s on another organisation's user: %v, want ErrNotFound", name, err)
		}
	}
	// Locations of another organisation cannot be put in a scope.
	fabLocs, _ := s.OrgLocations(ctx, fabrikam.OrganisationID)
	user := admUser(t, s, "user@contoso-partner.test")
	err := s.SetUserLocations(ctx, a, sc, user.ID, []int64{fabLocs[0].ID})
	var fe FieldErrors
	if !errors.As(err, &fe) || fe["locations"] == "" {
		t.Errorf("another organisation's location in a scope: %v", err)
	}
}

func TestInvitationAndDisableWriteInOneTransaction(t *testing.T) {
	s, clock := admTestStore(t)
	ctx := context.Background()
	admin := admUser(t, s, "admin@contoso-partner.test")
	sc := OrgScope(admin.OrganisationID)
	a := Actor{UserID: admin.ID, Label: admin.Email, IP: "192.0.2.1"}
	locs, _ := s.OrgLocations(ctx, admin.OrganisationID)
	id, err := s.InviteUser(ctx, a, admin, sc, Invitation{Email: " new@contoso-partner.test ", Role: RoleUser, Locations: []int64{locs[0].ID}})
	if err != nil {
		t.Fatal(err)
	}
	var mails, tokens, audits int
	s.db.R.Raw(`SELECT count(*) FROM outbox WHERE kind = 'invitation' AND to_email = 'new@contoso-partner.test'`).Scan(&mails)
	s.db.R.Raw(`SELECT count(*) FROM account_tokens WHERE user_id = ? AND purpose = 'invite' AND expires_at = ?`, id, Ms(clock.Now().Add(72*time.Hour))).Scan(&tokens)
	s.db.R.Raw(`SELECT count(*) FROM audit_log WHERE kind = 'user.invite' AND object = ? AND ip = '192.0.2.1'`, userRef(id)).Scan(&audits)
	if mails != 1 || tokens != 1 || audits != 1 {
		t.Errorf("invitation wrote %d mails, %d 72-hour tokens, %d audit rows; want 1 each", mails, tokens, audits)
	}
	// The same address again is a field message, and nothing more is written.
	_, err = s.InviteUser(ctx, a, admin, sc, Invitation{Email: "NEW@contoso-partner.test", Role: RoleAdmin})
	var fe FieldErrors
	if !errors.As(err, &fe) || fe["email"] != "admin.err.email_taken" {
		t.Fatalf("duplicate invitation: %v", err)
	}
	s.db.R.Raw(`SELECT count(*) FROM outbox`).Scan(&mails)
	if mails != 1 {
		t.Errorf("a refused invitation left %d outbox rows", mails)
	}

	// Disabling ends the person's sessions in the same transaction.
	if _, err := s.CreateSession(ctx, id, "192.0.2.2"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserDisabled(ctx, a, sc, id, true); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.CountSessions(ctx, id); n != 0 {
		t.Errorf("%d sessions left after disabling", n)
	}
}
