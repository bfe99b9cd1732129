package views

import (
	"context"
	"math/rand"
	"testing"
	"time"

	"cpor/models"
)

func TestDateTimeAndDeadline(t *testing.T) {
	t.Cleanup(func() { SetZone(time.UTC) })
	bud, err := time.LoadLocation("Europe/Budapest")
	if err != nil {
		t.Fatal(err)
	}
	unnamed := time.FixedZone("", -(3*3600 + 30*60))
	cases := []struct {
		zone           *time.Location
		at             time.Time
		en, enDeadline string
		hu, huDeadline string
	}{
		{time.UTC, time.Time{}, "", "", "", ""},
		{time.UTC, time.Date(2025, 12, 4, 0, 0, 0, 0, time.UTC),
			"4 Dec 2025, 00:00", "Wednesday 3 Dec 2025, 24:00 UTC", "2025. dec. 4. 00:00", "2025. dec. 3. (szerda) 24:00 UTC"},
		{time.UTC, time.Date(2026, 11, 25, 9, 7, 0, 0, time.UTC),
			"25 Nov 2026, 09:07", "Wednesday 25 Nov 2026, 09:07 UTC", "2026. nov. 25. 09:07", "2026. nov. 25. 09:07 (szerda) UTC"},
		// A second past midnight is not a "24:00" deadline.
		{time.UTC, time.Date(2026, 11, 25, 0, 0, 1, 0, time.UTC),
			"25 Nov 2026, 00:00", "Wednesday 25 Nov 2026, 00:00 UTC", "2026. nov. 25. 00:00", "2026. nov. 25. 00:00 (szerda) UTC"},
		// The day before a deadline can change zone: its 24:00 is in the new one.
		{bud, time.Date(2026, 3, 30, 0, 0, 0, 0, bud),
			"30 Mar 2026, 00:00", "Sunday 29 Mar 2026, 24:00 CEST", "2026. márc. 30. 00:00", "2026. márc. 29. (vasárnap) 24:00 CEST"},
		{bud, time.Date(2026, 3, 29, 0, 0, 0, 0, bud),
			"29 Mar 2026, 00:00", "Saturday 28 Mar 2026, 24:00 CET", "2026. márc. 29. 00:00", "2026. márc. 28. (szombat) 24:00 CET"},
		{bud, time.Date(2026, 10, 26, 0, 0, 0, 0, bud),
			"26 Oct 2026, 00:00", "Sunday 25 Oct 2026, 24:00 CET", "2026. okt. 26. 00:00", "2026. okt. 25. (vasárnap) 24:00 CET"},
		{bud, time.Date(2026, 9, 9, 23, 5, 0, 0, time.UTC),
			"10 Sep 2026, 01:05", "Thursday 10 Sep 2026, 01:05 CEST", "2026. szept. 10. 01:05", "2026. szept. 10. 01:05 (csütörtök) CEST"},
		{unnamed, time.Date(2026, 1, 1, 0, 0, 0, 0, unnamed),
			"1 Jan 2026, 00:00", "Wednesday 31 Dec 2025, 24:00 -0330", "2026. jan. 1. 00:00", "2025. dec. 31. (szerda) 24:00 -0330"},
		{unnamed, time.Date(2026, 1, 1, 7, 45, 0, 0, time.UTC),
			"1 Jan 2026, 04:15", "Thursday 1 Jan 2026, 04:15 -0330", "2026. jan. 1. 04:15", "2026. jan. 1. 04:15 (csütörtök) -0330"},
		{time.UTC, time.Date(999, 5, 6, 7, 8, 0, 0, time.UTC),
			"6 May 0999, 07:08", "Monday 6 May 0999, 07:08 UTC", "999. máj. 6. 07:08", "999. máj. 6. 07:08 (hétfő) UTC"},
	}
	for _, c := range cases {
		SetZone(c.zone)
		at := models.At(c.at)
		for _, l := range []struct{ lang, dateTime, deadline string }{{"en", c.en, c.enDeadline}, {"hu", c.hu, c.huDeadline}} {
			ctx := WithPage(context.Background(), &Page{Lang: l.lang})
			if got := DateTime(ctx, at); got != l.dateTime {
				t.Errorf("DateTime(%s, %v) = %q, want %q", l.lang, c.at, got, l.dateTime)
			}
			if got := Deadline(ctx, at); got != l.deadline {
				t.Errorf("Deadline(%s, %v) = %q, want %q", l.lang, c.at, got, l.deadline)
			}
			if got := string(AppendDateTime([]byte("x"), l.lang, at)); got != "x"+l.dateTime {
				t.Errorf("AppendDateTime(%s, %v) = %q", l.lang, c.at, got)
			}
			if got := string(AppendDeadline([]byte("x"), l.lang, at)); got != "x"+l.deadline {
				t.Errorf("AppendDeadline(%s, %v) = %q", l.lang, c.at, got)
			}
		}
	}
}

// The hand-written append helpers write what time.Format's layouts do.
func TestAppendHelpersMatchLayouts(t *testing.T) {
	var zones []*time.Location
	for _, name := range []string{"UTC", "Europe/Budapest", "America/New_York", "Australia/Lord_Howe"} {
		z, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		zones = append(zones, z)
	}
	zones = append(zones, time.FixedZone("", 5*3600+45*60), time.FixedZone("", -3600))
	rnd := rand.New(rand.NewSource(1))
	for _, z := range zones {
		for i := 0; i < 5000; i++ {
			lt := time.Unix(rnd.Int63n(1<<35)-1<<34, 0).In(z) // years ~1425 to 2514
			if i%10 == 0 {
				lt = time.Date(rnd.Intn(3000)-500, time.Month(1+rnd.Intn(12)), 1+rnd.Intn(28), rnd.Intn(24), rnd.Intn(60), 0, 0, z)
			}
			for _, c := range []struct {
				layout string
				got    []byte
			}{
				{"2 Jan 2006", appendDayEN(nil, lt)},
				{"15:04", appendClock(nil, lt)},
				{"MST", appendZone(nil, lt)},
			} {
				if want := lt.Format(c.layout); string(c.got) != want {
					t.Fatalf("%v as %q: %q, want %q", lt, c.layout, c.got, want)
				}
			}
		}
	}
}
