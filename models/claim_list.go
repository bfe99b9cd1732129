package models

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// ListFilter selects and orders the claim list.
type ListFilter struct {
	Status     Status
	ProgramID  int64
	LocationID int64
	Competing  bool
	Search     string // claim number, customer domain (prefix) or tenant ID
	Sort       string // updated (default), created, deadline
	// View is a dashboard shortcut: requested (drafts users asked to submit),
	// waiting (waiting on the viewer), due_week (a deadline in the next 7 days).
	View  string
	After string // keyset cursor from the previous page
	Limit int
}

// Sorts the list offers.
var Sorts = []string{"updated", "created", "deadline"}

// ListRow is one row of the claim list: only the columns the page shows.
type ListRow struct {
	ID                    int64
	Name                  string
	Domain                string
	TenantID              string
	Status                Status
	Reason                string
	ProgramID             int64
	LocationID            int64
	CreatedAt             Time
	UpdatedAt             Time
	NextDeadline          Time
	SubmissionRequestedAt Time
	Competing             bool
}

// ListPage is one page of claims and the cursor of the next.
type ListPage struct {
	Rows []ListRow
	Next string
}

// competingSQL is true for a claim with an open line on a key where another
// organisation's line is in a competing state. The lines are looked at only
// when the claim shares a key at all (key_shared, kept by a trigger): CASE
// short-circuits, so the other 99 % of claims cost nothing extra.
const competingSQL = `CASE WHEN c.key_shared THEN EXISTS (SELECT 1 FROM claim_lines me JOIN claim_lines x ON x.key = me.key
	AND x.organisation_id <> me.organisation_id AND x.state IN ` + competingStatesSQL + `
	WHERE me.claim_id = c.id AND me.state IN ` + openStatesSQL + `) ELSE 0 END`

// nextDeadlineSQL is the generated column next_deadline (migration 4),
// spelt out: the list reads it from the columns it is made of, which the
// list's index holds (migration 16), where c.next_deadline would fetch the
// table row. TestListDeadlineEveryStatus keeps the two equal.
const nextDeadlineSQL = `CASE WHEN c.status = 'consent' THEN c.consent_due_at
	WHEN c.status = 'action_required' THEN c.info_due_at
	WHEN c.status = 'rejected' AND c.disputed = 0 THEN c.dispute_until END`

const listColumns = `c.id, c.name, c.domain, c.tenant_id, c.status, c.reason, c.program_id, c.location_id,
	c.created_at, c.updated_at, ` + nextDeadlineSQL + `, c.submission_requested_at, ` + competingSQL + ` AS competing`

// sortSpec is the column and direction of a sort.
func sortSpec(sort string) (col string, asc bool) {
	switch sort {
	case "created":
		return "c.created_at", false
	case "deadline":
		return "c.next_deadline", true
	}
	return "c.updated_at", false
}

// listWhere is the filtered list's condition (without order and limit) and
// its arguments; the list, the CSV export and the dashboard share it, so
// the export holds exactly the list's rows. It is plain SQL: building the
// query through GORM cost the list page more than SQLite's work on it.
func listWhere(v Viewer, f ListFilter, now time.Time) (string, []any) {
	cond, args := v.visibility()
	var b strings.Builder
	b.WriteString("(" + cond + ")")
	and := func(c string, a ...any) {
		b.WriteString(" AND (" + c + ")")
		args = append(args, a...)
	}
	if f.Status.Valid() {
		and("c.status = ?", f.Status)
	}
	if f.ProgramID > 0 {
		and("c.program_id = ?", f.ProgramID)
	}
	if f.LocationID > 0 {
		and("c.location_id = ?", f.LocationID)
	}
	if f.Competing {
		// key_shared stated on its own, so the planner may use its partial index.
		and("c.key_shared = 1 AND " + competingSQL)
	}
	if cond, a, _ := searchCondition(f.Search); cond != "" {
		and(cond, a...)
	}
	switch f.View {
	case "requested":
		and("c.status = 'editing' AND c.submission_requested_at IS NOT NULL")
	case "waiting":
		if v.Role == RoleUser {
			and("(c.status = 'editing' AND c.submission_requested_at IS NULL) OR c.status = 'action_required'")
		} else {
			and("c.status IN ('editing','action_required')")
		}
	case "due_week":
		and("c.next_deadline >= ? AND c.next_deadline < ?", Ms(now), Ms(now.Add(7*24*time.Hour)))
	}
	if f.Sort == "deadline" {
		and("c.next_deadline IS NOT NULL")
	}
	return b.String(), args
}

