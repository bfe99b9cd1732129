package models_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"cpor/models"
	"cpor/views"
)

// The fixture's clock starts on Wednesday 4 March 2026, 10:00 UTC, so:
var (
	// fxD5 is D for five business days: after Wednesday 11 March.
	fxD5 = time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)
	// fxRemind is two business days before fxD5: after Monday 9 March.
	fxRemind = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	// fxDispute is the end of a rejection's dispute window: after 3 April.
	fxDispute = time.Date(2026, 4, 4, 0, 0, 0, 0, time.UTC)
)

func (f *fixture) mailCount(id int64, kind string) int64 {
	return f.int(`SELECT count(*) FROM outbox WHERE claim_id = ? AND kind = ?`, id, kind)
}

// TestInformationRequestTimers: a reminder 2 business days before D, then
// Rejected — No partner response at D; only Resubmit stops it; a new request
// starts a new deadline.
func TestInformationRequestTimers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	w, sent := f.worker()
	id := f.claimIn(stAction)
	resubmitted := f.claimIn(stAction)
	again := f.claimIn(stAction)
	if c := f.claim(id); !c.InfoDueAt.Equal(fxD5) {
		t.Fatalf("information deadline %s, want %s", c.InfoDueAt, fxD5)
	}

	// Resubmitted before the reminder: nothing more happens to it.
	f.clock.Set(fxRemind.Add(-time.Hour))
	f.do(f.admin, resubmitted, models.ActResubmit)
	// Asked again (resubmit, then a new request a day later): a new deadline.
	f.do(f.admin, again, models.ActResubmit)
	f.clock.Set(fxRemind.Add(-time.Millisecond))
	f.runWorker(w)
	if n := f.mailCount(id, "claim_info_reminder"); n != 0 {
		t.Fatalf("%d reminders before the reminder is due", n)
	}
	f.clock.Set(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	f.do(f.reviewer, again, models.ActRequestInfo) // Tuesday: D = after Tuesday 17 March
	againD := time.Date(2026, 3, 18, 0, 0, 0, 0, time.UTC)
	if c := f.claim(again); !c.InfoDueAt.Equal(againD) {
		t.Fatalf("the new request's deadline is %s, want %s", c.InfoDueAt, againD)
	}

	f.clock.Set(fxRemind)
	mark := f.lastMailID()
	f.runWorker(w)
	wantMails(t, "reminder pass", f.mailsSince(mark), mailsTo("claim_info_reminder", fxPartnerMail...))
	if sent.count("claim_info_reminder", fxUser) != 1 {
		t.Errorf("the reminder was not delivered to the creator")
	}
	f.runWorker(w) // idempotent
	if n := f.mailCount(id, "claim_info_reminder"); n != 2 {
		t.Errorf("%d reminder emails after two passes, want one per partner recipient", n)
	}

	f.clock.Set(fxD5.Add(-time.Millisecond))
	f.runWorker(w)
	if c := f.claim(id); c.Status != stAction {
		t.Fatalf("one millisecond before D the claim is %s", c.Status)
	}

	f.clock.Set(fxD5)
	mark = f.lastMailID()
	f.runWorker(w)
	c := f.claim(id)
	if c.Status != stRejected || c.Reason != models.ReasonNoPartnerResponse {
		t.Fatalf("at D the claim is %s — %s", c.Status, c.Reason)
	}
	if !c.StatusAt.Equal(fxD5) {
		t.Errorf("rejected at %s, want at D %s", c.StatusAt, fxD5)
	}
	// The dispute window runs 30 days from D's day (12 March) and has its timers.
	if want := time.Date(2026, 4, 12, 0, 0, 0, 0, time.UTC); !c.DisputeUntil.Equal(want) {
		t.Errorf("dispute until %s, want %s", c.DisputeUntil, want)
	}
	if got := f.pendingTimers(id); !slices.Equal(got, []string{models.TimerDisputeClose, models.TimerDisputeReminder}) {
		t.Errorf("pending timers %v", got)
	}
	wantMails(t, "deadline pass", f.mailsSince(mark), mailsTo("claim_rejected", fxPartnerMail...))
	tr := f.transitions(id)
	if last := tr[len(tr)-1]; last.Kind != string(models.ActInfoExpire) || last.ActorRole != string(roleSystem) {
		t.Errorf("last transition %+v", last)
	}
	for _, other := range []int64{resubmitted, again} {
		if c := f.claim(other); c.Status != stReview && c.Status != stAction {
			t.Errorf("%s is %s at the old deadline", models.ClaimNumber(other), c.Status)
		}
	}
	if f.claim(again).Status != stAction {
		t.Errorf("the claim asked again was rejected on the old deadline")
	}
	if n := f.mailCount(resubmitted, "claim_info_reminder") + f.mailCount(again, "claim_info_reminder"); n != 0 {
		t.Errorf("%d reminders for claims that were resubmitted", n)
	}
	f.clock.Set(againD)
	f.runWorker(w)
	if c := f.claim(again); c.Status != stRejected {
		t.Errorf("at its own deadline the claim asked again is %s", c.Status)
	}
}

