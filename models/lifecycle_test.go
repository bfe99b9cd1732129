package models_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"cpor/models"
)

// specStep is one arrow of SPEC §4.2, written out here independently of the
// engine's own table, with the emails of SPEC §4.5 and the timers of §4.4
// it leaves pending.
type specStep struct {
	from   []models.Status
	action models.Action
	roles  []models.Role
	to     models.Status // "" for Delete draft: the claim is gone
	reason string
	// atDeadline steps are the worker's: before the deadline they are refused.
	atDeadline bool
	// mails lists the emails queued, given the deciding contact.
	mails  func(decider string) [][]mail
	timers []string
}

var (
	stEditing   = models.StatusEditing
	stSubmitted = models.StatusSubmitted
	stReview    = models.StatusUnderReview
	stAction    = models.StatusActionRequired
	stConsent   = models.StatusConsent
	stOfficial  = models.StatusOfficial
	stRejected  = models.StatusRejected
	stDisputed  = models.StatusDisputed
	stWithdrawn = models.StatusWithdrawn
	stEnded     = models.StatusEnded

	roleAdmin    = models.RoleAdmin
	roleUser     = models.RoleUser
	roleReviewer = models.RoleReviewer
	roleOperator = models.RoleOperator
	roleCustomer = models.RoleCustomer
	roleSystem   = models.RoleSystem
)

func toPartner(kind string) func(string) [][]mail {
	return func(string) [][]mail { return [][]mail{mailsTo(kind, fxPartnerMail...)} }
}

func toPartnerAndDecider(kind string) func(string) [][]mail {
	return func(d string) [][]mail {
		return [][]mail{mailsTo(kind, fxPartnerMail...), mailsTo("consent_receipt", d)}
	}
}

var specSteps = []specStep{
	{from: []models.Status{stEditing}, action: models.ActRequestSubmission, roles: []models.Role{roleUser}, to: stEditing,
		mails: func(string) [][]mail { return [][]mail{mailsTo("claim_submission_requested", fxAdmin)} }},
	{from: []models.Status{stEditing}, action: models.ActSubmit, roles: []models.Role{roleAdmin}, to: stSubmitted,
		mails: toPartner("claim_submitted")},
	{from: []models.Status{stSubmitted}, action: models.ActStartReview, roles: []models.Role{roleReviewer}, to: stReview},
	{from: []models.Status{stReview}, action: models.ActRequestInfo, roles: []models.Role{roleReviewer}, to: stAction,
		mails: toPartner("claim_info_requested"), timers: []string{models.TimerInfoDeadline, models.TimerInfoReminder}},
	{from: []models.Status{stAction}, action: models.ActResubmit, roles: []models.Role{roleAdmin}, to: stReview,
		mails: toPartner("claim_resubmitted")},
	{from: []models.Status{stReview}, action: models.ActApprove, roles: []models.Role{roleReviewer}, to: stConsent,
		mails: func(string) [][]mail {
			return [][]mail{mailsTo("claim_approved", fxPartnerMail...), mailsTo("consent_request", fxCustomers...)}
		}, timers: []string{models.TimerConsentDeadline}},
	{from: []models.Status{stReview}, action: models.ActReject, roles: []models.Role{roleReviewer}, to: stRejected,
		reason: models.ReasonInsufficientPoE, mails: toPartner("claim_rejected"),
		timers: []string{models.TimerDisputeClose, models.TimerDisputeReminder}},
	{from: []models.Status{stConsent}, action: models.ActCustomerAccept, roles: []models.Role{roleCustomer}, to: stOfficial,
		mails: toPartnerAndDecider("claim_customer_accepted")},
	{from: []models.Status{stConsent}, action: models.ActCustomerOptOut, roles: []models.Role{roleCustomer}, to: stRejected,
		reason: models.ReasonCustomerOptedOut, mails: toPartnerAndDecider("claim_customer_opted_out")},
	{from: []models.Status{stConsent}, action: models.ActConsentExpire, roles: []models.Role{roleSystem}, to: stOfficial, atDeadline: true},
	{from: []models.Status{stAction}, action: models.ActInfoExpire, roles: []models.Role{roleSystem}, to: stRejected, atDeadline: true},
	{from: []models.Status{stRejected}, action: models.ActDispute, roles: []models.Role{roleAdmin}, to: stDisputed},
	{from: []models.Status{stDisputed}, action: models.ActReopen, roles: []models.Role{roleReviewer}, to: stReview,
		mails: toPartner("claim_dispute_reopened")},
	{from: []models.Status{stDisputed}, action: models.ActUphold, roles: []models.Role{roleReviewer}, to: stRejected,
		reason: models.ReasonDisputeUpheld, mails: toPartner("claim_dispute_upheld")},
	{from: []models.Status{stEditing, stSubmitted, stReview, stAction}, action: models.ActWithdraw, roles: []models.Role{roleAdmin},
		to: stWithdrawn, reason: models.ReasonPartnerRequest, mails: toPartner("claim_withdrawn")},
	{from: []models.Status{stConsent, stOfficial}, action: models.ActEnd, roles: []models.Role{roleAdmin}, to: stEnded,
		reason: models.ReasonPartnerRequest, mails: toPartner("claim_ended")},
	{from: []models.Status{stOfficial}, action: models.ActCustomerEnd, roles: []models.Role{roleCustomer}, to: stEnded,
		reason: models.ReasonCustomerEnded, mails: toPartnerAndDecider("claim_ended")},
	{from: []models.Status{stEditing}, action: models.ActDelete, roles: []models.Role{roleAdmin, roleUser}},
	{from: []models.Status{stConsent}, action: models.ActResendConsent, roles: []models.Role{roleReviewer}, to: stConsent,
		mails:  func(string) [][]mail { return [][]mail{mailsTo("consent_request", fxCustomers...)} },
		timers: []string{models.TimerConsentDeadline}},
}

