package models_test

import (
	"testing"
	"time"

	"cpor/models"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func holidays(days ...string) func(string) bool {
	set := map[string]bool{}
	for _, d := range days {
		set[d] = true
	}
	return func(d string) bool { return set[d] }
}

// TestBusinessDeadline: D = 00:00 of the day after the N-th business day
// after the event's day, in the platform zone (SPEC §4.4).
func TestBusinessDeadline(t *testing.T) {
	t.Parallel()
	utc := time.UTC
	bud := mustZone(t, "Europe/Budapest")
	at := func(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, loc)
	}
	midnight := func(loc *time.Location, y int, m time.Month, d int) time.Time { return at(loc, y, m, d, 0, 0) }
	cases := []struct {
		name  string
		event time.Time
		n     int
		loc   *time.Location
		hols  []string
		want  time.Time
	}{
		{"worked example: approved Wednesday 10:00 → next Thursday 00:00", at(utc, 2026, 3, 4, 10, 0), 5, utc, nil, midnight(utc, 2026, 3, 12)},
		{"event late on Friday, one day", at(utc, 2026, 3, 6, 23, 59), 1, utc, nil, midnight(utc, 2026, 3, 10)},
		{"event on Saturday counts from Monday", at(utc, 2026, 3, 7, 9, 0), 1, utc, nil, midnight(utc, 2026, 3, 10)},
		{"event on Sunday night, five days", at(utc, 2026, 3, 8, 23, 59), 5, utc, nil, midnight(utc, 2026, 3, 14)},
		{"event at 00:00 Monday: the event's own day does not count", midnight(utc, 2026, 3, 9), 1, utc, nil, midnight(utc, 2026, 3, 11)},
		{"a holiday is skipped", at(utc, 2026, 3, 4, 10, 0), 5, utc, []string{"2026-03-09"}, midnight(utc, 2026, 3, 13)},
		{"a holiday on a weekend changes nothing", at(utc, 2026, 3, 4, 10, 0), 5, utc, []string{"2026-03-07", "2026-03-08"}, midnight(utc, 2026, 3, 12)},
		{"a holiday on the event's day changes nothing", at(utc, 2026, 3, 4, 10, 0), 5, utc, []string{"2026-03-04"}, midnight(utc, 2026, 3, 12)},
		{"month end", at(utc, 2026, 1, 30, 15, 0), 5, utc, nil, midnight(utc, 2026, 2, 7)},
		{"month end with 30 days", at(utc, 2026, 4, 29, 8, 0), 2, utc, nil, midnight(utc, 2026, 5, 2)},
		{"year end with Christmas and New Year", at(utc, 2025, 12, 23, 16, 0), 5, utc,
			[]string{"2025-12-24", "2025-12-25", "2025-12-26", "2026-01-01"}, midnight(utc, 2026, 1, 6)},
		{"year end, last business day", at(utc, 2026, 12, 31, 12, 0), 1, utc, []string{"2027-01-01"}, midnight(utc, 2027, 1, 5)},
		{"leap day", at(utc, 2028, 2, 28, 12, 0), 2, utc, nil, midnight(utc, 2028, 3, 2)},
		{"Budapest: the day is the zone's (Friday 00:30 CET is Thursday in UTC)", time.Date(2026, 3, 26, 23, 30, 0, 0, utc), 1, bud, nil, midnight(bud, 2026, 3, 31)},
		{"UTC: the same instant is Thursday", time.Date(2026, 3, 26, 23, 30, 0, 0, utc), 1, utc, nil, midnight(utc, 2026, 3, 28)},
		{"Budapest: clocks go forward on Sunday 29 March", at(bud, 2026, 3, 27, 11, 0), 1, bud, nil, midnight(bud, 2026, 3, 31)},
		{"Budapest: five days across the change", at(bud, 2026, 3, 25, 11, 0), 5, bud, nil, midnight(bud, 2026, 4, 2)},
		{"Budapest: clocks go back on Sunday 25 October", at(bud, 2026, 10, 23, 14, 0), 1, bud, nil, midnight(bud, 2026, 10, 27)},
		{"Budapest: event on the Sunday of the change", at(bud, 2026, 10, 25, 2, 30), 1, bud, nil, midnight(bud, 2026, 10, 27)},
		{"Budapest: holidays are the zone's days", at(bud, 2026, 3, 13, 9, 0), 1, bud, []string{"2026-03-16"}, midnight(bud, 2026, 3, 18)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := models.BusinessDeadline(c.event, c.n, c.loc, holidays(c.hols...))
			if !got.Equal(c.want) {
				t.Errorf("BusinessDeadline(%s, %d) = %s, want %s", c.event.In(c.loc), c.n, got.In(c.loc), c.want)
			}
			if l := got.In(c.loc); l.Hour() != 0 || l.Minute() != 0 || l.Second() != 0 {
				t.Errorf("D is not a midnight of the zone: %s", l)
			}
		})
	}
}

