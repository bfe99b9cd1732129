package models_test

import (
	"testing"
	"time"

	"cpor/models"
)

// BenchmarkApplySubmit measures the engine's apply on the hottest action:
// Submit claim, with its checks, the history row, the timers and two
// emails rendered into the outbox, in one transaction.
func BenchmarkApplySubmit(b *testing.B) {
	f := newFixture(b)
	ids := make([]int64, b.N)
	for i := range ids {
		ids[i] = f.draft()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f.s.Apply(f.ctx, nil, f.admin, models.Request{ClaimID: ids[i], Action: models.ActSubmit}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBusinessDeadline measures the deadline rule of SPEC §4.4 over a
// holiday calendar.
func BenchmarkBusinessDeadline(b *testing.B) {
	loc, err := time.LoadLocation("Europe/Budapest")
	if err != nil {
		b.Fatal(err)
	}
	holidays := map[string]bool{"2026-12-24": true, "2026-12-25": true, "2026-12-26": true, "2027-01-01": true}
	isHoliday := func(d string) bool { return holidays[d] }
	start := time.Date(2026, time.December, 22, 10, 0, 0, 0, loc)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		models.BusinessDeadline(start.Add(time.Duration(i%500)*time.Hour), 5, loc, isHoliday)
	}
}
