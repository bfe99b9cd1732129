package models_test

import (
	"testing"

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
		err = f.s.ExportClaims(f.ctx, v, models.ListFilter{}, func(r *models.ExportRow) error {
			if r.Competing != got[r.ID] {
				t.Errorf("claim %d: export competing %v, list %v", r.ID, r.Competing, got[r.ID])
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