// TestCalendarDeadline: the dispute window runs until 24:00 of the 30th day
// after the rejection's day.
func TestCalendarDeadline(t *testing.T) {
	t.Parallel()
	utc := time.UTC
	bud := mustZone(t, "Europe/Budapest")
	cases := []struct {
		event time.Time
		loc   *time.Location
		want  time.Time
	}{
		{time.Date(2026, 3, 4, 10, 0, 0, 0, utc), utc, time.Date(2026, 4, 4, 0, 0, 0, 0, utc)},
		{time.Date(2026, 3, 4, 23, 59, 59, 0, utc), utc, time.Date(2026, 4, 4, 0, 0, 0, 0, utc)},
		{time.Date(2026, 12, 15, 8, 0, 0, 0, utc), utc, time.Date(2027, 1, 15, 0, 0, 0, 0, utc)},
		{time.Date(2028, 1, 30, 8, 0, 0, 0, utc), utc, time.Date(2028, 3, 1, 0, 0, 0, 0, utc)},
		{time.Date(2026, 3, 20, 11, 0, 0, 0, bud), bud, time.Date(2026, 4, 20, 0, 0, 0, 0, bud)},
		{time.Date(2026, 10, 1, 11, 0, 0, 0, bud), bud, time.Date(2026, 11, 1, 0, 0, 0, 0, bud)},
	}
	for _, c := range cases {
		if got := models.CalendarDeadline(c.event, 30, c.loc); !got.Equal(c.want) {
			t.Errorf("CalendarDeadline(%s, 30) = %s, want %s", c.event.In(c.loc), got.In(c.loc), c.want)
		}
	}
}

// TestStoredDeadlines: the engine sets D with the holidays in the database
// and the platform zone, and a deadline is fixed once set.
func TestStoredDeadlines(t *testing.T) {
	t.Parallel()

	t.Run("worked example and a holiday added later", func(t *testing.T) {
		f := newFixture(t)
		id := f.claimIn(stConsent) // approved Wednesday 4 March 2026, 10:00 UTC
		d := time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC)
		if got := f.claim(id).ConsentDueAt; !got.Equal(d) {
			t.Fatalf("consent deadline %s, want %s", got, d)
		}
		if err := f.s.AddHoliday(f.ctx, models.Actor{Label: "test"}, time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC), "Test day"); err != nil {
			t.Fatal(err)
		}
		if got := f.claim(id).ConsentDueAt; !got.Equal(d) {
			t.Errorf("a holiday added later moved the stored deadline to %s", got)
		}
		if n := f.int(`SELECT count(*) FROM timers WHERE claim_id = ? AND kind = ? AND due_at = ? AND done_at IS NULL`,
			id, models.TimerConsentDeadline, models.Ms(d)); n != 1 {
			t.Errorf("the consent timer moved")
		}
		// A claim approved after the holiday was added gets a day more.
		later := f.claimIn(stConsent)
		if got, want := f.claim(later).ConsentDueAt, d.AddDate(0, 0, 1); !got.Equal(want) {
			t.Errorf("a new deadline ignores the holiday: %s, want %s", got, want)
		}
		// At D the first becomes official; the second still waits.
		f.clock.Set(d)
		w, _ := f.worker()
		f.runWorker(w)
		if c := f.claim(id); c.Status != stOfficial {
			t.Errorf("at its fixed deadline the claim is %s", c.Status)
		}
		if c := f.claim(later); c.Status != stConsent {
			t.Errorf("the later claim is %s before its deadline", c.Status)
		}
	})

	t.Run("Budapest", func(t *testing.T) {
		bud := mustZone(t, "Europe/Budapest")
		f := newFixture(t, withZone(bud))
		// Friday 27 March 2026, 11:00 CET; clocks go forward on the Sunday.
		f.clock.Set(time.Date(2026, 3, 27, 10, 0, 0, 0, time.UTC))
		if err := f.s.AddHoliday(f.ctx, models.Actor{Label: "test"}, time.Date(2026, 4, 6, 0, 0, 0, 0, bud), "Easter Monday"); err != nil {
			t.Fatal(err)
		}
		id := f.claimIn(stConsent)
		want := time.Date(2026, 4, 4, 0, 0, 0, 0, bud) // after Friday 3 April
		if got := f.claim(id).ConsentDueAt; !got.Equal(want) {
			t.Errorf("consent deadline %s, want %s", got.In(bud), want)
		}
		// An information request on Thursday 2 April runs over Easter Monday.
		f.clock.Set(time.Date(2026, 4, 2, 9, 0, 0, 0, bud))
		id = f.claimIn(stAction)
		// Fri 3 (1), Mon 6 holiday, Tue 7 (2), Wed 8 (3), Thu 9 (4), Fri 10 (5).
		want = time.Date(2026, 4, 11, 0, 0, 0, 0, bud)
		if got := f.claim(id).InfoDueAt; !got.Equal(want) {
			t.Errorf("information deadline %s, want %s", got.In(bud), want)
		}
		// The reminder is due two business days before: after Wednesday 8 April.
		remind := time.Date(2026, 4, 9, 0, 0, 0, 0, bud)
		if n := f.int(`SELECT count(*) FROM timers WHERE claim_id = ? AND kind = ? AND due_at = ?`, id, models.TimerInfoReminder, models.Ms(remind)); n != 1 {
			t.Errorf("no reminder timer at %s", remind)
		}
	})
}