// searchCondition reads a search term as a claim number, a tenant ID or the
// start of a customer domain, and names the index that serves it ("" for
// the primary key). The list and the review queue search alike.
func searchCondition(term string) (cond string, args []any, index string) {
	term = strings.TrimSpace(term)
	if term == "" {
		return "", nil, ""
	}
	if id, ok := ParseClaimNumber(term); ok {
		return "c.id = ?", []any{id}, ""
	}
	if g, ok := NormalizeGUID(term); ok {
		return "c.tenant_id = ?", []any{g}, "claims_tenant"
	}
	// A prefix range, so the domain index serves it.
	d := strings.TrimSuffix(strings.ToLower(term), ".")
	return "c.domain >= ? AND c.domain < ?", []any{d, d + "\uffff"}, "claims_domain"
}

// ListClaims returns one page of the claims the viewer may see, with keyset
// pagination: the page after a cursor is found through the index, so a deep
// page costs what the first does.
func (s *Store) ListClaims(ctx context.Context, v Viewer, f ListFilter) (ListPage, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	col, asc := sortSpec(f.Sort)
	if v.Role == RoleOperator && f.Sort == "" {
		// All claims of the platform, newest first by number: the primary key
		// orders them without an index of its own.
		col = "c.id"
	}
	where, args := listWhere(v, f, s.Now())
	if val, id, ok := parseCursor(f.After); ok {
		op := "<"
		if asc {
			op = ">"
		}
		where += fmt.Sprintf(" AND (%s, c.id) %s (?, ?)", col, op)
		args = append(args, val, id)
	}
	dir := "DESC"
	if asc {
		dir = "ASC"
	}
	rows := make([]ListRow, 0, f.Limit+1)
	err := queryRaw(s.r(ctx), `SELECT `+listColumns+` FROM claims c WHERE `+where+
		` ORDER BY `+col+` `+dir+`, c.id `+dir+` LIMIT ?`, append(args, f.Limit+1), func(rs *sql.Rows) error {
		rows = append(rows, ListRow{})
		return scanListRow(rs, &rows[len(rows)-1])
	})
	if err != nil {
		return ListPage{}, err
	}
	page := ListPage{Rows: rows}
	if len(rows) > f.Limit {
		page.Rows = rows[:f.Limit]
		last := page.Rows[f.Limit-1]
		sort := f.Sort
		if col == "c.id" {
			sort = "id"
		}
		page.Next = cursorOf(last, sort)
	}
	return page, nil
}

func cursorOf(r ListRow, sort string) string {
	if sort == "id" {
		return strconv.FormatInt(r.ID, 10) + "." + strconv.FormatInt(r.ID, 10)
	}
	var t Time
	switch sort {
	case "created":
		t = r.CreatedAt
	case "deadline":
		t = r.NextDeadline
	default:
		t = r.UpdatedAt
	}
	return strconv.FormatInt(t.UnixMilli(), 10) + "." + strconv.FormatInt(r.ID, 10)
}

func parseCursor(s string) (int64, int64, bool) {
	a, b, ok := strings.Cut(s, ".")
	if !ok {
		return 0, 0, false
	}
	v, err1 := strconv.ParseInt(a, 10, 64)
	id, err2 := strconv.ParseInt(b, 10, 64)
	return v, id, err1 == nil && err2 == nil
}

// ExportRow is one claim of the CSV export.
type ExportRow struct {
	ListRow
	MPNID                string `gorm:"column:mpn_id"`
	TenantName           string
	CustomerContactName  string
	CustomerContactEmail string
}

// exportBatchRows is how many rows the export reads ahead at a time.
const exportBatchRows = 256