var allActions = []models.Action{
	models.ActRequestSubmission, models.ActSubmit, models.ActStartReview, models.ActRequestInfo, models.ActResubmit,
	models.ActApprove, models.ActReject, models.ActCustomerAccept, models.ActCustomerOptOut, models.ActConsentExpire,
	models.ActInfoExpire, models.ActDispute, models.ActReopen, models.ActUphold, models.ActWithdraw, models.ActEnd,
	models.ActCustomerEnd, models.ActDelete, models.ActResendConsent,
}

var allRoles = []models.Role{roleAdmin, roleUser, roleReviewer, roleOperator, roleCustomer, roleSystem}

// outcome is what the engine must answer.
type outcome int

const (
	allowed outcome = iota
	alreadyDone
	conflict
	forbidden
	notFound
)

func (o outcome) String() string {
	return [...]string{"allowed", "already done", "conflict", "forbidden", "not found"}[o]
}

// expected derives the answer for (state, action, role) from SPEC §1 and §4.2:
// a claim outside the person's visibility is not found; an action the role
// may never take is forbidden; an arrow from the state is taken; asking for
// a state the claim is already in is "Already done"; anything else is a
// conflict ("This claim changed").
func expected(state models.Status, act models.Action, role models.Role) (outcome, *specStep) {
	// Reviewers see claims from Submitted on; every claim of the fixture in
	// a later state has been submitted (Withdrawn is reached from Submitted).
	visible := !(role == roleReviewer && state == stEditing)
	var ever bool
	var step *specStep
	var targets []models.Status
	for i := range specSteps {
		s := &specSteps[i]
		if s.action != act {
			continue
		}
		ever = ever || slices.Contains(s.roles, role)
		if s.to != "" {
			targets = append(targets, s.to)
		}
		if slices.Contains(s.from, state) {
			step = s
		}
	}
	switch {
	case !visible:
		return notFound, nil
	case !ever:
		return forbidden, nil
	case step != nil && !slices.Contains(step.roles, role):
		return forbidden, nil
	case step != nil && step.atDeadline:
		return conflict, nil // the deadline has not passed
	case step != nil:
		return allowed, step
	case act == models.ActDelete:
		return conflict, nil
	case slices.Contains(targets, state):
		return alreadyDone, nil
	}
	return conflict, nil
}

// whoAs is the person of a role acting on a claim of the fixture.
func (f *fixture) whoAs(role models.Role, id int64) models.Who {
	switch role {
	case roleAdmin:
		return f.admin
	case roleUser:
		return f.user
	case roleReviewer:
		return f.reviewer
	case roleOperator:
		return f.operator
	case roleCustomer:
		return f.customer(id, fxContactEN)
	}
	return f.system()
}

