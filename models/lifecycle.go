package models

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Action is something that can happen to a claim.
type Action string

// The actions of SPEC §4.2. Comments and files are not transitions; they
// have their own guarded methods.
const (
	ActRequestSubmission Action = "request_submission"
	ActSubmit            Action = "submit"
	ActStartReview       Action = "start_review"
	ActRequestInfo       Action = "request_info"
	ActResubmit          Action = "resubmit"
	ActApprove           Action = "approve"
	ActReject            Action = "reject"
	ActCustomerAccept    Action = "customer_accept"
	ActCustomerOptOut    Action = "customer_opt_out"
	ActConsentExpire     Action = "consent_expire"
	ActInfoExpire        Action = "info_expire"
	ActDispute           Action = "dispute"
	ActReopen            Action = "reopen"
	ActUphold            Action = "uphold"
	ActWithdraw          Action = "withdraw"
	ActEnd               Action = "end"
	ActCustomerEnd       Action = "customer_end"
	ActDelete            Action = "delete"
	ActResendConsent     Action = "resend_consent"
)

// Engine-only roles: the customer acting through an emailed link, and the
// background worker. Neither can sign in.
const (
	RoleCustomer Role = "customer"
	RoleSystem   Role = "system"
)

// transition is one row of the lifecycle table.
type transition struct {
	from   []Status
	action Action
	roles  []Role
	to     Status // the same as from for actions that keep the state
	reason string // the reason the new state carries, if any
	// reasonFromRequest takes the reason from the request (a reviewer's rejection).
	reasonFromRequest bool
	guard             func(*applyCtx) error
	// before runs after the guard and before the state moves (supersession
	// must free the keys before the new official lines take them).
	before func(*applyCtx) error
	effect func(*applyCtx) error
	// done, for an action that keeps the state, says whether what it asks
	// for already holds (a double click is "Already done", not a repeat).
	done func(*Claim) bool
}

var (
	partnerRoles  = []Role{RoleAdmin}
	preSubmission = []Status{StatusEditing, StatusSubmitted, StatusUnderReview, StatusActionRequired}
)

// lifecycle is the whole of SPEC §4.2 as data: (state, action) → (roles,
// next state, reason, guard, effects). Apply is the only code that reads it.
var lifecycle = []transition{
	{from: []Status{StatusEditing}, action: ActRequestSubmission, roles: []Role{RoleUser}, to: StatusEditing,
		guard: guardSubmittable, effect: effRequestSubmission, done: func(c *Claim) bool { return !c.SubmissionRequestedAt.IsZero() }},
	{from: []Status{StatusEditing}, action: ActSubmit, roles: partnerRoles, to: StatusSubmitted,
		guard: guardSubmittable, effect: effSubmit},
	{from: []Status{StatusSubmitted}, action: ActStartReview, roles: []Role{RoleReviewer}, to: StatusUnderReview},
	{from: []Status{StatusUnderReview}, action: ActRequestInfo, roles: []Role{RoleReviewer}, to: StatusActionRequired,
		guard: guardInfoReasons, effect: effRequestInfo},
	{from: []Status{StatusActionRequired}, action: ActResubmit, roles: partnerRoles, to: StatusUnderReview,
		guard: guardOrgActive, effect: effResubmit},
	{from: []Status{StatusUnderReview}, action: ActApprove, roles: []Role{RoleReviewer}, to: StatusConsent,
		guard: guardApprove, effect: effApprove},
	{from: []Status{StatusUnderReview}, action: ActReject, roles: []Role{RoleReviewer}, to: StatusRejected,
		reasonFromRequest: true, guard: guardRejectReason, effect: effReject},
	{from: []Status{StatusConsent}, action: ActCustomerAccept, roles: []Role{RoleCustomer}, to: StatusOfficial,
		before: supersedeIncumbents, effect: effCustomerAccept},
	{from: []Status{StatusConsent}, action: ActCustomerOptOut, roles: []Role{RoleCustomer}, to: StatusRejected,
		reason: ReasonCustomerOptedOut, effect: effCustomerOptOut},
	{from: []Status{StatusConsent}, action: ActConsentExpire, roles: []Role{RoleSystem}, to: StatusOfficial,
		guard: guardConsentDue, before: supersedeIncumbents, effect: effConsentExpire},
	{from: []Status{StatusActionRequired}, action: ActInfoExpire, roles: []Role{RoleSystem}, to: StatusRejected,
		reason: ReasonNoPartnerResponse, guard: guardInfoDue, effect: effRejected},
	{from: []Status{StatusRejected}, action: ActDispute, roles: partnerRoles, to: StatusDisputed,
		guard: guardDispute, effect: effDispute},
	{from: []Status{StatusDisputed}, action: ActReopen, roles: []Role{RoleReviewer}, to: StatusUnderReview,
		effect: effReopen},
	{from: []Status{StatusDisputed}, action: ActUphold, roles: []Role{RoleReviewer}, to: StatusRejected,
		reason: ReasonDisputeUpheld, effect: effUphold},
	{from: preSubmission, action: ActWithdraw, roles: partnerRoles, to: StatusWithdrawn,
		reason: ReasonPartnerRequest, effect: effWithdraw},
	{from: []Status{StatusConsent, StatusOfficial}, action: ActEnd, roles: partnerRoles, to: StatusEnded,
		reason: ReasonPartnerRequest, effect: effEnd},
	{from: []Status{StatusOfficial}, action: ActCustomerEnd, roles: []Role{RoleCustomer}, to: StatusEnded,
		reason: ReasonCustomerEnded, effect: effEnd},
	{from: []Status{StatusEditing}, action: ActDelete, roles: []Role{RoleAdmin, RoleUser}, to: StatusEditing,
		guard: guardDelete, done: func(*Claim) bool { return false }},
	{from: []Status{StatusConsent}, action: ActResendConsent, roles: []Role{RoleReviewer}, to: StatusConsent,
		effect: effResendConsent},
}

