package models

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"gorm.io/gorm"
)

// Caches of what nearly every request reads — the signed-in person, the
// reference data, an organisation's locations. Each entry remembers the
// version it was read at; one cheap query per request reads the current
// versions, which triggers move inside the very transaction of any change
// (migration 8), so a cached value is never used after its source changed —
// including a session ended by sign-out or a disabled account.
type caches struct {
	mu       sync.Mutex
	sessions map[string]sessionEntry // by token hash
	ref      *RefData
	refV     int64
	locs     map[int64]locEntry    // by organisation
	dueWeek  map[string]countEntry // by dueWeekKey
	overdue  countEntry            // the review queue's overdue count
}

// countEntry is a count exact at version v until the instant until.
type countEntry struct {
	n     int64
	v     int64
	until time.Time
}

// fresh reports whether the count still holds at version v and instant now.
func (e countEntry) fresh(v int64, now time.Time) bool { return e.v == v && now.Before(e.until) }

// cacheVersion reads one of the versions triggers move (cache_versions).
func cacheVersion(db *gorm.DB, name string) (int64, error) {
	var v int64
	err := queryRaw(db, `SELECT v FROM cache_versions WHERE name = ?`, []any{name}, func(r *sql.Rows) error { return r.Scan(&v) })
	return v, err
}

type sessionEntry struct {
	p       Principal
	v       int64
	seenAt  time.Time
	expires time.Time
}

type locEntry struct {
	locs []Location
	v    int64
}

const maxCachedSessions = 10000

type versionsKey struct{}

type versions struct{ auth, ref int64 }

// WithVersions reads the cache versions once and keeps them in the
// request's context, so the session, the reference data and the locations
// read for one request share one query.
func (s *Store) WithVersions(ctx context.Context) (context.Context, error) {
	auth, ref, err := readVersions(s.r(ctx))
	if err != nil {
		return ctx, err
	}
	return context.WithValue(ctx, versionsKey{}, versions{auth, ref}), nil
}

// cacheVersions returns the request's versions, reading them if the request has none.
func cacheVersions(db *gorm.DB) (auth, ref int64, err error) {
	if ctx := db.Statement.Context; ctx != nil {
		if v, ok := ctx.Value(versionsKey{}).(versions); ok {
			return v.auth, v.ref, nil
		}
	}
	return readVersions(db)
}

func readVersions(db *gorm.DB) (auth, ref int64, err error) {
	err = queryRaw(db, `SELECT (SELECT v FROM cache_versions WHERE name = 'auth'), (SELECT v FROM cache_versions WHERE name = 'ref')`, nil,
		func(r *sql.Rows) error { return r.Scan(&auth, &ref) })
	return auth, ref, err
}

func (c *caches) session(hash string, v int64) (sessionEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.sessions[hash]
	return e, ok && e.v == v
}

func (c *caches) putSession(hash string, e sessionEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sessions == nil || len(c.sessions) >= maxCachedSessions {
		c.sessions = map[string]sessionEntry{}
	}
	c.sessions[hash] = e
}

// RefData returns the reference data, from memory while it is unchanged.
func (s *Store) RefData(ctx context.Context) (*RefData, error) {
	db := s.r(ctx)
	_, v, err := cacheVersions(db)
	if err != nil {
		return nil, err
	}
	s.cache.mu.Lock()
	ref, refV := s.cache.ref, s.cache.refV
	s.cache.mu.Unlock()
	if ref != nil && refV == v {
		return ref, nil
	}
	ref, err = s.refData(db)
	if err != nil {
		return nil, err
	}
	s.cache.mu.Lock()
	s.cache.ref, s.cache.refV = ref, v
	s.cache.mu.Unlock()
	return ref, nil
}

// OrgLocations returns an organisation's locations with their enrolments,
// from memory while they are unchanged. Callers must not modify the result.
func (s *Store) OrgLocations(ctx context.Context, orgID int64) ([]Location, error) {
	db := s.r(ctx)
	v, _, err := cacheVersions(db)
	if err != nil {
		return nil, err
	}
	s.cache.mu.Lock()
	e, ok := s.cache.locs[orgID]
	s.cache.mu.Unlock()
	if ok && e.v == v {
		return e.locs, nil
	}
	locs, err := s.orgLocations(db, orgID)
	if err != nil {
		return nil, err
	}
	s.cache.mu.Lock()
	if s.cache.locs == nil || len(s.cache.locs) > 5000 {
		s.cache.locs = map[int64]locEntry{}
	}
	s.cache.locs[orgID] = locEntry{locs: locs, v: v}
	s.cache.mu.Unlock()
	return locs, nil
}