// TestLifecycleTable applies every action as every role to a claim in every
// status. Allowed ones move a fresh claim (driven there through Apply) to
// the right state with exactly one history row, the right emails and
// timers; every other combination is refused with its reason and changes
// nothing at all.
func TestLifecycleTable(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if len(models.Statuses) != 10 {
		t.Fatalf("SPEC §4.2 has 10 statuses, models.Statuses has %d", len(models.Statuses))
	}
	for _, a := range models.LifecycleActions() {
		if !slices.Contains(allActions, a) {
			t.Errorf("the engine has action %q, which this table does not exercise", a)
		}
	}
	counts := map[outcome]int{}
	for _, state := range models.Statuses {
		shared := f.claimIn(state)
		// The claim page offers exactly what the engine allows (claim_view.go).
		for _, role := range []models.Role{roleAdmin, roleUser, roleReviewer, roleOperator} {
			var want []models.Action
			for _, act := range allActions {
				if o, _ := expected(state, act, role); o == allowed {
					want = append(want, act)
				}
			}
			got := models.AllowedActions(f.claim(shared), f.whoAs(role, shared), f.clock.Now())
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("AllowedActions(%s, %s) = %v, want %v", state, role, got, want)
			}
		}
		for _, act := range allActions {
			for _, role := range allRoles {
				want, step := expected(state, act, role)
				counts[want]++
				name := fmt.Sprintf("%s/%s/%s", state, act, role)
				if want == allowed {
					t.Run(name, func(t *testing.T) { f.at(t).checkAllowed(t, state, step, role) })
					continue
				}
				t.Run(name, func(t *testing.T) {
					f := f.at(t)
					id := shared
					before := f.snap(id)
					r := req(id, act)
					r.Version = f.claim(id).Version
					res, err := f.s.Apply(f.ctx, nil, f.whoAs(role, id), r)
					checkRefusal(t, want, res, err)
					f.unchanged(t, name, before, id)
					if t.Failed() {
						// Keep the other combinations honest.
						shared = f.claimIn(state)
					}
				})
			}
		}
	}
	// The table must exercise every kind of answer.
	for o := allowed; o <= notFound; o++ {
		if counts[o] == 0 {
			t.Errorf("no combination expects %s", o)
		}
	}
}

func checkRefusal(t *testing.T, want outcome, res models.Result, err error) {
	t.Helper()
	switch want {
	case alreadyDone:
		if err != nil || !res.AlreadyDone {
			t.Errorf("want Already done, got %+v, %v", res, err)
		}
	case conflict:
		if !errors.Is(err, models.ErrConflict) {
			t.Errorf("want ErrConflict, got %+v, %v", res, err)
		}
	case forbidden:
		if !errors.Is(err, models.ErrForbidden) {
			t.Errorf("want ErrForbidden, got %+v, %v", res, err)
		}
	case notFound:
		if !errors.Is(err, models.ErrNotFound) {
			t.Errorf("want ErrNotFound, got %+v, %v", res, err)
		}
	}
}