// Who acts: a signed-in person, a customer through a link, or the system.
type Who struct {
	Role      Role
	UserID    int64
	OrgID     int64
	Locations []int64
	Label     string // email, "customer <email>" or "system"
	IP        string
	// LinkID is the consent link a customer acts through.
	LinkID int64
}

// WhoOf describes a signed-in person for Apply.
func WhoOf(p *Principal, ip string) Who {
	return Who{Role: p.Role, UserID: p.ID, OrgID: p.OrganisationID, Locations: p.Locations, Label: p.Email, IP: ip}
}

func (w Who) viewer() Viewer {
	switch w.Role {
	case RoleCustomer, RoleSystem:
		return Viewer{Role: RoleOperator} // bound to the claim by the link or the timer
	}
	return Viewer{Role: w.Role, UserID: w.UserID, OrgID: w.OrgID, Locations: w.Locations}
}

// Request is an action to apply.
type Request struct {
	ClaimID int64
	Action  Action
	// Version is the claim version the person saw; 0 skips the check (the
	// worker). A stale version is "Already done" when the claim is where the
	// action leads, otherwise a conflict.
	Version int64
	Reasons []string // rejection reason (one) or information-request reasons
	Note    string
	// FileIDs are files uploaded with the action (a dispute's new evidence).
	FileIDs []int64
}

// Result says what Apply did.
type Result struct {
	AlreadyDone bool
	Deleted     bool
	Status      Status
}

// Refusal is an action refused by a rule the person can act on; MsgID is
// a catalogue message.
type Refusal struct {
	MsgID string
	Data  map[string]any
	// Fields holds per-field messages when the refusal is a form check.
	Fields FieldErrors
}

func (r *Refusal) Error() string { return "refused: " + r.MsgID }

// applyCtx carries one application of an action.
type applyCtx struct {
	s     *Store
	tx    *gorm.DB
	now   time.Time
	who   Who
	req   Request
	c     *Claim
	lines []Line
	t     *transition
	// detail is written into the history row.
	detail map[string]any
	// update is the claim's UPDATE that move started and set extends, run
	// once by flush: one statement (the row and its index entries written
	// once) instead of one per effect. updateArgs are its arguments.
	update     string
	updateArgs []any
}

// Apply applies one action in its own transaction, or inside tx when the
// caller passes one (the worker applies many per transaction). Every rule
// is checked here: role, visibility, state, version, the action's guard.
func (s *Store) Apply(ctx context.Context, tx *gorm.DB, who Who, req Request) (Result, error) {
	if tx != nil {
		return s.apply(tx, who, req)
	}
	var res Result
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		res, err = s.apply(tx, who, req)
		return err
	})
	return res, err
}

// RoleMayTake reports whether any row of the table lets role take the
// action, in some state (so a page can tell "not yours" from "not now").
func RoleMayTake(role Role, a Action) bool {
	for i := range lifecycle {
		if lifecycle[i].action == a && slices.Contains(lifecycle[i].roles, role) {
			return true
		}
	}
	return false
}

