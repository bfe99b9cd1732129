package models

import (
	"context"
	"database/sql"
	"strings"

	"gorm.io/gorm"
)

// queryRaw runs a query on db's own connection — the read pool, or the
// writer's transaction — and calls scan for each row. It bypasses GORM's
// callback chain and reflection, which on the hottest queries (the claim
// row, its lines, the list page, the session) cost more than SQLite itself.
// Arguments are passed as they are: no "IN ?" expansion here.
func queryRaw(db *gorm.DB, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := db.Statement.ConnPool.QueryContext(dbContext(db), query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// claimSelect is the claim row with what its pages show from other tables,
// in the order scanClaim reads it.
const claimSelect = `SELECT c.id, c.organisation_id, c.location_id, c.creator_id, c.program_id, c.activity_id, c.tenant_id,
	c.domain, c.name, c.customer_contact_name, c.customer_contact_title, c.customer_contact_email, c.partner_contact_name,
	c.partner_contact_email, c.status, c.reason, c.note, c.info_reasons, c.version, c.created_at, c.updated_at, c.status_at,
	c.submission_requested_at, c.submitted_at, c.review_due_at, c.info_due_at, c.consent_due_at, c.dispute_until,
	c.official_at, c.ended_at, c.disputed, c.customer_mail_failed, c.customer_decision, c.customer_decided_by,
	c.customer_decided_at, c.key_shared, o.name, o.language, o.disabled, l.mpn_id, p.name, p.solution_area, a.name, a.earns_incentive,
	u.email, u.name, t.name`

func scanClaim(rows *sql.Rows, c *Claim) error {
	return rows.Scan(&c.ID, &c.OrganisationID, &c.LocationID, &c.CreatorID, &c.ProgramID, &c.ActivityID, &c.TenantID,
		&c.Domain, &c.Name, &c.CustomerContactName, &c.CustomerContactTitle, &c.CustomerContactEmail, &c.PartnerContactName,
		&c.PartnerContactEmail, &c.Status, &c.Reason, &c.Note, &c.InfoReasons, &c.Version, &c.CreatedAt, &c.UpdatedAt, &c.StatusAt,
		&c.SubmissionRequestedAt, &c.SubmittedAt, &c.ReviewDueAt, &c.InfoDueAt, &c.ConsentDueAt, &c.DisputeUntil,
		&c.OfficialAt, &c.EndedAt, &c.Disputed, &c.CustomerMailFailed, &c.CustomerDecision, &c.CustomerDecidedBy,
		&c.CustomerDecidedAt, &c.KeyShared, &c.OrgName, &c.OrgLanguage, &c.OrgDisabled, &c.MPNID, &c.ProgramName, &c.SolutionArea,
		&c.ActivityName, &c.EarnsIncentive, &c.CreatorEmail, &c.CreatorName, &c.TenantName)
}

// dbContext is the context a GORM handle carries (Background when none).
func dbContext(db *gorm.DB) context.Context {
	if ctx := db.Statement.Context; ctx != nil {
		return ctx
	}
	return context.Background()
}

// placeholders returns "?, ?, …" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// insertID runs an INSERT on db's connection and returns the new row's ID
// from the statement's own result, without a second query.
func insertID(db *gorm.DB, query string, args ...any) (int64, error) {
	res, err := db.Statement.ConnPool.ExecContext(dbContext(db), query, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// execRaw runs a statement on db's connection without GORM's statement
// building (no "IN ?" expansion), returning the rows it changed.
func execRaw(db *gorm.DB, query string, args ...any) (int64, error) {
	res, err := db.Statement.ConnPool.ExecContext(dbContext(db), query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
