package models

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// QueueFilter selects the review queue.
type QueueFilter struct {
	Status     Status // one of the queue statuses, or "" for all of them
	ProgramID  int64
	Competing  bool
	Overdue    bool
	MailFailed bool
	Search     string
	After      string // keyset cursor
	Limit      int
}

// QueueStatuses are the statuses the program works on.
var QueueStatuses = []Status{StatusSubmitted, StatusUnderReview, StatusActionRequired, StatusDisputed, StatusConsent}

// QueueRow is one row of the review queue.
type QueueRow struct {
	ID                 int64
	Name               string
	OrgName            string
	Domain             string
	Status             Status
	ProgramID          int64
	StatusAt           Time
	ReviewDueAt        Time
	CustomerMailFailed bool
	Competing          bool
}

// Overdue reports whether the program is late on this row.
func (r QueueRow) Overdue(now time.Time) bool {
	switch r.Status {
	case StatusSubmitted, StatusUnderReview, StatusDisputed:
		return !r.ReviewDueAt.IsZero() && !now.Before(r.ReviewDueAt.Time)
	}
	return false
}

// queueWhere is the queue's FROM and WHERE for a filter.
func queueWhere(f QueueFilter, now time.Time) (string, []any) {
	// Each filter has the index that serves it, named because the planner
	// otherwise prefers a skip-scan and a sort on a million rows: oldest
	// first is a walk of claims_review_queue (status, status_at) for one
	// status and of claims_queue_order (status_at) for all of them.
	index := "claims_queue_order"
	// The partial indexes' condition, stated so the planner may use them.
	where := []string{"c.status IN ('submitted','under_review','action_required','disputed','consent')"}
	var args []any
	if f.Status != "" {
		index = "claims_review_queue"
		where, args = append(where, "c.status = ?"), append(args, f.Status)
	}
	if f.ProgramID > 0 {
		where, args = append(where, "c.program_id = ?"), append(args, f.ProgramID)
	}
	if f.Competing {
		index = "claims_queue_shared"
		where = append(where, "c.key_shared = 1", competingSQL)
	}
	if f.Overdue {
		index = "claims_review_due"
		where, args = append(where, "c.status IN "+reviewDueStatesSQL+" AND c.review_due_at <= ?"), append(args, Ms(now))
	}
	if f.MailFailed {
		index = "claims_mail_failed"
		where = append(where, "c.customer_mail_failed = 1")
	}
	if cond, cargs, cindex := searchCondition(f.Search); cond != "" {
		index, where, args = cindex, append(where, cond), append(args, cargs...)
	}
	if at, id, ok := parseCursor(f.After); ok {
		where, args = append(where, "(c.status_at, c.id) > (?, ?)"), append(args, at, id)
	}
	table := "claims c"
	if index != "" {
		table += " INDEXED BY " + index
	}
	// CROSS JOIN keeps claims the outer loop.
	return table + " CROSS JOIN organisations o ON o.id = c.organisation_id WHERE " + strings.Join(where, " AND "), args
}

// ReviewQueue lists the claims the program works on, oldest first (by the
// time they entered their status), with keyset pagination. Rows are scanned
// by hand, as the claim list's are: GORM's reflection was a third of the query's cost.
func (s *Store) ReviewQueue(ctx context.Context, f QueueFilter) ([]QueueRow, string, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	from, args := queueWhere(f, s.Now())
	rows := make([]QueueRow, 0, f.Limit+1)
	err := queryRaw(s.r(ctx), `SELECT c.id, c.name, o.name, c.domain, c.status, c.program_id, c.status_at, c.review_due_at,
		c.customer_mail_failed, `+competingSQL+` FROM `+from+` ORDER BY c.status_at, c.id LIMIT ?`, append(args, f.Limit+1),
		func(rs *sql.Rows) error {
			rows = append(rows, QueueRow{})
			r := &rows[len(rows)-1]
			return rs.Scan(&r.ID, &r.Name, &r.OrgName, &r.Domain, &r.Status, &r.ProgramID, &r.StatusAt, &r.ReviewDueAt,
				&r.CustomerMailFailed, &r.Competing)
		})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		last := rows[len(rows)-1]
		next = fmt.Sprintf("%d.%d", last.StatusAt.UnixMilli(), last.ID)
	}
	return rows, next, nil
}

// QueueCounts are the counts beside each queue filter.
type QueueCounts struct {
	ByStatus   map[Status]int64
	All        int64
	Overdue    int64
	MailFailed int64
}

// ReviewQueueCounts counts the queue per status and per flag.
func (s *Store) ReviewQueueCounts(ctx context.Context) (*QueueCounts, error) {
	now := s.Now()
	db := s.r(ctx)
	qc := &QueueCounts{ByStatus: map[Status]int64{}}
	var by []struct {
		Status Status
		N      int64
	}
	if err := db.Raw(`SELECT status, n FROM claim_status_counts WHERE status IN ('submitted','under_review','action_required','disputed','consent')`).Scan(&by).Error; err != nil {
		return nil, err
	}
	for _, b := range by {
		qc.ByStatus[b.Status] = b.N
		qc.All += b.N
	}
	var err error
	if qc.Overdue, err = s.overdueCount(db, now); err != nil {
		return nil, err
	}
	if err := db.Raw(`SELECT count(*) FROM claims WHERE customer_mail_failed = 1 AND status = 'consent'`).Scan(&qc.MailFailed).Error; err != nil {
		return nil, err
	}
	return qc, nil
}

// overdueCount counts the claims whose review is overdue. The count is kept
// until a claim enters or leaves review or its due date changes (the
// "overdue" cache version, moved by triggers) or the next due date passes.
func (s *Store) overdueCount(db *gorm.DB, now time.Time) (int64, error) {
	ver, err := cacheVersion(db, "overdue")
	if err != nil {
		return 0, err
	}
	s.cache.mu.Lock()
	e := s.cache.overdue
	s.cache.mu.Unlock()
	if e.fresh(ver, now) {
		return e.n, nil
	}
	var n int64
	var next sql.NullInt64 // the first due date still ahead: the count grows then
	if err := queryRaw(db, `SELECT
		(SELECT count(*) FROM claims WHERE status IN `+reviewDueStatesSQL+` AND review_due_at <= ?),
		(SELECT min(review_due_at) FROM claims WHERE status IN `+reviewDueStatesSQL+` AND review_due_at > ?)`,
		[]any{Ms(now), Ms(now)}, func(r *sql.Rows) error { return r.Scan(&n, &next) }); err != nil {
		return 0, err
	}
	until := now.Add(24 * time.Hour)
	if next.Valid {
		until = minTime(until, time.UnixMilli(next.Int64))
	}
	s.cache.mu.Lock()
	s.cache.overdue = countEntry{n: n, v: ver, until: until}
	s.cache.mu.Unlock()
	return n, nil
}
