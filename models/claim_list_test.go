package models_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"cpor/models"
)

// TestListCompeting: the list, its competing filter and the export flag a
// claim once another organisation's line on one of its keys is past Editing
// — for both partners — and never flag a claim whose keys nobody else holds.
func TestListCompeting(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shared, alone := f.key(), f.key()
	mine := f.draft(shared)
	lonely := f.draft(alone)
	f.drive(mine, stReview)
	f.drive(lonely, stReview)

	competing := func(who models.Who) map[int64]bool {
		t.Helper()
		v := viewerOf(who)
		page, err := f.s.ListClaims(f.ctx, v, models.ListFilter{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64]bool{}
		for _, r := range page.Rows {
			got[r.ID] = r.Competing
		}
		filtered, err := f.s.ListClaims(f.ctx, v, models.ListFilter{Competing: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range filtered.Rows {
			if !got[r.ID] {
				t.Errorf("competing filter shows claim %d the list does not flag", r.ID)
			}
		}
		flagged := 0
		for _, c := range got {
			if c {
				flagged++
			}
		}
		if flagged != len(filtered.Rows) {
			t.Errorf("%d claims flagged competing, the filter shows %d", flagged, len(filtered.Rows))
		}
		tenant := f.str(`SELECT name FROM tenants WHERE id = ?`, fxTenant)
		err = f.s.ExportClaims(f.ctx, v, models.ListFilter{}, func(r *models.ExportRow) error {
			if r.Competing != got[r.ID] {
				t.Errorf("claim %d: export competing %v, list %v", r.ID, r.Competing, got[r.ID])
			}
			if r.TenantID != fxTenant || r.TenantName != tenant || tenant == "" {
				t.Errorf("claim %d: export tenant %s %q, want %s %q", r.ID, r.TenantID, r.TenantName, fxTenant, tenant)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	if got := competing(f.admin); got[mine] || got[lonely] {
		t.Fatalf("competing before anyone else claims the key: %v", got)
	}
	// Fabrikam's draft on the same key: a draft is nobody's business yet,
	// but Fabrikam's own draft competes with Contoso's submitted claim.
	theirs := f.draftBy(f.otherAdm, f.fabLoc, shared)
	if got := competing(f.admin); got[mine] {
		t.Error("Contoso's claim competes with a Fabrikam draft")
	}
	if got := competing(f.otherAdm); !got[theirs] {
		t.Error("Fabrikam's draft does not show Contoso's submitted claim on its key")
	}
	f.drive(theirs, stReview)
	got := competing(f.admin)
	if !got[mine] || got[lonely] {
		t.Errorf("after Fabrikam submits: mine %v (want true), lonely %v (want false)", got[mine], got[lonely])
	}
	// Withdrawn: Fabrikam's line no longer competes.
	f.do(f.otherAdm, theirs, models.ActWithdraw)
	if got := competing(f.admin); got[mine] {
		t.Error("a withdrawn claim still makes Contoso's claim competing")
	}
}

// TestDueWeekCount: the dashboard's "deadlines this week" equals the list's
// due_week view at every moment — as time moves a deadline into and out of
// the window, and as claims change — although it is counted once and kept.
func TestDueWeekCount(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	check := func(what string) {
		t.Helper()
		for _, who := range []models.Who{f.admin, f.user} {
			v := viewerOf(who)
			d, err := f.s.PartnerDashboard(f.ctx, v)
			if err != nil {
				t.Fatal(err)
			}
			page, err := f.s.ListClaims(f.ctx, v, models.ListFilter{View: "due_week", Limit: 200})
			if err != nil {
				t.Fatal(err)
			}
			if d.DueWeek != int64(len(page.Rows)) {
				t.Errorf("%s, %s: dashboard counts %d deadlines this week, the list shows %d", what, who.Role, d.DueWeek, len(page.Rows))
			}
		}
	}
	check("no claims")
	a := f.draft(f.key())
	f.drive(a, stConsent)
	check("a claim in its consent period")
	b := f.draft(f.key())
	f.drive(b, stAction)
	check("and one waiting for information")
	due := f.claim(a).ConsentDueAt.Time
	// The clock crosses a's deadline: the count changes with no claim changing.
	f.clock.Set(due.Add(-time.Millisecond))
	check("1 ms before a's deadline")
	f.clock.Set(due)
	check("at a's deadline")
	f.clock.Set(due.Add(time.Hour))
	check("an hour after")
	// A deadline set now is 5 business days away: it enters the window later.
	c := f.draft(f.key())
	f.drive(c, stAction)
	check("a new information request")
	f.clock.Set(f.claim(c).InfoDueAt.Add(-7 * 24 * time.Hour))
	check("exactly 7 days before its deadline")
	f.clock.Set(f.claim(c).InfoDueAt.Add(-7*24*time.Hour + time.Millisecond))
	check("7 days less 1 ms before its deadline")
	// A claim's change moves the count: resubmitted, c has no deadline.
	f.do(f.admin, c, models.ActResubmit)
	check("after a resubmission")
}

// TestExportMatchesListAcrossBatches: the export, read ahead in batches on
// another goroutine, gives every claim of the list once, in the list's
// order, each with its tenant's name (tenants recurring across batches);
// a writer that fails part-way stops it with that error.
func TestExportMatchesListAcrossBatches(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for range 600 {
		f.draft(f.key())
	}
	// Three tenants spread over the claims, so every batch repeats names
	// already looked up and meets some for the first time.
	f.exec(`INSERT INTO tenants (id, name, updated_at) VALUES ('tenant-a', 'Alpha Ltd', 0), ('tenant-b', 'Béta Kft.', 0)`)
	f.exec(`UPDATE claims SET tenant_id = CASE id % 3 WHEN 0 THEN 'tenant-a' WHEN 1 THEN 'tenant-b' ELSE tenant_id END`)
	wantName := map[string]string{"tenant-a": "Alpha Ltd", "tenant-b": "Béta Kft.", fxTenant: f.str(`SELECT name FROM tenants WHERE id = ?`, fxTenant)}
	v := viewerOf(f.admin)
	var listed []int64
	for after := ""; ; {
		page, err := f.s.ListClaims(f.ctx, v, models.ListFilter{After: after, Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Rows {
			listed = append(listed, r.ID)
		}
		if after = page.Next; after == "" {
			break
		}
	}
	var exported []int64
	if err := f.s.ExportClaims(f.ctx, v, models.ListFilter{}, func(r *models.ExportRow) error {
		exported = append(exported, r.ID)
		if want := wantName[r.TenantID]; r.TenantName != want || want == "" {
			t.Errorf("%s: tenant %s named %q, want %q", r.Number(), r.TenantID, r.TenantName, want)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(listed) < 600 || fmt.Sprint(exported) != fmt.Sprint(listed) {
		t.Fatalf("export gave %d claims, the list %d (or in another order)", len(exported), len(listed))
	}
	errFull := errors.New("disk full")
	n := 0
	err := f.s.ExportClaims(f.ctx, v, models.ListFilter{}, func(*models.ExportRow) error {
		if n++; n == 300 {
			return errFull
		}
		return nil
	})
	if !errors.Is(err, errFull) || n != 300 {
		t.Errorf("a writer failing at row 300: export returned %v after %d rows", err, n)
	}
}

// TestListDeadlineEveryStatus: the list and the export show each claim's
// next deadline as the database's next_deadline column defines it, in every
// status — including a rejection whose dispute was upheld (no deadline left).
// The list spells the column's rule out to read it from its index
// (nextDeadlineSQL); this is what keeps the two the same.
func TestListDeadlineEveryStatus(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for st := range fxPaths {
		f.claimIn(st)
	}
	upheld := f.claimIn(models.StatusDisputed)
	f.do(f.reviewer, upheld, models.ActUphold)

	want := map[int64]int64{}
	withDeadline := 0
	rows, err := f.db.R.Raw(`SELECT id, coalesce(next_deadline, 0) FROM claims
		WHERE organisation_id = (SELECT organisation_id FROM users WHERE email = ?)`, fxAdmin).Rows()
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, d int64
		if err := rows.Scan(&id, &d); err != nil {
			t.Fatal(err)
		}
		want[id] = d
		if d != 0 {
			withDeadline++
		}
	}
	rows.Close()
	if withDeadline < 3 || want[upheld] != 0 {
		t.Fatalf("fixture: %d claims with a deadline (want consent, action required, rejected), upheld %d", withDeadline, want[upheld])
	}
	v := viewerOf(f.person(fxAdmin))
	page, err := f.s.ListClaims(f.ctx, v, models.ListFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Rows) != len(want) {
		t.Fatalf("list shows %d claims, want %d", len(page.Rows), len(want))
	}
	check := func(where string, id int64, got models.Time) {
		t.Helper()
		var ms int64
		if !got.IsZero() {
			ms = got.UnixMilli()
		}
		if ms != want[id] {
			t.Errorf("%s: claim %d (%s) deadline %d, want %d", where, id, f.claim(id).Status, ms, want[id])
		}
	}
	for _, r := range page.Rows {
		check("list", r.ID, r.NextDeadline)
	}
	exported := 0
	if err := f.s.ExportClaims(f.ctx, v, models.ListFilter{}, func(r *models.ExportRow) error {
		exported++
		check("export", r.ID, r.NextDeadline)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if exported != len(want) {
		t.Errorf("export wrote %d claims, want %d", exported, len(want))
	}
}