// TestDisputeWindowTimers: a reminder 5 days before the window closes; at
// its end Dispute is refused with its message and no longer offered.
func TestDisputeWindowTimers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	w, _ := f.worker()
	id := f.claimIn(stRejected)
	disputed := f.claimIn(stRejected)
	f.do(f.admin, disputed, models.ActDispute)
	if c := f.claim(id); !c.DisputeUntil.Equal(fxDispute) {
		t.Fatalf("dispute until %s, want %s", c.DisputeUntil, fxDispute)
	}
	remind := fxDispute.AddDate(0, 0, -5)

	f.clock.Set(remind.Add(-time.Millisecond))
	f.runWorker(w)
	if n := f.mailCount(id, "claim_dispute_reminder"); n != 0 {
		t.Fatalf("%d reminders early", n)
	}
	f.clock.Set(remind)
	mark := f.lastMailID()
	f.runWorker(w)
	f.runWorker(w)
	wantMails(t, "reminder", f.mailsSince(mark), mailsTo("claim_dispute_reminder", fxPartnerMail...))

	f.clock.Set(fxDispute.Add(-time.Millisecond))
	if !slices.Contains(models.AllowedActions(f.claim(id), f.admin, f.clock.Now()), models.ActDispute) {
		t.Error("Dispute is not offered just before the window closes")
	}
	f.clock.Set(fxDispute)
	if slices.Contains(models.AllowedActions(f.claim(id), f.admin, f.clock.Now()), models.ActDispute) {
		t.Error("Dispute is offered after the window closed")
	}
	before := f.snap(id)
	_, err := f.s.Apply(f.ctx, nil, f.admin, req(id, models.ActDispute))
	var r *models.Refusal
	if !errors.As(err, &r) || r.MsgID != "claim.err_dispute_closed" {
		t.Fatalf("dispute after the window: %v", err)
	}
	if msg := views.TheCatalog().Text("en", r.MsgID, nil); msg != "The dispute window for this rejection has closed." {
		t.Errorf("message %q", msg)
	}
	f.unchanged(t, "late dispute", before, id)
	f.runWorker(w)
	f.runWorker(w)
	closed := 0
	for _, h := range f.history(id) {
		if h.Kind == "dispute_window_closed" {
			closed++
		}
	}
	if closed != 1 {
		t.Errorf("%d dispute_window_closed rows", closed)
	}
	if n := f.mailCount(disputed, "claim_dispute_reminder"); n != 0 {
		t.Errorf("a disputed claim got %d dispute reminders", n)
	}
	if w := models.WaitingOn(f.claim(id), viewerOf(f.admin), f.clock.Now()); w.DeadlineKind != "" {
		t.Errorf("a closed window still shows a deadline: %+v", w)
	}
}

