package models

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"
)

// AuditEntry is one row of the audit log.
type AuditEntry struct {
	ID      int64
	At      Time
	ActorID int64
	Actor   string
	IP      string
	Kind    string
	Object  string
	Detail  string
}

// AuditFilter selects rows of the audit log.
type AuditFilter struct {
	Actor string // part of the actor's label (an email, "system", "cli")
	// Kind is an exact kind ("user.role") or, ending in a dot, a family ("user.").
	Kind  string
	From  time.Time // inclusive; zero for no lower bound
	Until time.Time // exclusive; zero for no upper bound
	// Keyset: list the rows older than the row (BeforeAt, Before) — the
	// time and ID of the last row of the previous page.
	BeforeAt int64
	Before   int64
	Limit    int
}

func (s *Store) auditQuery(db *gorm.DB, f AuditFilter) *gorm.DB {
	q := db.Table("audit_log").Select("id, at, coalesce(actor_id, 0) AS actor_id, actor, ip, kind, object, detail")
	if a := strings.TrimSpace(f.Actor); a != "" {
		q = q.Where("actor LIKE ? ESCAPE '\\'", "%"+escapeLike(a)+"%")
	}
	if k := strings.TrimSpace(f.Kind); k != "" {
		if strings.HasSuffix(k, ".") {
			// A family is a range of the kind index: "user." ≤ kind < "user/".
			q = q.Where("kind >= ? AND kind < ?", k, strings.TrimSuffix(k, ".")+"/")
		} else {
			q = q.Where("kind = ?", k)
		}
	}
	if !f.From.IsZero() {
		q = q.Where("at >= ?", Ms(f.From))
	}
	if !f.Until.IsZero() {
		q = q.Where("at < ?", Ms(f.Until))
	}
	if f.Before > 0 {
		q = q.Where("(at, id) < (?, ?)", f.BeforeAt, f.Before)
	}
	// (at, id) follows the indexes on (at) and (kind, at), whose last
	// column is the row ID, so a page is read without sorting the log.
	return q.Order("at DESC, id DESC")
}

// AuditLog lists audit rows, newest first, a page at a time.
func (s *Store) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	var out []AuditEntry
	err := s.auditQuery(s.r(ctx), f).Limit(f.Limit).Scan(&out).Error
	return out, err
}

// EachAudit calls fn for every row the filter selects, newest first, reading
// the rows one at a time so an export never holds the whole log in memory.
func (s *Store) EachAudit(ctx context.Context, f AuditFilter, fn func(*AuditEntry) error) error {
	db := s.r(ctx)
	rows, err := s.auditQuery(db, f).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e AuditEntry
		if err := db.ScanRows(rows, &e); err != nil {
			return err
		}
		if err := fn(&e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// AuditKinds lists the kinds the log holds, for the filter.
func (s *Store) AuditKinds(ctx context.Context) ([]string, error) {
	var kinds []string
	err := s.r(ctx).Raw(`SELECT DISTINCT kind FROM audit_log ORDER BY kind`).Scan(&kinds).Error
	return kinds, err
}