// checkAllowed takes a step on a fresh claim and checks everything it did.
func (f *fixture) checkAllowed(t *testing.T, state models.Status, step *specStep, role models.Role) {
	id := f.claimIn(state)
	who := f.whoAs(role, id)
	before := f.claim(id)
	hist := len(f.history(id))
	mark := f.lastMailID()
	files := f.int(`SELECT count(*) FROM claim_files`)
	audits := f.int(`SELECT count(*) FROM audit_log WHERE kind = 'claim.delete_draft'`)
	r := req(id, step.action)
	r.Version = before.Version
	res, err := f.s.Apply(f.ctx, nil, who, r)
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	if res.AlreadyDone {
		t.Fatalf("answered Already done")
	}
	if step.to == "" { // Delete draft
		if !res.Deleted {
			t.Errorf("result %+v, want Deleted", res)
		}
		for _, table := range []string{"claims WHERE id = ?", "claim_lines WHERE claim_id = ?", "claim_files WHERE claim_id = ?",
			"claim_history WHERE claim_id = ?", "timers WHERE claim_id = ?"} {
			if n := f.int(`SELECT count(*) FROM `+table, id); n != 0 {
				t.Errorf("after delete, %d rows left in %s", n, table)
			}
		}
		if n := f.int(`SELECT count(*) FROM file_blobs`); n != files-1 {
			t.Errorf("file blobs %d, want %d", n, files-1)
		}
		if n := f.int(`SELECT count(*) FROM audit_log WHERE kind = 'claim.delete_draft'`); n != audits+1 {
			t.Errorf("%d audit rows for the deletion", n-audits)
		}
		wantMails(t, "delete", f.mailsSince(mark))
		return
	}
	c := f.claim(id)
	if res.Status != step.to || c.Status != step.to {
		t.Errorf("result %s, claim %s; want %s", res.Status, c.Status, step.to)
	}
	if c.Version != before.Version+1 {
		t.Errorf("version %d → %d, want one step", before.Version, c.Version)
	}
	if step.reason != "" && c.Reason != step.reason {
		t.Errorf("reason %q, want %q", c.Reason, step.reason)
	}
	for _, l := range f.lines(id) {
		if l.State != step.to {
			t.Errorf("line %d is %s, want %s", l.ID, l.State, step.to)
		}
		if step.to == stEnded && l.EndReason != step.reason {
			t.Errorf("line %d ended for %q, want %q", l.ID, l.EndReason, step.reason)
		}
	}
	h := f.history(id)
	if len(h) != hist+1 {
		t.Fatalf("%d history rows written, want exactly one", len(h)-hist)
	}
	last := h[len(h)-1]
	if last.Kind != string(step.action) || last.FromStatus != state || last.ToStatus != step.to || last.ActorRole != string(role) {
		t.Errorf("history row %+v", last)
	}
	decider := ""
	if role == roleCustomer {
		decider = fxContactEN
	}
	var want [][]mail
	if step.mails != nil {
		want = step.mails(decider)
	}
	wantMails(t, string(step.action), f.mailsSince(mark), want...)
	timers := append([]string(nil), step.timers...)
	slices.Sort(timers)
	if got := f.pendingTimers(id); !reflect.DeepEqual(got, timers) && !(len(got) == 0 && len(timers) == 0) {
		t.Errorf("pending timers %v, want %v", got, timers)
	}
}

// TestStaleVersions: a double click is "Already done"; a claim that moved
// on in another way is a conflict; neither changes anything.
func TestStaleVersions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	t.Run("double submit", func(t *testing.T) {
		id := f.draft()
		v := f.claim(id).Version
		if _, err := f.s.Apply(f.ctx, nil, f.admin, models.Request{ClaimID: id, Action: models.ActSubmit, Version: v}); err != nil {
			t.Fatal(err)
		}
		before := f.snap(id)
		res, err := f.s.Apply(f.ctx, nil, f.admin, models.Request{ClaimID: id, Action: models.ActSubmit, Version: v})
		if err != nil || !res.AlreadyDone {
			t.Fatalf("second submit: %+v, %v", res, err)
		}
		f.unchanged(t, "second submit", before, id)
		if n := len(f.transitions(id)); n != 1 {
			t.Errorf("%d transitions, want one submission", n)
		}
	})

	t.Run("double request submission", func(t *testing.T) {
		id := f.draft()
		v := f.claim(id).Version
		f.do(f.user, id, models.ActRequestSubmission)
		before := f.snap(id)
		for _, ver := range []int64{v, v + 1, 0} {
			res, err := f.s.Apply(f.ctx, nil, f.user, models.Request{ClaimID: id, Action: models.ActRequestSubmission, Version: ver})
			if err != nil || !res.AlreadyDone {
				t.Fatalf("repeat with version %d: %+v, %v", ver, res, err)
			}
		}
		f.unchanged(t, "repeated request", before, id)
	})

	t.Run("withdraw after the reviewer moved on", func(t *testing.T) {
		id := f.claimIn(stSubmitted)
		v := f.claim(id).Version
		f.do(f.reviewer, id, models.ActStartReview)
		f.do(f.reviewer, id, models.ActRequestInfo)
		before := f.snap(id)
		_, err := f.s.Apply(f.ctx, nil, f.admin, models.Request{ClaimID: id, Action: models.ActWithdraw, Version: v})
		if !errors.Is(err, models.ErrConflict) {
			t.Fatalf("stale withdraw: %v", err)
		}
		f.unchanged(t, "stale withdraw", before, id)
	})

	t.Run("resend with a stale version", func(t *testing.T) {
		id := f.claimIn(stConsent)
		v := f.claim(id).Version
		f.do(f.reviewer, id, models.ActResendConsent)
		before := f.snap(id)
		// The same state does not prove the resend happened… but a version the
		// reviewer has not seen does: the second click is "Already done".
		res, err := f.s.Apply(f.ctx, nil, f.reviewer, models.Request{ClaimID: id, Action: models.ActResendConsent, Version: v})
		if err != nil || !res.AlreadyDone {
			t.Fatalf("second resend: %+v, %v", res, err)
		}
		f.unchanged(t, "second resend", before, id)
	})
}

