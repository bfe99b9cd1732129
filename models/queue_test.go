package models_test

import (
	"fmt"
	"testing"
	"time"

	"cpor/models"
)

// TestReviewQueueFiltersAndPages: the queue lists the claims the program
// works on oldest first, across keyset pages each claim once, with its
// organisation's name; each filter keeps exactly its claims.
func TestReviewQueueFiltersAndPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	shared := f.key()
	var ids []int64
	for i := range 5 {
		id := f.draft()
		if i == 0 {
			id = f.draft(shared)
		}
		f.do(f.admin, id, models.ActSubmit)
		f.clock.Advance(time.Minute)
		ids = append(ids, id)
	}
	rival := f.draftBy(f.otherAdm, f.fabLoc, shared)
	f.do(f.otherAdm, rival, models.ActSubmit)
	ids = append(ids, rival)
	f.clock.Advance(time.Minute)
	f.do(f.reviewer, ids[1], models.ActStartReview)
	f.do(f.reviewer, ids[1], models.ActRequestInfo) // moves ids[1] to the end: it entered its status last
	order := []int64{ids[0], ids[2], ids[3], ids[4], rival, ids[1]}

	queue := func(fl models.QueueFilter) []int64 {
		t.Helper()
		var got []int64
		for pages := 0; ; pages++ {
			rows, next, err := f.s.ReviewQueue(f.ctx, fl)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				got = append(got, r.ID)
				wantOrg := "Contoso Partners"
				if r.ID == rival {
					wantOrg = "Fabrikam Services"
				}
				if r.OrgName != wantOrg || r.Name == "" || r.StatusAt.IsZero() {
					t.Errorf("%s: organisation %q, name %q, status since %v", models.ClaimNumber(r.ID), r.OrgName, r.Name, r.StatusAt)
				}
				if r.Competing != (r.ID == ids[0] || r.ID == rival) {
					t.Errorf("%s: competing %v", models.ClaimNumber(r.ID), r.Competing)
				}
			}
			if next == "" || pages > 10 {
				return got
			}
			fl.After = next
		}
	}
	if got := queue(models.QueueFilter{Limit: 2}); fmt.Sprint(got) != fmt.Sprint(order) {
		t.Errorf("queue by pages of 2: %v, want %v", got, order)
	}
	if got := queue(models.QueueFilter{Status: models.StatusActionRequired}); fmt.Sprint(got) != fmt.Sprint([]int64{ids[1]}) {
		t.Errorf("action required: %v, want %v", got, ids[1:2])
	}
	if got := queue(models.QueueFilter{Competing: true}); fmt.Sprint(got) != fmt.Sprint([]int64{ids[0], rival}) {
		t.Errorf("competing: %v, want %v and %v", got, ids[0], rival)
	}
	f.exec(`UPDATE claims SET review_due_at = ? WHERE id = ?`, f.clock.Now().Add(-time.Hour).UnixMilli(), ids[3])
	if got := queue(models.QueueFilter{Overdue: true}); fmt.Sprint(got) != fmt.Sprint([]int64{ids[3]}) {
		t.Errorf("overdue: %v, want %v", got, ids[3])
	}
}
