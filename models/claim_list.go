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

const competingSQL = `EXISTS (SELECT 1 FROM claim_lines me JOIN claim_lines x ON x.key = me.key
	AND x.organisation_id <> me.organisation_id AND x.state IN ` + competingStatesSQL + `
	WHERE me.claim_id = c.id AND me.state IN ` + openStatesSQL + `)`

const listColumns = `c.id, c.name, c.domain, c.tenant_id, c.status, c.reason, c.program_id, c.location_id,
	c.created_at, c.updated_at, c.next_deadline, c.submission_requested_at, ` + competingSQL + ` AS competing`

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

// listQuery builds the filtered query (without order and limit); the list
// and the CSV export share it, so the export holds exactly the list's rows.
func (s *Store) listQuery(db *gorm.DB, v Viewer, f ListFilter, now time.Time) *gorm.DB {
	cond, args := v.visibility()
	q := db.Table("claims c").Where(cond, args...)
	if f.Status.Valid() {
		q = q.Where("c.status = ?", f.Status)
	}
	if f.ProgramID > 0 {
		q = q.Where("c.program_id = ?", f.ProgramID)
	}
	if f.LocationID > 0 {
		q = q.Where("c.location_id = ?", f.LocationID)
	}
	if f.Competing {
		q = q.Where(competingSQL)
	}
	if cond, args, _ := searchCondition(f.Search); cond != "" {
		q = q.Where(cond, args...)
	}
	switch f.View {
	case "requested":
		q = q.Where("c.status = 'editing' AND c.submission_requested_at IS NOT NULL")
	case "waiting":
		if v.Role == RoleUser {
			q = q.Where("((c.status = 'editing' AND c.submission_requested_at IS NULL) OR c.status = 'action_required')")
		} else {
			q = q.Where("c.status IN ('editing','action_required')")
		}
	case "due_week":
		q = q.Where("c.next_deadline >= ? AND c.next_deadline < ?", Ms(now), Ms(now.Add(7*24*time.Hour)))
	}
	if f.Sort == "deadline" {
		q = q.Where("c.next_deadline IS NOT NULL")
	}
	return q
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
	q := s.listQuery(s.r(ctx), v, f, s.Now()).Select(listColumns)
	if val, id, ok := parseCursor(f.After); ok {
		op := "<"
		if asc {
			op = ">"
		}
		q = q.Where(fmt.Sprintf("(%s, c.id) %s (?, ?)", col, op), val, id)
	}
	dir := "DESC"
	if asc {
		dir = "ASC"
	}
	// Rows are scanned by hand: GORM's reflection cost more than the query.
	var rows []ListRow
	rs, err := q.Order(col + " " + dir + ", c.id " + dir).Limit(f.Limit + 1).Rows()
	if err != nil {
		return ListPage{}, err
	}
	defer rs.Close()
	for rs.Next() {
		var r ListRow
		if err := scanListRow(rs, &r); err != nil {
			return ListPage{}, err
		}
		rows = append(rows, r)
	}
	if err := rs.Err(); err != nil {
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

// ExportClaims streams every claim of the filtered list to fn, in the list's
// order, one row at a time: memory does not grow with the number of rows.
func (s *Store) ExportClaims(ctx context.Context, v Viewer, f ListFilter, fn func(*ExportRow) error) error {
	col, asc := sortSpec(f.Sort)
	dir := "DESC"
	if asc {
		dir = "ASC"
	}
	f.After = ""
	q := s.listQuery(s.r(ctx), v, f, s.Now()).
		Select(listColumns + `, l.mpn_id, t.name AS tenant_name, c.customer_contact_name, c.customer_contact_email`).
		Joins("JOIN locations l ON l.id = c.location_id").Joins("JOIN tenants t ON t.id = c.tenant_id").
		Order(col + " " + dir + ", c.id " + dir)
	rows, err := q.Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	var r ExportRow
	for rows.Next() {
		r = ExportRow{}
		if err := scanExport(rows, &r); err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rows.Err()
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
	if err := s.listQuery(db, v, ListFilter{View: "due_week"}, now).Select("count(*)").Scan(&d.DueWeek).Error; err != nil {
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

// Number is the row's claim number.
func (r ListRow) Number() string { return ClaimNumber(r.ID) }