// targetOf is where an action leads from a state, for "Already done".
func targetsOf(a Action) []Status {
	var out []Status
	for i := range lifecycle {
		if lifecycle[i].action == a {
			out = append(out, lifecycle[i].to)
		}
	}
	return out
}

func findTransition(from Status, a Action) *transition {
	for i := range lifecycle {
		if lifecycle[i].action == a && slices.Contains(lifecycle[i].from, from) {
			return &lifecycle[i]
		}
	}
	return nil
}

func (s *Store) apply(tx *gorm.DB, who Who, req Request) (Result, error) {
	if !RoleMayTake(who.Role, req.Action) {
		// Still 404 for a claim the person cannot see.
		if _, _, err := s.engineClaim(tx, who.viewer(), req.ClaimID); err != nil {
			return Result{}, err
		}
		return Result{}, ErrForbidden
	}
	c, lines, err := s.engineClaim(tx, who.viewer(), req.ClaimID)
	if err != nil {
		return Result{}, err
	}
	return s.applyTo(tx, who, req, c, lines)
}

// applyTo is apply on a claim already loaded in tx (the worker looks at it
// before it decides to act).
func (s *Store) applyTo(tx *gorm.DB, who Who, req Request, c *Claim, lines []Line) (Result, error) {
	now := s.Now()
	var err error
	// A deadline that has passed decides before anything else, even if the
	// worker has not run yet (SPEC §4.4).
	if who.Role != RoleSystem {
		if c, lines, err = s.catchUp(tx, c, lines, now); err != nil {
			return Result{}, err
		}
	}
	if req.Version != 0 && req.Version != c.Version {
		return s.staleOutcome(c, req)
	}
	t := findTransition(c.Status, req.Action)
	if t == nil {
		return s.staleOutcome(c, req)
	}
	if t.done != nil && t.done(c) {
		return Result{AlreadyDone: true, Status: c.Status}, nil
	}
	if !slices.Contains(t.roles, who.Role) {
		return Result{}, ErrForbidden
	}
	a := &applyCtx{s: s, tx: tx, now: now, who: who, req: req, c: c, lines: lines, t: t, detail: map[string]any{}}
	if t.guard != nil {
		if err := t.guard(a); err != nil {
			return Result{}, err
		}
	}
	// A deadline's outcome holds from the deadline itself (SPEC §4.4),
	// however late the worker or a catch-up applies it: the claim is
	// official since D, and a rejection's dispute window counts from D.
	switch req.Action {
	case ActConsentExpire:
		a.now = c.ConsentDueAt.Time
	case ActInfoExpire:
		a.now = c.InfoDueAt.Time
	}
	if req.Action == ActDelete {
		return Result{Deleted: true}, a.deleteDraft()
	}
	if t.before != nil {
		if err := t.before(a); err != nil {
			return Result{}, err
		}
	}
	reason := t.reason
	if t.reasonFromRequest {
		reason = req.Reasons[0]
	}
	from := c.Status
	if err := a.move(t.to, reason); err != nil {
		return Result{}, err
	}
	if t.effect != nil {
		if err := t.effect(a); err != nil {
			return Result{}, err
		}
	}
	if err := a.history(string(req.Action), from, t.to); err != nil {
		return Result{}, err
	}
	return Result{Status: t.to}, nil
}

// staleOutcome answers an action on a claim that is no longer where the
// person saw it: "Already done" if it is where the action leads, else 409.
func (s *Store) staleOutcome(c *Claim, req Request) (Result, error) {
	if t := findTransition(c.Status, req.Action); t != nil && t.done != nil {
		if t.done(c) {
			return Result{AlreadyDone: true, Status: c.Status}, nil
		}
		return Result{}, ErrConflict
	}
	if slices.Contains(targetsOf(req.Action), c.Status) {
		// The same state does not prove the action happened for actions that
		// keep the state; only a version the person has not seen does.
		if findTransition(c.Status, req.Action) == nil || req.Version != 0 && req.Version != c.Version {
			return Result{AlreadyDone: true, Status: c.Status}, nil
		}
	}
	return Result{}, ErrConflict
}

// catchUp applies a deadline that has passed but the worker has not yet
// processed, inside the caller's transaction.
func (s *Store) catchUp(tx *gorm.DB, c *Claim, lines []Line, now time.Time) (*Claim, []Line, error) {
	var act Action
	switch {
	case c.Status == StatusConsent && !c.ConsentDueAt.IsZero() && !now.Before(c.ConsentDueAt.Time) && !c.CustomerMailFailed:
		act = ActConsentExpire
	case c.Status == StatusActionRequired && !c.InfoDueAt.IsZero() && !now.Before(c.InfoDueAt.Time):
		act = ActInfoExpire
	default:
		return c, lines, nil
	}
	if _, err := s.apply(tx, Who{Role: RoleSystem, Label: "system"}, Request{ClaimID: c.ID, Action: act}); err != nil {
		return nil, nil, err
	}
	return s.engineClaim(tx, Viewer{Role: RoleOperator}, c.ID)
}

