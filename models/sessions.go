package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Session lifetimes: a session ends after SessionIdle without a request or
// SessionMaxAge after sign-in, whichever comes first.
const (
	SessionIdle   = 12 * time.Hour
	SessionMaxAge = 7 * 24 * time.Hour
	// seenResolution limits writes: seen_at moves at most this often.
	seenResolution = 5 * time.Minute
)

// CreateSession starts a new server-side session and returns its token, which
// goes into the signed cookie. Only the token's hash is stored.
func (s *Store) CreateSession(ctx context.Context, userID int64, ip string) (string, error) {
	token, hash := newSecret()
	now := s.Now()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// Expired rows of this user go now; no separate sweeper is needed.
		if err := tx.Exec(`DELETE FROM sessions WHERE user_id = ? AND (expires_at <= ? OR seen_at <= ?)`,
			userID, Ms(now), Ms(now.Add(-SessionIdle))).Error; err != nil {
			return err
		}
		return tx.Exec(`INSERT INTO sessions (id_hash, user_id, created_at, seen_at, expires_at, ip) VALUES (?, ?, ?, ?, ?, ?)`,
			blob(hash), userID, Ms(now), Ms(now), Ms(now.Add(SessionMaxAge)), ip).Error
	})
	return token, err
}

// SessionHash is the stored form of a session token.
func SessionHash(token string) []byte { return hashSecret(token) }

// SessionPrincipal returns the person a live session belongs to. Ended,
// expired and idle sessions, disabled people and disabled organisations are
// ErrNotFound.
func (s *Store) SessionPrincipal(ctx context.Context, token string) (*Principal, error) {
	now := s.Now()
	db := s.r(ctx)
	hash := hashSecret(token)
	key := string(hash)
	v, _, err := cacheVersions(db)
	if err != nil {
		return nil, err
	}
	e, ok := s.cache.session(key, v)
	if !ok {
		if e, err = s.loadSession(db, hash, now); err != nil {
			return nil, err
		}
		e.v = v
	}
	if !now.Before(e.expires) || !now.Before(e.seenAt.Add(SessionIdle)) {
		return nil, ErrNotFound
	}
	if now.Sub(e.seenAt) > seenResolution {
		if err := s.w(ctx).Exec(`UPDATE sessions SET seen_at = ? WHERE id_hash = ?`, Ms(now), hash).Error; err != nil {
			return nil, err
		}
		e.seenAt = now
	}
	s.cache.putSession(key, e)
	p := e.p // a copy: the cache keeps its own
	return &p, nil
}

// loadSession reads a live session's person from the database.
func (s *Store) loadSession(db *gorm.DB, hash []byte, now time.Time) (sessionEntry, error) {
	var row struct {
		User
		SeenAt    Time
		ExpiresAt Time
	}
	err := db.Raw(`SELECT `+userColumns+`, s.seen_at, s.expires_at FROM sessions s
		JOIN users u ON u.id = s.user_id LEFT JOIN organisations o ON o.id = u.organisation_id
		WHERE s.id_hash = ? AND s.expires_at > ? AND s.seen_at > ? AND u.disabled = 0 AND coalesce(o.disabled, 0) = 0`,
		hash, Ms(now), Ms(now.Add(-SessionIdle))).Scan(&row).Error
	if err != nil {
		return sessionEntry{}, err
	}
	if row.ID == 0 {
		return sessionEntry{}, ErrNotFound
	}
	e := sessionEntry{p: Principal{User: row.User}, seenAt: row.SeenAt.Time, expires: row.ExpiresAt.Time}
	if e.p.Role == RoleUser {
		if err := db.Raw(`SELECT location_id FROM user_locations WHERE user_id = ? ORDER BY location_id`, e.p.ID).
			Scan(&e.p.Locations).Error; err != nil {
			return sessionEntry{}, err
		}
	}
	return e, nil
}

// DeleteSession ends one session (sign-out).
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	return s.w(ctx).Exec(`DELETE FROM sessions WHERE id_hash = ?`, hashSecret(token)).Error
}

// CountSessions returns how many sessions a user has (for tests and the users page).
func (s *Store) CountSessions(ctx context.Context, userID int64) (int64, error) {
	var n int64
	err := s.r(ctx).Raw(`SELECT count(*) FROM sessions WHERE user_id = ?`, userID).Scan(&n).Error
	return n, err
}
