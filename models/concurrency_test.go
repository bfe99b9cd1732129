package models_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm"

	"cpor/models"
)

// concurrencyTrials is how many times each race is run.
const concurrencyTrials = 200

// race runs the functions at the same moment, each in its own goroutine
// (started in a random order, so that each gets to be first), and returns
// their errors in the order given.
func race(fns ...func() error) []error {
	errs := make([]error, len(fns))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, i := range rand.Perm(len(fns)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fns[i]()
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// clone copies a claim driven through the engine (the template) onto a
// fresh subscription: its row and its lines, nothing else. Races need many
// claims in the same state; copying the rows keeps 200 trials fast while
// the state itself was reached through Store.Apply.
func (f *fixture) clone(template int64, sub string) int64 {
	f.t.Helper()
	var cols []string
	if err := f.db.R.Raw(`SELECT name FROM pragma_table_info('claims') WHERE name <> 'id'`).Scan(&cols).Error; err != nil {
		f.t.Fatal(err)
	}
	list := strings.Join(cols, ", ")
	var id int64
	err := f.db.W.Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO claims (`+list+`) SELECT `+list+` FROM claims WHERE id = ?`, template).Error; err != nil {
			return err
		}
		if err := tx.Raw(`SELECT last_insert_rowid()`).Scan(&id).Error; err != nil {
			return err
		}
		return tx.Exec(`INSERT INTO claim_lines (claim_id, organisation_id, product_id, subscription_id, key, state, end_reason)
			SELECT ?, organisation_id, product_id, ?, replace(key, subscription_id, ?), state, end_reason FROM claim_lines WHERE claim_id = ?`,
			id, sub, sub, template).Error
	})
	if err != nil {
		f.t.Fatalf("clone %s: %v", models.ClaimNumber(template), err)
	}
	return id
}

func isRefusal(err error, msg string) bool {
	var r *models.Refusal
	return errors.As(err, &r) && r.MsgID == msg
}

// TestConcurrentApprovals: two organisations' claims on one key, both under
// review, approved at the same moment. Exactly one enters its consent
// period; the other is refused and unchanged.
func TestConcurrentApprovals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tmplA, tmplB := f.claimIn(stReview), f.draftBy(f.otherAdm, f.fabLoc, f.key())
	f.drive(tmplB, stReview)
	for trial := 0; trial < concurrencyTrials; trial++ {
		key := f.key()
		a, b := f.clone(tmplA, key), f.clone(tmplB, key)
		va, vb := f.claim(a).Version, f.claim(b).Version
		approve := func(id, v int64) func() error {
			return func() error {
				_, err := f.s.Apply(f.ctx, nil, f.reviewer, models.Request{ClaimID: id, Action: models.ActApprove, Version: v})
				return err
			}
		}
		mark := f.lastMailID()
		errs := race(approve(a, va), approve(b, vb))
		won, lost := a, b
		if errs[0] != nil {
			won, lost = b, a
			errs[0], errs[1] = errs[1], errs[0]
		}
		if errs[0] != nil || !isRefusal(errs[1], "claim.err_consent_taken") {
			t.Fatalf("trial %d: approvals answered %v and %v; want one success and one refusal", trial, errs[0], errs[1])
		}
		if c := f.claim(won); c.Status != stConsent {
			t.Fatalf("trial %d: the approved claim is %s", trial, c.Status)
		}
		if c := f.claim(lost); c.Status != stReview || c.Version != map[int64]int64{a: va, b: vb}[lost] {
			t.Fatalf("trial %d: the refused claim is %s, version %d", trial, c.Status, c.Version)
		}
		if n := len(f.claimMailsSince(lost, mark)); n != 0 {
			t.Fatalf("trial %d: the refused approval queued %d emails", trial, n)
		}
		if n := f.keysWithTwo(stConsent); n != 0 {
			t.Fatalf("trial %d: %d keys with two lines in a consent period", trial, n)
		}
	}
	// The database itself refuses a second consent-period or official line.
	key := f.key()
	a, b := f.draft(key), f.draftBy(f.otherAdm, f.fabLoc, key)
	for _, st := range []models.Status{stConsent, stOfficial} {
		f.exec(`UPDATE claim_lines SET state = ? WHERE claim_id = ?`, string(st), a)
		if err := f.db.W.Exec(`UPDATE claim_lines SET state = ? WHERE claim_id = ?`, string(st), b).Error; err == nil {
			t.Errorf("the database accepts two %s lines on one key", st)
		}
	}
}

// TestConcurrentCustomerDecisions: three contacts decide at the same moment
// on a claim whose key another organisation holds officially. The first
// decision wins: one transition, one receipt, and never two official lines.
func TestConcurrentCustomerDecisions(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	wins := map[models.Status]int{}
	tmplInc, tmplNew := f.draftBy(f.otherAdm, f.fabLoc, f.key()), f.claimIn(stReview)
	f.drive(tmplInc, stOfficial)
	for trial := 0; trial < concurrencyTrials; trial++ {
		key := f.key()
		incumbent := f.clone(tmplInc, key)
		id := f.clone(tmplNew, key)
		f.do(f.reviewer, id, models.ActApprove)
		tokens := map[string]string{}
		for _, c := range fxCustomers {
			tokens[c] = f.token(id, c)
		}
		decide := func(email string, act models.Action) func() error {
			return func() error {
				_, err := f.s.CustomerDecide(f.ctx, tokens[email], act, "", "198.51.100.7")
				return err
			}
		}
		hist := len(f.transitions(id))
		mark := f.lastMailID()
		errs := race(decide(fxContactEN, models.ActCustomerAccept), decide(fxContactHU, models.ActCustomerOptOut),
			decide(fxTypedCustomer, models.ActCustomerAccept))
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, models.ErrConflict):
				t.Fatalf("trial %d: a losing decision answered %v", trial, err)
			}
		}
		if ok != 1 {
			t.Fatalf("trial %d: %d decisions won (%v)", trial, ok, errs)
		}
		c := f.claim(id)
		wins[c.Status]++
		if n := len(f.transitions(id)) - hist; n != 1 {
			t.Fatalf("trial %d: %d transitions", trial, n)
		}
		if n := f.int(`SELECT count(*) FROM outbox WHERE id > ? AND kind = 'consent_receipt'`, mark); n != 1 {
			t.Fatalf("trial %d: %d receipts", trial, n)
		}
		inc := f.claim(incumbent)
		switch c.Status {
		case stOfficial:
			if inc.Status != stEnded || inc.Reason != models.ReasonSuperseded {
				t.Fatalf("trial %d: the incumbent is %s — %s after being superseded", trial, inc.Status, inc.Reason)
			}
			wantMails(t, "superseded incumbent", f.claimMailsSince(incumbent, mark), mailsTo("claim_superseded", fxOtherAdmin, fxFabrikamContact))
		case stRejected:
			if inc.Status != stOfficial {
				t.Fatalf("trial %d: the incumbent is %s after the newcomer's opt-out", trial, inc.Status)
			}
			if n := len(f.claimMailsSince(incumbent, mark)); n != 0 {
				t.Fatalf("trial %d: the incumbent got %d emails", trial, n)
			}
		default:
			t.Fatalf("trial %d: the claim is %s", trial, c.Status)
		}
		if n := f.keysWithTwo(stOfficial); n != 0 {
			t.Fatalf("trial %d: %d keys with two official lines", trial, n)
		}
	}
	t.Logf("outcomes over %d trials: %v", concurrencyTrials, wins)
}

// TestDecisionAndDeadlineRace: the customer decides at D while the worker
// applies the deadline. The deadline's outcome holds, exactly once.
func TestDecisionAndDeadlineRace(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	w, _ := f.worker()
	start := f.clock.Now()
	tmplInc, tmplNew := f.draftBy(f.otherAdm, f.fabLoc, f.key()), f.claimIn(stReview)
	f.drive(tmplInc, stOfficial)
	for trial := 0; trial < concurrencyTrials; trial++ {
		f.clock.Set(start)
		key := f.key()
		incumbent := f.clone(tmplInc, key)
		id := f.clone(tmplNew, key)
		f.do(f.reviewer, id, models.ActApprove)
		d := f.claim(id).ConsentDueAt.Time
		tok := f.token(id, fxContactHU)
		act := models.ActCustomerOptOut
		if trial%2 == 1 {
			act = models.ActCustomerAccept
		}
		f.clock.Set(d)
		// Earlier trials' mail counts as delivered: the race is about timers.
		f.exec(`UPDATE outbox SET state = 'sent', secret = '' WHERE state = 'queued'`)
		mark := f.lastMailID()
		errs := race(func() error {
			_, err := f.s.CustomerDecide(f.ctx, tok, act, "", "198.51.100.7")
			return err
		}, func() error { return w.RunOnce(f.ctx) })
		if !errors.Is(errs[0], models.ErrConflict) || errs[1] != nil {
			t.Fatalf("trial %d: %s at D answered %v; the worker %v", trial, act, errs[0], errs[1])
		}
		c := f.claim(id)
		if c.Status != stOfficial || !c.OfficialAt.Equal(d) || c.CustomerDecision != "" {
			t.Fatalf("trial %d: %s since %s, decision %q", trial, c.Status, c.OfficialAt, c.CustomerDecision)
		}
		expired := 0
		for _, h := range f.transitions(id) {
			if h.Kind == string(models.ActConsentExpire) {
				expired++
			}
			if h.Kind == string(models.ActCustomerAccept) || h.Kind == string(models.ActCustomerOptOut) {
				t.Fatalf("trial %d: a customer decision was recorded at D", trial)
			}
		}
		if expired != 1 {
			t.Fatalf("trial %d: %d consent_expire transitions", trial, expired)
		}
		wantMails(t, "deadline", f.claimMailsSince(id, mark), mailsTo("claim_official", fxPartnerMail...))
		if inc := f.claim(incumbent); inc.Status != stEnded || inc.Reason != models.ReasonSuperseded {
			t.Fatalf("trial %d: the incumbent is %s — %s", trial, inc.Status, inc.Reason)
		}
		if n := f.keysWithTwo(stOfficial); n != 0 {
			t.Fatalf("trial %d: %d keys with two official lines", trial, n)
		}
	}
}
