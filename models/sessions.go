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
	var row struct {
		User
		SeenAt Time
	}
	err := s.r(ctx).Raw(`SELECT `+userColumns+`, s.seen_at FROM sessions s
		JOIN users u ON u.id = s.user_id LEFT JOIN organisations o ON o.id = u.organisation_id
		WHERE s.id_hash = ? AND s.expires_at > ? AND s.seen_at > ? AND u.disabled = 0 AND coalesce(o.disabled, 0) = 0`,
		hashSecret(token), Ms(now), Ms(now.Add(-SessionIdle))).Scan(&row).Error
	if err != nil {
		return nil, err
	}
	if row.ID == 0 {
		return nil, ErrNotFound
	}
	p := &Principal{User: row.User}
	if p.Role == RoleUser {
		if p.Locations, err = s.UserLocations(ctx, p.ID); err != nil {
			return nil, err
		}
	}
	if now.Sub(row.SeenAt.Time) > seenResolution {
		if err := s.w(ctx).Exec(`UPDATE sessions SET seen_at = ? WHERE id_hash = ?`, Ms(now), hashSecret(token)).Error; err != nil {
			return nil, err
		}
	}
	return p, nil
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
