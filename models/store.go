package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"time"

	"gorm.io/gorm"
)

// Store is the domain's entry point: every query and every change goes
// through its methods. It knows nothing about HTTP.
type Store struct {
	db        *DB
	clock     Clock
	loc       *time.Location
	publicURL string
	compose   Composer
	// wake nudges the worker after a commit so new mail leaves at once.
	wake  chan struct{}
	cache caches
}

// StoreOptions configures a Store.
type StoreOptions struct {
	Clock     Clock          // defaults to SystemClock
	Location  *time.Location // the platform time zone for business days; defaults to UTC
	PublicURL string         // base of links in emails, without a trailing slash
	Composer  Composer       // renders outbox messages; required before mail is queued
}

// NewStore wraps an open, migrated database.
func NewStore(db *DB, o StoreOptions) *Store {
	if o.Clock == nil {
		o.Clock = SystemClock{}
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	return &Store{db: db, clock: o.Clock, loc: o.Location, publicURL: o.PublicURL, compose: o.Composer,
		wake: make(chan struct{}, 1)}
}

// DB returns the underlying handles (for the worker, backups and tests).
func (s *Store) DB() *DB { return s.db }

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.clock.Now() }

// Location is the platform time zone.
func (s *Store) Location() *time.Location { return s.loc }

// PublicURL is the base of links in emails.
func (s *Store) PublicURL() string { return s.publicURL }

func (s *Store) r(ctx context.Context) *gorm.DB { return s.db.R.WithContext(ctx) }
func (s *Store) w(ctx context.Context) *gorm.DB { return s.db.W.WithContext(ctx) }

// tx runs fn in one immediate write transaction.
func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if err := s.db.W.WithContext(ctx).Transaction(fn); err != nil {
		return err
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return nil
}

// newSecret returns a URL-safe random token of 32 bytes and its SHA-256 hash.
// Only the hash is stored, so a copy of the database cannot be used to sign in
// or to act on a customer's behalf.
func newSecret() (token string, hash []byte) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashSecret(token)
}

func hashSecret(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Actor is who performs a change, for history and the audit log.
type Actor struct {
	UserID int64  // 0 for the system or a customer
	Label  string // the user's email, "customer <email>" or "system"
	IP     string
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