// move changes the claim's status on its expected version (the UPDATE runs
// at flush), and the state of its lines that have not ended.
func (a *applyCtx) move(to Status, reason string) error {
	c := a.c
	statusAt := c.StatusAt
	if to != c.Status {
		statusAt = At(a.now)
	}
	if reason == "" && to == c.Status {
		reason = c.Reason
	}
	if err := a.flush(); err != nil {
		return err
	}
	if to != c.Status {
		if _, err := execRaw(a.tx, `UPDATE claim_lines SET state = ? WHERE claim_id = ? AND state <> 'ended'`, to, c.ID); err != nil {
			if isUniqueViolation(err) {
				return a.uniqueRefusal(to)
			}
			return err
		}
	}
	// The claim's row is written by flush, with what the effects set; the
	// last two arguments are its WHERE: the claim on the version loaded.
	a.update = `UPDATE claims SET status = ?, reason = ?, version = version + 1, updated_at = ?, status_at = ?`
	a.updateArgs = []any{to, reason, Ms(a.now), statusAt, c.ID, c.Version}
	c.Version++
	c.Status, c.Reason, c.StatusAt = to, reason, statusAt
	for i := range a.lines {
		if a.lines[i].State != StatusEnded {
			a.lines[i].State = to
		}
	}
	return nil
}

// uniqueRefusal explains which of the database's key rules refused a move.
func (a *applyCtx) uniqueRefusal(to Status) error {
	switch to {
	case StatusConsent:
		return &Refusal{MsgID: "claim.err_consent_taken"}
	case StatusOfficial:
		return ErrConflict
	}
	var other int64
	_ = a.tx.Raw(`SELECT x.claim_id FROM claim_lines x JOIN claim_lines me ON me.key = x.key
		WHERE me.claim_id = ? AND x.organisation_id = me.organisation_id AND x.claim_id <> me.claim_id AND x.state IN `+openStatesSQL+` LIMIT 1`,
		a.c.ID).Scan(&other).Error
	return &Refusal{MsgID: "claim.err_same_org", Data: map[string]any{"Number": ClaimNumber(other), "ID": other}}
}

// set updates columns of the claim: as part of the move's UPDATE when one is
// pending, else at once.
func (a *applyCtx) set(sets string, args ...any) error {
	if a.update == "" {
		_, err := execRaw(a.tx, `UPDATE claims SET `+sets+` WHERE id = ?`, append(args, a.c.ID)...)
		return err
	}
	n := len(a.updateArgs) - 2 // the WHERE's two arguments stay last
	a.update += ", " + sets
	a.updateArgs = append(a.updateArgs[:n:n], append(args, a.updateArgs[n:]...)...)
	return nil
}

// flush runs the pending UPDATE of the claim on the version it was loaded
// at; a claim changed meanwhile is a conflict.
func (a *applyCtx) flush() error {
	if a.update == "" {
		return nil
	}
	n, err := execRaw(a.tx, a.update+` WHERE id = ? AND version = ?`, a.updateArgs...)
	a.update, a.updateArgs = "", nil
	if err != nil {
		return err
	}
	if n != 1 {
		return ErrConflict
	}
	return nil
}

// history appends a transition row, after the claim's pending UPDATE.
func (a *applyCtx) history(kind string, from, to Status) error {
	if err := a.flush(); err != nil {
		return err
	}
	detail := ""
	if len(a.detail) > 0 {
		b, _ := json.Marshal(a.detail)
		detail = string(b)
	}
	return addHistory(a.tx, a.c.ID, a.now, a.who, kind, from, to, detail)
}

