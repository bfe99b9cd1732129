package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"cpor/models"
)

func TestSessionLifetimes(t *testing.T) {
	t.Parallel()
	db, store, clock := foundationStore(t)
	ctx := context.Background()
	user, err := store.UserByEmail(ctx, "user@contoso-partner.test")
	if err != nil {
		t.Fatal(err)
	}
	alive := func(tok string) bool {
		t.Helper()
		p, err := store.SessionPrincipal(ctx, tok)
		if errors.Is(err, models.ErrNotFound) {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.ID != user.ID || len(p.Locations) != 1 {
			t.Fatalf("principal %+v", p)
		}
		return true
	}

	t.Run("the token is stored only as its hash", func(t *testing.T) {
		tok, err := store.CreateSession(ctx, user.ID, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) < 43 {
			t.Errorf("token %q is shorter than 32 random bytes", tok)
		}
		if n := countRows(t, db, `SELECT count(*) FROM sessions WHERE id_hash = ?`, []byte(tok)); n != 0 {
			t.Error("the session token is stored in the clear")
		}
		if n := countRows(t, db, `SELECT count(*) FROM sessions WHERE id_hash = ? AND ip = '192.0.2.1'`, models.SessionHash(tok)); n != 1 {
			t.Error("the session row is not found by the token's hash")
		}
		if !alive(tok) {
			t.Error("a new session does not work")
		}
		if err := store.DeleteSession(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if alive(tok) {
			t.Error("a deleted session still works")
		}
		if alive("made-up-token") {
			t.Error("a made-up token works")
		}
	})

	t.Run("idle sessions end after 12 hours", func(t *testing.T) {
		tok, _ := store.CreateSession(ctx, user.ID, "")
		clock.Advance(models.SessionIdle - time.Minute)
		if !alive(tok) {
			t.Fatal("ended before the idle limit")
		}
		// That request counted as activity.
		clock.Advance(models.SessionIdle - time.Minute)
		if !alive(tok) {
			t.Fatal("activity did not keep the session alive")
		}
		clock.Advance(models.SessionIdle)
		if alive(tok) {
			t.Fatal("an idle session still works")
		}
	})

	t.Run("activity is recorded at most every five minutes", func(t *testing.T) {
		tok, _ := store.CreateSession(ctx, user.ID, "")
		seen := func() int64 {
			return countRows(t, db, `SELECT seen_at FROM sessions WHERE id_hash = ?`, models.SessionHash(tok))
		}
		start := seen()
		clock.Advance(4 * time.Minute)
		alive(tok)
		if seen() != start {
			t.Error("seen_at moved after 4 minutes")
		}
		clock.Advance(2 * time.Minute)
		alive(tok)
		if got := seen(); got != models.Ms(clock.Now()) {
			t.Errorf("seen_at %d after 6 minutes, want %d", got, models.Ms(clock.Now()))
		}
	})

	t.Run("sessions end seven days after sign-in however active", func(t *testing.T) {
		tok, _ := store.CreateSession(ctx, user.ID, "")
		start := clock.Now()
		for clock.Now().Sub(start) < models.SessionMaxAge-6*time.Hour {
			clock.Advance(6 * time.Hour)
			if !alive(tok) {
				t.Fatalf("ended after %s", clock.Now().Sub(start))
			}
		}
		clock.Set(start.Add(models.SessionMaxAge))
		if alive(tok) {
			t.Fatal("a week-old session still works")
		}
	})

	t.Run("signing in clears the person's dead sessions", func(t *testing.T) {
		clock.Advance(models.SessionMaxAge) // everything before is dead
		if _, err := store.CreateSession(ctx, user.ID, ""); err != nil {
			t.Fatal(err)
		}
		if n, _ := store.CountSessions(ctx, user.ID); n != 1 {
			t.Errorf("%d sessions after signing in again, want only the new one", n)
		}
	})

	t.Run("disabling ends sessions at once", func(t *testing.T) {
		tok, _ := store.CreateSession(ctx, user.ID, "")
		db.W.Exec(`UPDATE users SET disabled = 1 WHERE id = ?`, user.ID)
		if alive(tok) {
			t.Error("a disabled user's session works")
		}
		db.W.Exec(`UPDATE users SET disabled = 0 WHERE id = ?`, user.ID)
		if !alive(tok) {
			t.Error("re-enabling did not bring the session back")
		}
		db.W.Exec(`UPDATE organisations SET disabled = 1 WHERE id = ?`, user.OrganisationID)
		if alive(tok) {
			t.Error("the session of a disabled organisation's user works")
		}
	})
}

func TestChangePasswordKeepsOnlyTheCurrentSession(t *testing.T) {
	t.Parallel()
	_, store, _ := foundationStore(t)
	ctx := context.Background()
	u, _ := store.UserByEmail(ctx, "reviewer@program.test")
	keep, _ := store.CreateSession(ctx, u.ID, "")
	other, _ := store.CreateSession(ctx, u.ID, "")

	err := store.ChangePassword(ctx, models.Actor{}, u.ID, "wrong current password", "a brand new password", models.SessionHash(keep))
	var fe models.FieldErrors
	if !errors.As(err, &fe) || fe["current"] != "err.password_wrong" {
		t.Fatalf("wrong current password: %v", err)
	}
	if err := store.ChangePassword(ctx, models.Actor{}, u.ID, models.DemoPassword, "short", nil); !errors.As(err, &fe) || fe["new"] != "err.password_short" {
		t.Fatalf("short new password: %v", err)
	}
	if n, _ := store.CountSessions(ctx, u.ID); n != 2 {
		t.Fatalf("a refused change ended sessions: %d left", n)
	}
	if err := store.ChangePassword(ctx, models.Actor{}, u.ID, models.DemoPassword, "a brand new password", models.SessionHash(keep)); err != nil {
		t.Fatal(err)
	}
	if _, err := store.SessionPrincipal(ctx, keep); err != nil {
		t.Errorf("the current session ended: %v", err)
	}
	if _, err := store.SessionPrincipal(ctx, other); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("another session survived: %v", err)
	}
	if _, err := store.Authenticate(ctx, u.Email, "a brand new password"); err != nil {
		t.Errorf("the new password does not work: %v", err)
	}
	if _, err := store.Authenticate(ctx, u.Email, models.DemoPassword); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("the old password still works: %v", err)
	}
}