// ExportClaims streams every claim of the filtered list to fn, in the list's
// order. Reading and the caller's formatting overlap on two cores: a
// goroutine scans rows into small batches while fn consumes the previous
// ones. Three batches circulate, so memory does not grow with the number of
// rows. Unfiltered, the list's index holds every column read (migration 16),
// so SQLite walks it in order and looks up only the location and tenant.
func (s *Store) ExportClaims(ctx context.Context, v Viewer, f ListFilter, fn func(*ExportRow) error) error {
	col, asc := sortSpec(f.Sort)
	dir := "DESC"
	if asc {
		dir = "ASC"
	}
	where, args := listWhere(v, f, s.Now())
	rows, err := s.db.bulk.QueryContext(ctx, `SELECT `+listColumns+`, l.mpn_id, coalesce(t.name, ''), c.customer_contact_name,
		c.customer_contact_email FROM claims c JOIN locations l ON l.id = c.location_id LEFT JOIN tenants t ON t.id = c.tenant_id
		WHERE `+where+` ORDER BY `+col+` `+dir+`, c.id `+dir, args...)
	if err != nil {
		return err
	}
	const batches = 3
	free := make(chan []ExportRow, batches)
	full := make(chan []ExportRow, batches) // never blocks: it can hold every batch
	for range batches {
		free <- make([]ExportRow, exportBatchRows)
	}
	stop := make(chan struct{})
	var scanErr error
	go func() {
		defer close(full)
		defer rows.Close()
		for {
			var b []ExportRow
			select {
			case b = <-free:
			case <-stop:
				return
			}
			n := 0
			for n < len(b) && rows.Next() {
				b[n] = ExportRow{}
				if scanErr = scanExport(rows, &b[n]); scanErr != nil {
					return
				}
				n++
			}
			if n > 0 {
				full <- b[:n]
			}
			if n < len(b) {
				scanErr = rows.Err()
				return
			}
		}
	}()
	var fnErr error
	for b := range full {
		if fnErr != nil {
			continue // draining until the scanner has stopped
		}
		for i := range b {
			if fnErr = fn(&b[i]); fnErr != nil {
				close(stop)
				break
			}
		}
		if fnErr == nil {
			free <- b[:cap(b)]
		}
	}
	// full is closed: the scanner has returned, rows are closed.
	if fnErr != nil {
		return fnErr
	}
	return scanErr
}

func scanListRow(rows *sql.Rows, r *ListRow) error {
	return rows.Scan(&r.ID, &r.Name, &r.Domain, &r.TenantID, &r.Status, &r.Reason, &r.ProgramID, &r.LocationID,
		&r.CreatedAt, &r.UpdatedAt, &r.NextDeadline, &r.SubmissionRequestedAt, &r.Competing)
}

func scanExport(rows *sql.Rows, r *ExportRow) error {
	return rows.Scan(&r.ID, &r.Name, &r.Domain, &r.TenantID, &r.Status, &r.Reason, &r.ProgramID, &r.LocationID,
		&r.CreatedAt, &r.UpdatedAt, &r.NextDeadline, &r.SubmissionRequestedAt, &r.Competing,
		&r.MPNID, &r.TenantName, &r.CustomerContactName, &r.CustomerContactEmail)
}

// Dashboard is what a partner's home page counts.
type Dashboard struct {
	ByStatus  map[Status]int64
	Requested int64 // drafts users asked the admin to submit
	Waiting   int64 // claims waiting on the viewer
	DueWeek   int64 // claims with a deadline in the next 7 days
	Total     int64
}