// TestRuleRefusals: refusals a person can act on name their rule, and
// change nothing.
func TestRuleRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	refused := func(t *testing.T, id int64, who models.Who, r models.Request, check func(error) bool) {
		t.Helper()
		before := f.snap(id)
		res, err := f.s.Apply(f.ctx, nil, who, r)
		if err == nil || !check(err) {
			t.Fatalf("%s: %+v, %v", r.Action, res, err)
		}
		f.unchanged(t, string(r.Action), before, id)
	}
	refusal := func(msg string) func(error) bool {
		return func(err error) bool {
			var r *models.Refusal
			return errors.As(err, &r) && r.MsgID == msg
		}
	}
	fieldCheck := func(field, msg string) func(error) bool {
		return func(err error) bool {
			ce, ok := models.IsCheckError(err)
			return ok && ce.Fields[field] == msg
		}
	}

	t.Run("submit without proof of execution", func(t *testing.T) {
		id, err := f.s.CreateDraft(f.ctx, f.user, f.input(f.loc1, f.key()))
		if err != nil {
			t.Fatal(err)
		}
		refused(t, id, f.admin, req(id, models.ActSubmit), fieldCheck("files", "claim.err_poe_missing"))
		refused(t, id, f.user, req(id, models.ActRequestSubmission), fieldCheck("files", "claim.err_poe_missing"))
	})
	t.Run("submit without contacts", func(t *testing.T) {
		in := f.input(f.loc1, f.key())
		in.CustomerContactName, in.PartnerContactEmail = "", "not-an-address"
		id, err := f.s.CreateDraft(f.ctx, f.user, in)
		if err != nil {
			t.Fatal(err)
		}
		refused(t, id, f.admin, req(id, models.ActSubmit), fieldCheck("customer_name", "err.required"))
		refused(t, id, f.admin, req(id, models.ActSubmit), fieldCheck("partner_email", "err.email"))
	})
	t.Run("information request without a reason", func(t *testing.T) {
		id := f.claimIn(stReview)
		refused(t, id, f.reviewer, models.Request{ClaimID: id, Action: models.ActRequestInfo}, refusal("review.err_reasons"))
		refused(t, id, f.reviewer, models.Request{ClaimID: id, Action: models.ActRequestInfo, Reasons: []string{"made_up"}}, refusal("review.err_reasons"))
	})
	t.Run("rejection without a listed reason", func(t *testing.T) {
		id := f.claimIn(stReview)
		refused(t, id, f.reviewer, models.Request{ClaimID: id, Action: models.ActReject}, refusal("review.err_reason"))
		refused(t, id, f.reviewer, models.Request{ClaimID: id, Action: models.ActReject, Reasons: []string{models.ReasonCustomerOptedOut}}, refusal("review.err_reason"))
	})
	t.Run("dispute without justification or file", func(t *testing.T) {
		id := f.claimIn(stRejected)
		refused(t, id, f.admin, models.Request{ClaimID: id, Action: models.ActDispute, Note: "   "}, refusal("claim.err_dispute_empty"))
	})
	t.Run("a second dispute", func(t *testing.T) {
		id := f.claimIn(stDisputed)
		f.do(f.reviewer, id, models.ActUphold)
		refused(t, id, f.admin, req(id, models.ActDispute), refusal("claim.err_dispute_used"))
	})
	t.Run("no dispute of a customer's opt-out", func(t *testing.T) {
		id := f.claimIn(stConsent)
		if _, err := f.decide(id, fxContactHU, models.ActCustomerOptOut); err != nil {
			t.Fatal(err)
		}
		refused(t, id, f.admin, req(id, models.ActDispute), refusal("claim.err_dispute_closed"))
	})
	t.Run("approval while another claim on the key awaits consent", func(t *testing.T) {
		key := f.key()
		first := f.draftBy(f.otherAdm, f.fabLoc, key)
		f.drive(first, stConsent)
		id := f.draft(key)
		f.drive(id, stReview)
		refused(t, id, f.reviewer, req(id, models.ActApprove), refusal("claim.err_consent_taken"))
	})
	t.Run("a disabled organisation cannot submit", func(t *testing.T) {
		id := f.draft()
		f.exec(`UPDATE organisations SET disabled = 1 WHERE id = ?`, f.contoso)
		defer f.exec(`UPDATE organisations SET disabled = 0 WHERE id = ?`, f.contoso)
		refused(t, id, f.admin, req(id, models.ActSubmit), refusal("claim.err_org_disabled"))
	})
	t.Run("a user deletes only their own drafts", func(t *testing.T) {
		id := f.draftBy(f.admin, f.loc1, f.key())
		refused(t, id, f.user, req(id, models.ActDelete), func(err error) bool { return errors.Is(err, models.ErrForbidden) })
	})
	t.Run("a user outside the location's scope does not see the claim", func(t *testing.T) {
		id := f.draftBy(f.admin, f.loc2, f.key())
		f.do(f.admin, id, models.ActSubmit)
		refused(t, id, f.user, req(id, models.ActRequestSubmission), func(err error) bool { return errors.Is(err, models.ErrNotFound) })
		refused(t, id, f.user, req(id, models.ActDelete), func(err error) bool { return errors.Is(err, models.ErrNotFound) })
	})
	t.Run("another organisation does not see the claim", func(t *testing.T) {
		id := f.claimIn(stRejected)
		for _, act := range []models.Action{models.ActDispute, models.ActWithdraw, models.ActSubmit, models.ActStartReview} {
			refused(t, id, f.otherAdm, req(id, act), func(err error) bool { return errors.Is(err, models.ErrNotFound) })
		}
	})
	t.Run("one organisation claims a key once", func(t *testing.T) {
		key := f.key()
		first := f.draft(key)
		before := f.snap(first)
		_, err := f.s.CreateDraft(f.ctx, f.admin, f.input(f.loc1, key))
		ce, ok := models.IsCheckError(err)
		if !ok || ce.Fields["lines"] != "claim.err_same_org" || ce.Data["lines"]["Number"] != models.ClaimNumber(first) {
			t.Fatalf("a second draft on the key: %v", err)
		}
		f.unchanged(t, "refused draft", before, first)
		// Rejected lines are not open: a new claim may take the key; the
		// old one's dispute would reopen it and is refused, naming the new one.
		f.drive(first, stRejected)
		second := f.draft(key)
		refused(t, first, f.admin, req(first, models.ActDispute), func(err error) bool {
			var r *models.Refusal
			return errors.As(err, &r) && r.MsgID == "claim.err_same_org" && r.Data["Number"] == models.ClaimNumber(second)
		})
		// Editing a draft onto a key the organisation holds is refused too.
		other := f.draft()
		c := f.claim(other)
		in := f.input(f.loc1, key)
		err = f.s.UpdateClaim(f.ctx, f.admin, other, c.Version, in)
		if ce, ok := models.IsCheckError(err); !ok || ce.Fields["lines"] != "claim.err_same_org" {
			t.Errorf("editing onto a held key: %v", err)
		}
	})
	t.Run("a customer acts only through a link of this claim", func(t *testing.T) {
		id := f.claimIn(stConsent)
		other := f.claimIn(stConsent)
		who := f.customer(other, fxContactEN) // a link of another claim
		refused(t, id, who, req(id, models.ActCustomerAccept), func(err error) bool { return errors.Is(err, models.ErrNotFound) })
	})
}

