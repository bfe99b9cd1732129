package models

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// Status is a claim's (or a line's) state. The display names are in the
// catalogue under status.<value>.
type Status string

// The claim statuses of SPEC §4.2.
const (
	StatusEditing        Status = "editing"
	StatusSubmitted      Status = "submitted"
	StatusUnderReview    Status = "under_review"
	StatusActionRequired Status = "action_required"
	StatusConsent        Status = "consent" // "Approved: consent period"
	StatusOfficial       Status = "official"
	StatusRejected       Status = "rejected"
	StatusDisputed       Status = "disputed"
	StatusWithdrawn      Status = "withdrawn"
	StatusEnded          Status = "ended"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{StatusEditing, StatusSubmitted, StatusUnderReview, StatusActionRequired, StatusConsent,
	StatusOfficial, StatusRejected, StatusDisputed, StatusWithdrawn, StatusEnded}

// Valid reports whether s is a status.
func (s Status) Valid() bool {
	for _, x := range Statuses {
		if s == x {
			return true
		}
	}
	return false
}

// Open reports whether a line in this state holds its key (SPEC §4.3).
func (s Status) Open() bool {
	switch s {
	case StatusEditing, StatusSubmitted, StatusUnderReview, StatusActionRequired, StatusDisputed, StatusConsent, StatusOfficial:
		return true
	}
	return false
}

// openStatesSQL is the same set for SQL (it must match the partial index).
const openStatesSQL = `('editing','submitted','under_review','action_required','disputed','consent','official')`

// reviewDueStatesSQL are the states a review is due in (the queue's
// "overdue"; it must match the partial index claims_review_due).
const reviewDueStatesSQL = `('submitted','under_review','disputed')`

// competingStatesSQL are the states in which another organisation's line
// makes a claim competing: drafts are nobody's business yet.
const competingStatesSQL = `('submitted','under_review','action_required','disputed','consent','official')`

// Reasons shown after a dash (catalogue reason.<code>).
const (
	ReasonInsufficientPoE   = "insufficient_poe"
	ReasonMissingConsentPoE = "missing_consent_poe"
	ReasonMissingProducts   = "missing_products"
	ReasonPoEUnavailable    = "poe_unavailable"
	ReasonPartnerRequest    = "partner_request"
	ReasonCustomerOptedOut  = "customer_opted_out"
	ReasonNoPartnerResponse = "no_partner_response"
	ReasonDisputeUpheld     = "dispute_upheld"
	ReasonCustomerEnded     = "customer_ended"
	ReasonSuperseded        = "superseded"
	ReasonSubscriptionEnded = "subscription_ended"
)

// RejectReasons are the reasons a reviewer may choose.
var RejectReasons = []string{ReasonInsufficientPoE, ReasonMissingConsentPoE, ReasonMissingProducts, ReasonPoEUnavailable, ReasonPartnerRequest}

// InfoReasons are the reasons of an information request.
var InfoReasons = []string{"missing_all_poe", "missing_ack", "old_dates", "missing_service", "missing_products"}

// Claim is a customer-association claim.
type Claim struct {
	ID                    int64
	OrganisationID        int64
	LocationID            int64
	CreatorID             int64
	ProgramID             int64
	ActivityID            int64
	TenantID              string
	Domain                string
	Name                  string
	CustomerContactName   string
	CustomerContactTitle  string
	CustomerContactEmail  string
	PartnerContactName    string
	PartnerContactEmail   string
	Status                Status
	Reason                string
	Note                  string
	InfoReasons           string
	Version               int64
	CreatedAt             Time
	UpdatedAt             Time
	StatusAt              Time
	SubmissionRequestedAt Time
	SubmittedAt           Time
	ReviewDueAt           Time
	InfoDueAt             Time
	ConsentDueAt          Time
	DisputeUntil          Time
	OfficialAt            Time
	EndedAt               Time
	Disputed              bool
	CustomerMailFailed    bool
	CustomerDecision      string
	CustomerDecidedBy     string
	CustomerDecidedAt     Time
	// KeyShared: another organisation has (or had) a line on one of its keys.
	KeyShared bool

	// Joined for display.
	OrgName        string
	OrgLanguage    string
	OrgDisabled    bool
	MPNID          string `gorm:"column:mpn_id"`
	ProgramName    string
	SolutionArea   string
	ActivityName   string
	EarnsIncentive bool
	CreatorEmail   string
	CreatorName    string
	TenantName     string
}

// ClaimNumber formats a claim ID the way people quote it: CA-000123.
func ClaimNumber(id int64) string { return fmt.Sprintf("CA-%06d", id) }

// Number is the claim's number.
func (c *Claim) Number() string { return ClaimNumber(c.ID) }

// ParseClaimNumber accepts "CA-000123", "ca-123" or "123".
func ParseClaimNumber(s string) (int64, bool) {
	s = strings.TrimSpace(strings.ToUpper(s))
	s = strings.TrimPrefix(s, "CA-")
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

// InfoReasonList splits the stored information-request reasons.
func (c *Claim) InfoReasonList() []string {
	if c.InfoReasons == "" {
		return nil
	}
	return strings.Split(c.InfoReasons, ",")
}

// Line is one workload or subscription of a claim, with its own state.
type Line struct {
	ID             int64
	ClaimID        int64
	OrganisationID int64
	ProductID      int64
	ProductName    string
	ProductRetired bool
	SubscriptionID string
	Key            string
	State          Status
	EndReason      string
	EndedAt        Time
	// Competing is derived: another organisation has a line on this key in
	// a state past Editing. Never stored.
	Competing bool
}

// lineKey is the key that one partner may hold per tenant: the workload for
// Microsoft 365, the subscription for Business Applications.
func lineKey(tenantID string, productID int64, subscriptionID string) string {
	if subscriptionID != "" {
		return tenantID + "|s:" + subscriptionID
	}
	return tenantID + "|w:" + strconv.FormatInt(productID, 10)
}

// Viewer is who looks at claims; visibility is part of every query.
type Viewer struct {
	Role      Role
	UserID    int64
	OrgID     int64
	Locations []int64 // scope of an incentives user
}

// ViewerOf returns the viewer for a signed-in person.
func ViewerOf(p *Principal) Viewer {
	return Viewer{Role: p.Role, UserID: p.ID, OrgID: p.OrganisationID, Locations: p.Locations}
}

// visibility returns the SQL condition (on alias c) limiting claims to what
// the viewer may see: the organisation (and scope) for partners, submitted
// claims for reviewers, everything for operators, nothing otherwise. The
// constant conditions are written as comparisons: GORM's Where reads a bare
// "1" or "0" as a primary-key value, not as SQL.
func (v Viewer) visibility() (string, []any) {
	switch v.Role {
	case RoleAdmin:
		return "c.organisation_id = ?", []any{v.OrgID}
	case RoleUser:
		if len(v.Locations) == 0 {
			return "1 = 0", nil
		}
		// The list is expanded here, so the condition works in raw SQL too.
		args := []any{v.OrgID}
		for _, l := range v.Locations {
			args = append(args, l)
		}
		return "c.organisation_id = ? AND c.location_id IN (" + placeholders(len(v.Locations)) + ")", args
	case RoleReviewer:
		return "c.submitted_at IS NOT NULL", nil
	case RoleOperator:
		return "1 = 1", nil
	}
	return "1 = 0", nil
}

const claimJoins = ` FROM claims c
	JOIN organisations o ON o.id = c.organisation_id
	JOIN locations l ON l.id = c.location_id
	JOIN programs p ON p.id = c.program_id
	JOIN activities a ON a.id = c.activity_id
	JOIN users u ON u.id = c.creator_id
	JOIN tenants t ON t.id = c.tenant_id`

// ClaimFor returns a claim the viewer may see, with its lines; anything else
// is ErrNotFound, never a hint that it exists.
func (s *Store) ClaimFor(ctx context.Context, v Viewer, id int64) (*Claim, []Line, error) {
	return s.claimFor(s.r(ctx), v, id)
}

func (s *Store) claimFor(db *gorm.DB, v Viewer, id int64) (*Claim, []Line, error) {
	return loadClaim(db, v, id, true)
}

// engineClaim loads a claim for a change: its lines without the competing
// flag, which no rule of the engine reads.
func (s *Store) engineClaim(db *gorm.DB, v Viewer, id int64) (*Claim, []Line, error) {
	return loadClaim(db, v, id, false)
}

func loadClaim(db *gorm.DB, v Viewer, id int64, competing bool) (*Claim, []Line, error) {
	c, err := claimRow(db, v, id)
	if err != nil {
		return nil, nil, err
	}
	lines, err := claimLines(db, id, competing)
	if err != nil {
		return nil, nil, err
	}
	return c, lines, nil
}

// claimRow reads one claim the viewer may see (ErrNotFound otherwise).
func claimRow(db *gorm.DB, v Viewer, id int64) (*Claim, error) {
	cond, args := v.visibility()
	var c Claim
	err := queryRaw(db, claimSelect+claimJoins+` WHERE c.id = ? AND `+cond, append([]any{id}, args...),
		func(r *sql.Rows) error { return scanClaim(r, &c) })
	if err != nil {
		return nil, err
	}
	if c.ID == 0 {
		return nil, ErrNotFound
	}
	return &c, nil
}

// claimLines loads a claim's lines; with competing, each line's derived
// competing flag too (the engine does not need it).
func claimLines(db *gorm.DB, claimID int64, competing bool) ([]Line, error) {
	comp := "0"
	if competing {
		comp = `EXISTS (SELECT 1 FROM claim_lines x WHERE x.key = cl.key AND x.organisation_id <> cl.organisation_id
			AND x.state IN ` + competingStatesSQL + `)`
	}
	var lines []Line
	err := queryRaw(db, `SELECT cl.id, cl.claim_id, cl.organisation_id, cl.product_id, p.name, p.retired,
		coalesce(cl.subscription_id, ''), cl.key, cl.state, cl.end_reason, cl.ended_at, `+comp+`
		FROM claim_lines cl JOIN products p ON p.id = cl.product_id
		WHERE cl.claim_id = ? ORDER BY p.name, cl.subscription_id, cl.id`, []any{claimID}, func(r *sql.Rows) error {
		var l Line
		if err := r.Scan(&l.ID, &l.ClaimID, &l.OrganisationID, &l.ProductID, &l.ProductName, &l.ProductRetired,
			&l.SubscriptionID, &l.Key, &l.State, &l.EndReason, &l.EndedAt, &l.Competing); err != nil {
			return err
		}
		lines = append(lines, l)
		return nil
	})
	return lines, err
}

// Competing reports whether any open line of the claim is competing.
func Competing(lines []Line) bool {
	for _, l := range lines {
		if l.Competing && l.State.Open() {
			return true
		}
	}
	return false
}

// ClaimFile is a proof-of-execution file's metadata.
type ClaimFile struct {
	ID          int64
	ClaimID     int64
	UploaderID  int64
	Uploader    string
	Name        string
	ContentType string
	Size        int64
	CreatedAt   Time
}

// ClaimFiles lists a claim's files (the caller has checked visibility).
func (s *Store) ClaimFiles(ctx context.Context, claimID int64) ([]ClaimFile, error) {
	return claimFiles(s.r(ctx), claimID)
}

func claimFiles(db *gorm.DB, claimID int64) ([]ClaimFile, error) {
	var fs []ClaimFile
	err := db.Raw(`SELECT f.id, f.claim_id, coalesce(f.uploader_id, 0) AS uploader_id, coalesce(u.email, '') AS uploader,
		f.name, f.content_type, f.size, f.created_at
		FROM claim_files f LEFT JOIN users u ON u.id = f.uploader_id WHERE f.claim_id = ? ORDER BY f.id`, claimID).Scan(&fs).Error
	return fs, err
}

// HistoryEntry is one row of a claim's history.
type HistoryEntry struct {
	ID         int64
	ClaimID    int64
	At         Time
	ActorID    int64
	Actor      string
	ActorRole  string
	IP         string
	Kind       string
	FromStatus Status
	ToStatus   Status
	Detail     string
}

// ClaimHistory lists a claim's history, oldest first.
func (s *Store) ClaimHistory(ctx context.Context, claimID int64) ([]HistoryEntry, error) {
	var hs []HistoryEntry
	err := s.r(ctx).Raw(`SELECT id, claim_id, at, coalesce(actor_id, 0) AS actor_id, actor, actor_role, ip, kind, from_status, to_status, detail
		FROM claim_history WHERE claim_id = ? ORDER BY id`, claimID).Scan(&hs).Error
	return hs, err
}

// ClaimEmails lists the outbox messages of a claim with their delivery state.
func (s *Store) ClaimEmails(ctx context.Context, claimID int64) ([]OutboxMessage, error) {
	var ms []OutboxMessage
	if err := s.r(ctx).Raw(`SELECT `+mailLogColumns+` FROM outbox WHERE claim_id = ? ORDER BY id`, claimID).Scan(&ms).Error; err != nil {
		return nil, err
	}
	s.renderSubjects(ms)
	return ms, nil
}

// CompetingClaims returns the other organisations' claims that hold or seek
// one of this claim's keys (for the reviewer's side-by-side view).
func (s *Store) CompetingClaims(ctx context.Context, claimID int64) ([]int64, error) {
	var ids []int64
	err := s.r(ctx).Raw(`SELECT DISTINCT x.claim_id FROM claim_lines me JOIN claim_lines x ON x.key = me.key
		WHERE me.claim_id = ? AND x.organisation_id <> me.organisation_id AND x.state IN `+competingStatesSQL+`
		ORDER BY x.claim_id LIMIT 10`, claimID).Scan(&ids).Error
	return ids, err
}