// TestDeadlineEdge: a customer decision at D − 1 s counts; at D the
// deadline's outcome holds even before the worker runs (SPEC §4.4).
func TestDeadlineEdge(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	optOut := f.claimIn(stConsent)
	accept := f.claimIn(stConsent)
	late := f.claimIn(stConsent)
	ended := f.claimIn(stConsent)
	lateInfo := f.claimIn(stAction)
	onTime := f.claimIn(stAction)
	d := f.claim(late).ConsentDueAt.Time
	if !d.Equal(fxD5) {
		t.Fatalf("D = %s", d)
	}

	f.clock.Set(d.Add(-time.Second))
	if _, err := f.decide(optOut, fxContactHU, models.ActCustomerOptOut); err != nil {
		t.Fatalf("opt-out at D − 1 s: %v", err)
	}
	if _, err := f.decide(accept, fxContactEN, models.ActCustomerAccept); err != nil {
		t.Fatalf("accept at D − 1 s: %v", err)
	}
	f.do(f.admin, onTime, models.ActResubmit)
	if c := f.claim(optOut); c.Status != stRejected || c.Reason != models.ReasonCustomerOptedOut {
		t.Errorf("opt-out at D − 1 s: %s — %s", c.Status, c.Reason)
	}
	if c := f.claim(accept); c.Status != stOfficial || !c.OfficialAt.Equal(d.Add(-time.Second)) {
		t.Errorf("accept at D − 1 s: %s since %s", c.Status, c.OfficialAt)
	}

	f.clock.Set(d)
	// The customer's page says Official since D before the worker has run.
	v, err := f.s.CustomerLink(f.ctx, f.token(late, fxContactEN))
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != stOfficial || !v.OfficialAt.Equal(d) {
		t.Errorf("customer page at D: %s since %s", v.Status, v.OfficialAt)
	}
	mark := f.lastMailID()
	for _, act := range []models.Action{models.ActCustomerOptOut, models.ActCustomerAccept} {
		before := f.snap(late)
		if _, err := f.decide(late, fxContactHU, act); !errors.Is(err, models.ErrConflict) {
			t.Errorf("%s at D: %v, want a conflict (the deadline decided)", act, err)
		}
		f.unchanged(t, string(act)+" at D", before, late)
	}
	if _, err := f.s.Apply(f.ctx, nil, f.admin, models.Request{ClaimID: lateInfo, Action: models.ActResubmit}); !errors.Is(err, models.ErrConflict) {
		t.Errorf("resubmit at D: %v, want a conflict", err)
	}
	// An action that still applies after the deadline's outcome commits both.
	f.do(f.admin, ended, models.ActEnd)
	tr := f.transitions(ended)
	if len(tr) < 2 || tr[len(tr)-2].Kind != string(models.ActConsentExpire) || tr[len(tr)-1].Kind != string(models.ActEnd) {
		t.Errorf("End at D: transitions %+v", tr)
	}
	if c := f.claim(ended); !c.OfficialAt.Equal(d) || c.Status != stEnded {
		t.Errorf("ended claim: %s, official since %s", c.Status, c.OfficialAt)
	}

	w, _ := f.worker()
	f.runWorker(w)
	c := f.claim(late)
	if c.Status != stOfficial || !c.OfficialAt.Equal(d) || c.CustomerDecision != "" {
		t.Errorf("after the worker: %s since %s, decision %q", c.Status, c.OfficialAt, c.CustomerDecision)
	}
	n := 0
	for _, h := range f.transitions(late) {
		if h.Kind == string(models.ActConsentExpire) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d consent_expire transitions", n)
	}
	wantMails(t, "deadline", f.claimMailsSince(late, mark), mailsTo("claim_official", fxPartnerMail...))
	wantMails(t, "end at D", f.claimMailsSince(ended, mark), mailsTo("claim_official", fxPartnerMail...), mailsTo("claim_ended", fxPartnerMail...))
	if c := f.claim(lateInfo); c.Status != stRejected || !c.StatusAt.Equal(fxD5) {
		t.Errorf("information deadline: %s at %s", c.Status, c.StatusAt)
	}
	if c := f.claim(onTime); c.Status != stReview {
		t.Errorf("resubmitted at D − 1 s: %s", c.Status)
	}
}

// TestWorkerIsIdempotentAndCatchesUp: after "downtime" one pass applies
// everything due, with each outcome dated at its deadline and no stale
// reminders; a second pass changes nothing.
func TestWorkerIsIdempotentAndCatchesUp(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	w, sent := f.worker()
	consent := f.claimIn(stConsent)
	info := f.claimIn(stAction)
	rejected := f.claimIn(stRejected)
	official := f.claimIn(stOfficial)
	f.runWorker(w) // deliver what the set-up queued

	f.clock.Set(time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)) // three months of downtime
	f.runWorker(w)
	if c := f.claim(consent); c.Status != stOfficial || !c.OfficialAt.Equal(fxD5) || !c.StatusAt.Equal(fxD5) {
		t.Errorf("consent claim after downtime: %s since %s (status at %s), want official since %s", c.Status, c.OfficialAt, c.StatusAt, fxD5)
	}
	if c := f.claim(info); c.Status != stRejected || c.Reason != models.ReasonNoPartnerResponse {
		t.Errorf("information claim after downtime: %s — %s", c.Status, c.Reason)
	}
	if c := f.claim(official); c.Status != stOfficial {
		t.Errorf("official claim after downtime: %s", c.Status)
	}
	for _, id := range []int64{consent, info, rejected, official} {
		if p := f.pendingTimers(id); len(p) != 0 {
			t.Errorf("%s still has timers %v after one pass", models.ClaimNumber(id), p)
		}
	}
	for _, kind := range []string{"claim_info_reminder", "claim_dispute_reminder"} {
		if n := f.int(`SELECT count(*) FROM outbox WHERE kind = ?`, kind); n != 0 {
			t.Errorf("%d stale %s emails after downtime", n, kind)
		}
	}
	for _, id := range []int64{info, rejected} {
		closed := 0
		for _, h := range f.history(id) {
			if h.Kind == "dispute_window_closed" {
				closed++
			}
		}
		if closed != 1 {
			t.Errorf("%s: %d dispute_window_closed rows", models.ClaimNumber(id), closed)
		}
	}
	if sent.count("claim_official", fxUser) != 1 || sent.count("claim_rejected", fxUser) != 2 {
		t.Errorf("delivered: %d official, %d rejected", sent.count("claim_official", fxUser), sent.count("claim_rejected", fxUser))
	}

	snaps := map[int64]snapshot{}
	for _, id := range []int64{consent, info, rejected, official} {
		snaps[id] = f.snap(id)
	}
	files := sent.files()
	f.clock.Set(time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC))
	f.runWorker(w)
	f.runWorker(w)
	for id, s := range snaps {
		f.unchanged(t, "another pass", s, id)
	}
	if sent.files() != files {
		t.Errorf("%d more messages delivered by passes with nothing due", sent.files()-files)
	}
}