// addHistory appends a row to the claim's history and the same event to
// the platform's audit log (who, when, from which address, what changed),
// in the caller's transaction.
func addHistory(tx *gorm.DB, claimID int64, at time.Time, who Who, kind string, from, to Status, detail string) error {
	if _, err := execRaw(tx, `INSERT INTO claim_history (claim_id, at, actor_id, actor, actor_role, ip, kind, from_status, to_status, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, claimID, Ms(at), nullID(who.UserID), who.Label, string(who.Role), who.IP,
		kind, string(from), string(to), detail); err != nil {
		return err
	}
	change := string(from)
	if to != from {
		change += " → " + string(to)
	}
	if kind == "edit" {
		change += "; " + detail // old → new of each field
	}
	_, err := execRaw(tx, `INSERT INTO audit_log (at, actor_id, actor, ip, kind, object, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		Ms(at), nullID(who.UserID), who.Label, who.IP, "claim."+kind, "claim:"+ClaimNumber(claimID), change)
	return err
}

// cancelTimers marks the claim's pending timers of the given kinds done.
func (a *applyCtx) cancelTimers(kinds ...string) error {
	args := []any{Ms(a.now), a.c.ID}
	for _, k := range kinds {
		args = append(args, k)
	}
	_, err := execRaw(a.tx, `UPDATE timers SET done_at = ? WHERE claim_id = ? AND done_at IS NULL AND kind IN (`+placeholders(len(kinds))+`)`, args...)
	return err
}

func (a *applyCtx) addTimer(kind string, due, deadline time.Time) error {
	_, err := execRaw(a.tx, `INSERT INTO timers (claim_id, kind, due_at, deadline_at) VALUES (?, ?, ?, ?)`, a.c.ID, kind, Ms(due), Ms(deadline))
	return err
}

// Timer kinds.
const (
	TimerConsentDeadline = "consent_deadline"
	TimerInfoDeadline    = "info_deadline"
	TimerInfoReminder    = "info_reminder"
	TimerDisputeReminder = "dispute_reminder"
	TimerDisputeClose    = "dispute_close"
	TimerSubscriptionEnd = "subscription_ended"
)

// --- guards ---

func guardOrgActive(a *applyCtx) error {
	if a.c.OrgDisabled {
		return &Refusal{MsgID: "claim.err_org_disabled"}
	}
	return nil
}

func guardSubmittable(a *applyCtx) error {
	if err := guardOrgActive(a); err != nil {
		return err
	}
	return a.s.submitChecks(a.tx, a.who, a.c, a.lines)
}

func guardInfoReasons(a *applyCtx) error {
	if len(a.req.Reasons) == 0 {
		return &Refusal{Fields: FieldErrors{"reasons": "review.err_reasons"}, MsgID: "review.err_reasons"}
	}
	for _, r := range a.req.Reasons {
		if !slices.Contains(InfoReasons, r) {
			return &Refusal{Fields: FieldErrors{"reasons": "review.err_reasons"}, MsgID: "review.err_reasons"}
		}
	}
	return nil
}

func guardRejectReason(a *applyCtx) error {
	if len(a.req.Reasons) != 1 || !slices.Contains(RejectReasons, a.req.Reasons[0]) {
		return &Refusal{Fields: FieldErrors{"reason": "review.err_reason"}, MsgID: "review.err_reason"}
	}
	return nil
}

func guardApprove(a *applyCtx) error {
	var n int64
	if err := a.tx.Raw(`SELECT count(*) FROM claim_lines x JOIN claim_lines me ON me.key = x.key
		WHERE me.claim_id = ? AND me.state <> 'ended' AND x.claim_id <> me.claim_id AND x.state = 'consent'`, a.c.ID).Scan(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return &Refusal{MsgID: "claim.err_consent_taken"}
	}
	rcpts, err := a.s.consentRecipients(a.tx, a.c)
	if err != nil {
		return err
	}
	if len(rcpts) == 0 {
		return &Refusal{MsgID: "review.err_no_contacts"}
	}
	return nil
}

func guardConsentDue(a *applyCtx) error {
	if a.c.ConsentDueAt.IsZero() || a.now.Before(a.c.ConsentDueAt.Time) || a.c.CustomerMailFailed {
		return ErrConflict
	}
	return nil
}

func guardInfoDue(a *applyCtx) error {
	if a.c.InfoDueAt.IsZero() || a.now.Before(a.c.InfoDueAt.Time) {
		return ErrConflict
	}
	return nil
}

// DisputeOpen reports whether an admin may still dispute the rejection.
func (c *Claim) DisputeOpen(now time.Time) bool {
	return c.Status == StatusRejected && !c.Disputed && !c.DisputeUntil.IsZero() && now.Before(c.DisputeUntil.Time) &&
		(slices.Contains(RejectReasons, c.Reason) || c.Reason == ReasonNoPartnerResponse)
}

func guardDispute(a *applyCtx) error {
	if !a.c.DisputeOpen(a.now) {
		if a.c.Disputed {
			return &Refusal{MsgID: "claim.err_dispute_used"}
		}
		return &Refusal{MsgID: "claim.err_dispute_closed"}
	}
	if strings.TrimSpace(a.req.Note) == "" && len(a.req.FileIDs) == 0 {
		return &Refusal{Fields: FieldErrors{"justification": "claim.err_dispute_empty"}, MsgID: "claim.err_dispute_empty"}
	}
	return guardOrgActive(a)
}

func guardDelete(a *applyCtx) error {
	if a.who.Role == RoleUser && a.c.CreatorID != a.who.UserID {
		return ErrForbidden
	}
	return nil
}

// --- effects ---

func effRequestSubmission(a *applyCtx) error {
	if err := a.set(`submission_requested_at = ?`, Ms(a.now)); err != nil {
		return err
	}
	a.c.SubmissionRequestedAt = At(a.now)
	return a.mailAdmins("claim_submission_requested")
}

func effSubmit(a *applyCtx) error {
	due, err := a.s.businessDeadline(a.tx, a.now, 5)
	if err != nil {
		return err
	}
	if err := a.set(`submitted_at = coalesce(submitted_at, ?), submission_requested_at = NULL, review_due_at = ?`, Ms(a.now), Ms(due)); err != nil {
		return err
	}
	a.c.ReviewDueAt = At(due)
	return a.mailPartner("claim_submitted")
}

func effRequestInfo(a *applyCtx) error {
	due, err := a.s.businessDeadline(a.tx, a.now, 5)
	if err != nil {
		return err
	}
	remind, err := a.s.businessDeadline(a.tx, a.now, 3)
	if err != nil {
		return err
	}
	reasons := strings.Join(a.req.Reasons, ",")
	if err := a.set(`info_due_at = ?, info_reasons = ?, note = ?`, Ms(due), reasons, a.req.Note); err != nil {
		return err
	}
	a.c.InfoDueAt, a.c.InfoReasons, a.c.Note = At(due), reasons, a.req.Note
	a.detail["reasons"], a.detail["note"] = a.req.Reasons, a.req.Note
	if err := a.cancelTimers(TimerInfoDeadline, TimerInfoReminder); err != nil {
		return err
	}
	if err := a.addTimer(TimerInfoDeadline, due, due); err != nil {
		return err
	}
	if err := a.addTimer(TimerInfoReminder, remind, due); err != nil {
		return err
	}
	return a.mailPartner("claim_info_requested")
}

func effResubmit(a *applyCtx) error {
	due, err := a.s.businessDeadline(a.tx, a.now, 5)
	if err != nil {
		return err
	}
	if err := a.set(`info_due_at = NULL, review_due_at = ?`, Ms(due)); err != nil {
		return err
	}
	a.c.InfoDueAt, a.c.ReviewDueAt = Time{}, At(due)
	if err := a.cancelTimers(TimerInfoDeadline, TimerInfoReminder); err != nil {
		return err
	}
	return a.mailPartner("claim_resubmitted")
}

func effApprove(a *applyCtx) error {
	if err := a.startConsent(); err != nil {
		return err
	}
	a.detail["note"] = a.req.Note
	return a.mailPartner("claim_approved")
}

// startConsent sets the opt-out deadline and emails every customer contact
// a personal link (approval and resend).
func (a *applyCtx) startConsent() error {
	due, err := a.s.businessDeadline(a.tx, a.now, 5)
	if err != nil {
		return err
	}
	if err := a.set(`consent_due_at = ?, customer_mail_failed = 0, note = ?`, Ms(due), a.req.Note); err != nil {
		return err
	}
	a.c.ConsentDueAt, a.c.CustomerMailFailed = At(due), false
	if err := a.cancelTimers(TimerConsentDeadline); err != nil {
		return err
	}
	if err := a.addTimer(TimerConsentDeadline, due, due); err != nil {
		return err
	}
	return a.sendConsentLinks()
}

func effResendConsent(a *applyCtx) error {
	if err := a.tx.Exec(`UPDATE consent_links SET replaced_at = ? WHERE claim_id = ? AND replaced_at IS NULL`, Ms(a.now), a.c.ID).Error; err != nil {
		return err
	}
	return a.startConsent()
}

func effReject(a *applyCtx) error {
	a.detail["reason"], a.detail["note"] = a.c.Reason, a.req.Note
	if err := a.set(`note = ?`, a.req.Note); err != nil {
		return err
	}
	a.c.Note = a.req.Note
	return effRejected(a)
}

// effRejected opens the dispute window where a dispute is possible and emails the partner.
func effRejected(a *applyCtx) error {
	if err := a.cancelTimers(TimerInfoDeadline, TimerInfoReminder, TimerConsentDeadline); err != nil {
		return err
	}
	if !a.c.Disputed && (slices.Contains(RejectReasons, a.c.Reason) || a.c.Reason == ReasonNoPartnerResponse) {
		until := CalendarDeadline(a.now, 30, a.s.loc)
		if err := a.set(`dispute_until = ?`, Ms(until)); err != nil {
			return err
		}
		a.c.DisputeUntil = At(until)
		if err := a.addTimer(TimerDisputeReminder, until.AddDate(0, 0, -5), until); err != nil {
			return err
		}
		if err := a.addTimer(TimerDisputeClose, until, until); err != nil {
			return err
		}
	}
	return a.mailPartner("claim_rejected")
}

func effCustomerAccept(a *applyCtx) error {
	if err := a.recordDecision("accepted"); err != nil {
		return err
	}
	return a.becomeOfficial("claim_customer_accepted")
}

func effConsentExpire(a *applyCtx) error { return a.becomeOfficial("claim_official") }

// supersedeIncumbents ends the official lines other claims hold on this
// claim's keys, before this claim's lines become official.
func supersedeIncumbents(a *applyCtx) error { return a.s.supersede(a.tx, a.c, a.now) }

// becomeOfficial records when the claim became official and tells the partner.
func (a *applyCtx) becomeOfficial(mailKind string) error {
	if err := a.cancelTimers(TimerConsentDeadline); err != nil {
		return err
	}
	if err := a.set(`official_at = ?`, Ms(a.now)); err != nil {
		return err
	}
	a.c.OfficialAt = At(a.now)
	return a.mailPartner(mailKind)
}

func effCustomerOptOut(a *applyCtx) error {
	if err := a.recordDecision("opted_out"); err != nil {
		return err
	}
	if err := a.cancelTimers(TimerConsentDeadline); err != nil {
		return err
	}
	return a.mailPartner("claim_customer_opted_out")
}

// recordDecision stores the customer's decision on the claim and sends the
// deciding contact a receipt.
func (a *applyCtx) recordDecision(decision string) error {
	var link consentLink
	if err := a.tx.Raw(`SELECT id, claim_id, email, name, language FROM consent_links WHERE id = ?`, a.who.LinkID).Scan(&link).Error; err != nil {
		return err
	}
	if link.ID == 0 || link.ClaimID != a.c.ID {
		return ErrNotFound
	}
	if err := a.set(`customer_decision = ?, customer_decided_by = ?, customer_decided_at = ?`, decision, link.Email, Ms(a.now)); err != nil {
		return err
	}
	a.c.CustomerDecision, a.c.CustomerDecidedBy, a.c.CustomerDecidedAt = decision, link.Email, At(a.now)
	a.detail["decision"], a.detail["by"] = decision, link.Email
	if a.req.Note != "" {
		a.detail["note"] = a.req.Note
	}
	return a.mailReceipt(link, decision)
}

func effDispute(a *applyCtx) error {
	due, err := a.s.businessDeadline(a.tx, a.now, 5)
	if err != nil {
		return err
	}
	if err := a.set(`disputed = 1, review_due_at = ?`, Ms(due)); err != nil {
		return err
	}
	a.c.Disputed, a.c.ReviewDueAt = true, At(due)
	a.detail["justification"] = a.req.Note
	if len(a.req.FileIDs) > 0 {
		a.detail["files"] = a.req.FileIDs
	}
	return a.cancelTimers(TimerDisputeReminder, TimerDisputeClose)
}

func effReopen(a *applyCtx) error {
	due, err := a.s.businessDeadline(a.tx, a.now, 5)
	if err != nil {
		return err
	}
	if err := a.set(`review_due_at = ?`, Ms(due)); err != nil {
		return err
	}
	a.detail["note"] = a.req.Note
	return a.mailPartner("claim_dispute_reopened")
}

func effUphold(a *applyCtx) error {
	a.detail["note"] = a.req.Note
	if err := a.set(`note = ?`, a.req.Note); err != nil {
		return err
	}
	a.c.Note = a.req.Note
	return a.mailPartner("claim_dispute_upheld")
}

func effWithdraw(a *applyCtx) error {
	if err := a.tx.Exec(`UPDATE timers SET done_at = ? WHERE claim_id = ? AND done_at IS NULL`, Ms(a.now), a.c.ID).Error; err != nil {
		return err
	}
	return a.mailPartner("claim_withdrawn")
}

func effEnd(a *applyCtx) error {
	if err := a.tx.Exec(`UPDATE claim_lines SET end_reason = ?, ended_at = ? WHERE claim_id = ? AND end_reason = ''`,
		a.c.Reason, Ms(a.now), a.c.ID).Error; err != nil {
		return err
	}
	if err := a.set(`ended_at = ?`, Ms(a.now)); err != nil {
		return err
	}
	if err := a.tx.Exec(`UPDATE timers SET done_at = ? WHERE claim_id = ? AND done_at IS NULL`, Ms(a.now), a.c.ID).Error; err != nil {
		return err
	}
	if a.who.Role == RoleCustomer {
		if err := a.recordDecision("ended"); err != nil {
			return err
		}
	}
	return a.mailPartner("claim_ended")
}

// deleteDraft removes a draft and everything of it; the audit log keeps a trace.
func (a *applyCtx) deleteDraft() error {
	res := a.tx.Exec(`DELETE FROM claims WHERE id = ? AND version = ? AND status = 'editing'`, a.c.ID, a.c.Version)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return ErrConflict
	}
	if err := a.tx.Exec(`INSERT INTO deleted_claims (id, deleted_at) VALUES (?, ?)`, a.c.ID, Ms(a.now)).Error; err != nil {
		return err
	}
	return a.s.audit(a.tx, Actor{UserID: a.who.UserID, Label: a.who.Label, IP: a.who.IP}, "claim.delete_draft",
		"claim:"+a.c.Number(), a.c.Name)
}