// TestWaitingOn: the line at the top of every claim (SPEC §4.2).
func TestWaitingOn(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	partner := map[models.Status]string{
		stEditing: "waiting.you", stSubmitted: "waiting.program", stReview: "waiting.program", stAction: "waiting.you",
		stConsent: "waiting.customer", stOfficial: "waiting.nothing", stRejected: "waiting.nothing", stDisputed: "waiting.program",
		stWithdrawn: "waiting.nothing", stEnded: "waiting.nothing",
	}
	reviewer := map[models.Status]string{
		stSubmitted: "waiting.you", stReview: "waiting.you", stAction: "waiting.partner", stConsent: "waiting.customer",
		stOfficial: "waiting.nothing", stRejected: "waiting.nothing", stDisputed: "waiting.you", stWithdrawn: "waiting.nothing", stEnded: "waiting.nothing",
	}
	deadline := map[models.Status]string{stAction: "info", stConsent: "consent", stRejected: "dispute"}
	for _, st := range models.Statuses {
		id := f.claimIn(st)
		c := f.claim(id)
		for _, v := range []struct {
			who  models.Who
			want map[models.Status]string
		}{{f.admin, partner}, {f.user, partner}, {f.reviewer, reviewer}} {
			want, ok := v.want[st]
			if !ok {
				continue
			}
			w := models.WaitingOn(c, viewerOf(v.who), f.clock.Now())
			if w.On != want {
				t.Errorf("%s as %s: %s, want %s", st, v.who.Role, w.On, want)
			}
			if w.Since.IsZero() {
				t.Errorf("%s as %s: no since", st, v.who.Role)
			}
			if v.who.Role.IsPartner() && w.DeadlineKind != deadline[st] {
				t.Errorf("%s as %s: deadline %q, want %q", st, v.who.Role, w.DeadlineKind, deadline[st])
			}
		}
	}
	// A user who asked for submission waits on the admin; the admin is asked.
	id := f.draft()
	f.do(f.user, id, models.ActRequestSubmission)
	c := f.claim(id)
	if w := models.WaitingOn(c, viewerOf(f.user), f.clock.Now()); w.On != "waiting.admin" {
		t.Errorf("user after request: %s", w.On)
	}
	if w := models.WaitingOn(c, viewerOf(f.admin), f.clock.Now()); w.On != "waiting.you" {
		t.Errorf("admin after request: %s", w.On)
	}
}