// PartnerDashboard counts the viewer's claims.
func (s *Store) PartnerDashboard(ctx context.Context, v Viewer) (*Dashboard, error) {
	now := s.Now()
	d := &Dashboard{ByStatus: map[Status]int64{}}
	var byStatus []struct {
		Status Status
		N      int64
	}
	db := s.r(ctx)
	// Counts by status come from the trigger-kept claim_counts table.
	locs := db.Table("locations").Select("id").Where("organisation_id = ?", v.OrgID)
	if v.Role == RoleUser {
		locs = locs.Where("id IN ?", append(v.Locations, 0))
	}
	if err := db.Table("claim_counts").Select("status, sum(n) AS n").Where("location_id IN (?)", locs).
		Group("status").Scan(&byStatus).Error; err != nil {
		return nil, err
	}
	for _, b := range byStatus {
		d.ByStatus[b.Status] = b.N
		d.Total += b.N
	}
	// Drafts users asked to submit: counted in their own partial index (the
	// planner would otherwise read every draft of the organisation).
	requested := db.Table("claims c INDEXED BY claims_org_requested_drafts").
		Where("c.organisation_id = ? AND c.status = 'editing' AND c.submission_requested_at IS NOT NULL", v.OrgID)
	if v.Role == RoleUser {
		requested = requested.Where("c.location_id IN ?", append(v.Locations, 0))
	}
	if err := requested.Select("count(*)").Scan(&d.Requested).Error; err != nil {
		return nil, err
	}
	var err error
	if d.DueWeek, err = s.dueWeek(db, v, now); err != nil {
		return nil, err
	}
	// Waiting on you (the list's "waiting" view): drafts and information
	// requests; a user's drafts already sent to the admin wait on the admin.
	d.Waiting = d.ByStatus[StatusEditing] + d.ByStatus[StatusActionRequired]
	if v.Role == RoleUser {
		d.Waiting -= d.Requested
	}
	return d, nil
}

// dueWeek counts the viewer's claims with a deadline in the next 7 days. An
// organisation has thousands (the benchmark's 20,000: 0.3 ms to count), so
// the count is kept while it is exact: until a claim's deadline changes
// (the "deadlines" cache version) or time moves a deadline into or out of
// the window. Deadlines fall on a few instants (midnights), so a count
// lasts until the next one.
func (s *Store) dueWeek(db *gorm.DB, v Viewer, now time.Time) (int64, error) {
	ver, err := cacheVersion(db, "deadlines")
	if err != nil {
		return 0, err
	}
	key := dueWeekKey(v)
	s.cache.mu.Lock()
	e, ok := s.cache.dueWeek[key]
	s.cache.mu.Unlock()
	if ok && e.fresh(ver, now) {
		return e.n, nil
	}
	from, to := Ms(now), Ms(now.Add(7*24*time.Hour))
	where, args := listWhere(v, ListFilter{View: "due_week"}, now)
	var n int64
	// The earliest deadline that can leave the window (the first at or after
	// now) and the first that can enter it (at or after its end), over the
	// whole organisation: for a user's scope that can only end the entry early.
	var leaves, enters sql.NullInt64
	err = queryRaw(db, `SELECT (SELECT count(*) FROM claims c WHERE `+where+`),
		(SELECT min(next_deadline) FROM claims WHERE organisation_id = ? AND next_deadline >= ?),
		(SELECT min(next_deadline) FROM claims WHERE organisation_id = ? AND next_deadline >= ?)`,
		append(args, v.OrgID, from, v.OrgID, to), func(r *sql.Rows) error { return r.Scan(&n, &leaves, &enters) })
	if err != nil {
		return 0, err
	}
	until := now.Add(8 * 24 * time.Hour)
	if leaves.Valid {
		until = minTime(until, time.UnixMilli(leaves.Int64+1))
	}
	if enters.Valid {
		until = minTime(until, time.UnixMilli(enters.Int64-(to-from)+1))
	}
	s.cache.mu.Lock()
	if s.cache.dueWeek == nil || len(s.cache.dueWeek) > 10000 {
		s.cache.dueWeek = map[string]countEntry{}
	}
	s.cache.dueWeek[key] = countEntry{n: n, v: ver, until: until}
	s.cache.mu.Unlock()
	return n, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// dueWeekKey names what a viewer's count covers: the organisation, or a
// user's locations in it.
func dueWeekKey(v Viewer) string {
	k := strconv.FormatInt(v.OrgID, 10)
	if v.Role == RoleUser {
		k += ":" + fmt.Sprint(v.Locations)
	}
	return k
}

// Number is the row's claim number.
func (r ListRow) Number() string { return ClaimNumber(r.ID) }