// supersede ends, on every key of c, the official line another claim holds,
// and ends that claim when none of its lines is left. Both partners are told.
func (s *Store) supersede(tx *gorm.DB, c *Claim, now time.Time) error {
	if !c.KeyShared {
		return nil // no other organisation has ever held one of its keys
	}
	var victims []lineRef
	if err := tx.Raw(`SELECT x.id, x.claim_id FROM claim_lines x JOIN claim_lines me ON me.key = x.key
		WHERE me.claim_id = ? AND me.state <> 'ended' AND x.claim_id <> me.claim_id AND x.state = 'official'`, c.ID).Scan(&victims).Error; err != nil {
		return err
	}
	if len(victims) == 0 {
		return nil
	}
	return s.endLines(tx, victims, ReasonSuperseded, now, "claim_superseded")
}

// lineRef names a line and its claim.
type lineRef struct{ ID, ClaimID int64 }

// endLines ends lines for a reason, writes each claim's history and ends the
// claims left without open lines.
func (s *Store) endLines(tx *gorm.DB, lines []lineRef, reason string, now time.Time, mailKind string) error {
	byClaim := map[int64][]int64{}
	var order []int64
	for _, l := range lines {
		if _, ok := byClaim[l.ClaimID]; !ok {
			order = append(order, l.ClaimID)
		}
		byClaim[l.ClaimID] = append(byClaim[l.ClaimID], l.ID)
	}
	for _, claimID := range order {
		ids := byClaim[claimID]
		if err := tx.Exec(`UPDATE claim_lines SET state = 'ended', end_reason = ?, ended_at = ? WHERE id IN ?`, reason, Ms(now), ids).Error; err != nil {
			return err
		}
		c, cl, err := s.engineClaim(tx, Viewer{Role: RoleOperator}, claimID)
		if err != nil {
			return err
		}
		a := &applyCtx{s: s, tx: tx, now: now, who: Who{Role: RoleSystem, Label: "system"}, c: c, lines: cl, detail: map[string]any{"lines": ids, "reason": reason}}
		open := 0
		for _, l := range cl {
			if l.State != StatusEnded {
				open++
			}
		}
		if open == 0 {
			if err := a.move(StatusEnded, reason); err != nil {
				return err
			}
			if err := a.set(`ended_at = ?`, Ms(now)); err != nil {
				return err
			}
			if err := tx.Exec(`UPDATE timers SET done_at = ? WHERE claim_id = ? AND done_at IS NULL`, Ms(now), claimID).Error; err != nil {
				return err
			}
			if err := a.history("lines_ended", c.Status, StatusEnded); err != nil {
				return err
			}
		} else {
			if err := tx.Exec(`UPDATE claims SET version = version + 1, updated_at = ? WHERE id = ?`, Ms(now), claimID).Error; err != nil {
				return err
			}
			if err := a.history("lines_ended", c.Status, c.Status); err != nil {
				return err
			}
		}
		if err := a.mailPartner(mailKind); err != nil {
			return err
		}
	}
	return nil
}