// TestSupersession: when a competing claim becomes official the incumbent's
// lines on those keys end (Superseded); the incumbent is Ended — Superseded
// once all its lines have; both partners are emailed. If the newcomer's
// customer opts out, the incumbent stays official (SPEC §4.3).
func TestSupersession(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	k1, k2 := f.key(), f.key()
	incumbent := f.draftBy(f.otherAdm, f.fabLoc, k1, k2)
	f.drive(incumbent, stOfficial)
	fabrikamMail := []string{fxOtherAdmin, fxFabrikamContact}

	// A competing claim on k1 is accepted by the customer.
	first := f.draft(k1)
	f.drive(first, stReview)
	if !models.Competing(f.lines(first)) {
		t.Error("the newcomer is not competing")
	}
	f.do(f.reviewer, first, models.ActApprove)
	mark := f.lastMailID()
	if _, err := f.decide(first, fxContactHU, models.ActCustomerAccept); err != nil {
		t.Fatal(err)
	}
	inc := f.claim(incumbent)
	if inc.Status != stOfficial {
		t.Errorf("the incumbent with a line left is %s", inc.Status)
	}
	for _, l := range f.lines(incumbent) {
		want, reason := stOfficial, ""
		if l.SubscriptionID == k1 {
			want, reason = stEnded, models.ReasonSuperseded
		}
		if l.State != want || l.EndReason != reason {
			t.Errorf("incumbent line %s: %s (%q), want %s (%q)", l.SubscriptionID, l.State, l.EndReason, want, reason)
		}
	}
	wantMails(t, "incumbent", f.claimMailsSince(incumbent, mark), mailsTo("claim_superseded", fabrikamMail...))
	wantMails(t, "newcomer", f.claimMailsSince(first, mark), mailsTo("claim_customer_accepted", fxPartnerMail...),
		mailsTo("consent_receipt", fxContactHU))
	if f.keysWithTwo(stOfficial) != 0 {
		t.Error("two official lines on one key")
	}

	// A second competing claim takes the incumbent's last key at its deadline.
	second := f.draft(k2)
	f.drive(second, stConsent)
	f.clock.Set(f.claim(second).ConsentDueAt.Time)
	mark = f.lastMailID()
	w, _ := f.worker()
	f.runWorker(w)
	inc = f.claim(incumbent)
	if inc.Status != stEnded || inc.Reason != models.ReasonSuperseded {
		t.Errorf("the incumbent without lines is %s — %s", inc.Status, inc.Reason)
	}
	for _, l := range f.lines(incumbent) {
		if l.State != stEnded || l.EndReason != models.ReasonSuperseded {
			t.Errorf("incumbent line %s: %s (%q)", l.SubscriptionID, l.State, l.EndReason)
		}
	}
	if c := f.claim(second); c.Status != stOfficial {
		t.Errorf("the second newcomer is %s", c.Status)
	}
	wantMails(t, "incumbent ended", f.claimMailsSince(incumbent, mark), mailsTo("claim_superseded", fabrikamMail...))
	wantMails(t, "second newcomer", f.claimMailsSince(second, mark), mailsTo("claim_official", fxPartnerMail...))
	if n := len(f.pendingTimers(incumbent)); n != 0 {
		t.Errorf("the ended incumbent has %d timers", n)
	}

	// The newcomer's customer opts out: the incumbent stays official.
	k3 := f.key()
	held := f.draftBy(f.otherAdm, f.fabLoc, k3)
	f.drive(held, stOfficial)
	third := f.draft(k3)
	f.drive(third, stConsent)
	mark = f.lastMailID()
	if _, err := f.decide(third, fxContactEN, models.ActCustomerOptOut); err != nil {
		t.Fatal(err)
	}
	if c := f.claim(held); c.Status != stOfficial {
		t.Errorf("after the newcomer's opt-out the incumbent is %s", c.Status)
	}
	if l := f.lines(held)[0]; l.State != stOfficial {
		t.Errorf("the incumbent's line is %s", l.State)
	}
	wantMails(t, "kept incumbent", f.claimMailsSince(held, mark))
	if c := f.claim(third); c.Status != stRejected || c.Reason != models.ReasonCustomerOptedOut {
		t.Errorf("the newcomer is %s — %s", c.Status, c.Reason)
	}
}

