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

// TestReviewQueueOverdueCount: the queue's "overdue" count grows at the
// instant a review falls due and drops as soon as a claim leaves review,
// though it is kept between page views.
func TestReviewQueueOverdueCount(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var ids []int64
	for range 3 {
		id := f.draft()
		f.do(f.admin, id, models.ActSubmit)
		ids = append(ids, id)
		f.clock.Advance(24 * time.Hour)
	}
	overdue := func(want int64, when string) {
		t.Helper()
		c, err := f.s.ReviewQueueCounts(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		rows, _, err := f.s.ReviewQueue(f.ctx, models.QueueFilter{Overdue: true})
		if err != nil {
			t.Fatal(err)
		}
		if c.Overdue != want || int64(len(rows)) != want {
			t.Errorf("%s: overdue count %d, filter shows %d, want %d", when, c.Overdue, len(rows), want)
		}
	}
	overdue(0, "just submitted")
	first, last := f.claim(ids[0]).ReviewDueAt.Time, f.claim(ids[2]).ReviewDueAt.Time
	f.clock.Set(first.Add(-time.Millisecond))
	overdue(0, "a millisecond before the first review is due")
	f.clock.Set(first)
	overdue(1, "when the first review is due")
	f.clock.Set(last)
	overdue(3, "when the last review is due")
	f.do(f.reviewer, ids[1], models.ActStartReview)
	overdue(3, "one under review")
	f.do(f.reviewer, ids[1], models.ActApprove)
	overdue(2, "one approved")
}