// TestSubscriptionEnded: a subscription the directory marks ended ends the
// open lines past Editing on it once the worker runs; drafts are stopped at
// submission instead.
func TestSubscriptionEnded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	gone, kept, gone2 := f.key(), f.key(), f.key()
	official := f.draft(gone, kept) // Contoso, official on both
	f.drive(official, stOfficial)
	submitted := f.draftBy(f.otherAdm, f.fabLoc, gone) // Fabrikam, submitted on the ending one
	f.drive(submitted, stSubmitted)
	draft := f.draftBy(f.otherAdm, f.fabLoc, gone2) // Fabrikam, a draft on another ending one

	csv := "kind,tenant_id,tenant_name,value,product,channel,state,contact_name,language\n" +
		"subscription," + fxTenant + ",," + gone + "," + fxSalesName + ",VL,ended,,\n" +
		"subscription," + fxTenant + ",," + gone2 + "," + fxSalesName + ",VL,ended,,\n"
	if _, err := f.s.ImportDirectory(f.ctx, models.Actor{Label: "operator"}, strings.NewReader(csv)); err != nil {
		t.Fatal(err)
	}
	if c := f.claim(submitted); c.Status != stSubmitted {
		t.Fatalf("the import changed a claim before the worker ran: %s", c.Status)
	}
	mark := f.lastMailID()
	w, _ := f.worker()
	f.runWorker(w)

	if c := f.claim(official); c.Status != stOfficial {
		t.Errorf("a claim with a line left is %s", c.Status)
	}
	for _, l := range f.lines(official) {
		want, reason := stOfficial, ""
		if l.SubscriptionID == gone {
			want, reason = stEnded, models.ReasonSubscriptionEnded
		}
		if l.State != want || l.EndReason != reason {
			t.Errorf("line %s: %s (%q), want %s (%q)", l.SubscriptionID, l.State, l.EndReason, want, reason)
		}
	}
	if c := f.claim(submitted); c.Status != stEnded || c.Reason != models.ReasonSubscriptionEnded {
		t.Errorf("the submitted claim is %s — %s", c.Status, c.Reason)
	}
	if c := f.claim(draft); c.Status != stEditing || f.lines(draft)[0].State != stEditing {
		t.Errorf("the draft is %s", c.Status)
	}
	wantMails(t, "official", f.claimMailsSince(official, mark), mailsTo("claim_ended", fxPartnerMail...))
	wantMails(t, "submitted", f.claimMailsSince(submitted, mark), mailsTo("claim_ended", fxOtherAdmin, fxFabrikamContact))
	_, err := f.s.Apply(f.ctx, nil, f.otherAdm, req(draft, models.ActSubmit))
	if ce, ok := models.IsCheckError(err); !ok || ce.Fields["line_0"] != "claim.err_sub_ended" {
		t.Errorf("submitting the draft: %v", err)
	}
	// A second pass changes nothing.
	before := f.snap(official)
	f.runWorker(w)
	f.unchanged(t, "second pass", before, official)
}
