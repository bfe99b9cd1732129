package views

import (
	"context"
	"strconv"
	"strings"
	"time"

	"cpor/models"
)

var monthsHU = []string{"jan.", "febr.", "márc.", "ápr.", "máj.", "jún.", "júl.", "aug.", "szept.", "okt.", "nov.", "dec."}
var weekdaysHU = []string{"vasárnap", "hétfő", "kedd", "szerda", "csütörtök", "péntek", "szombat"}

// zone is the platform time zone used for display; set once at start-up.
var zone = time.UTC

// SetZone sets the display time zone (CPOR_TIMEZONE).
func SetZone(loc *time.Location) { zone = loc }

// Zone returns the display time zone.
func Zone() *time.Location { return zone }

// DateTime formats an instant in the platform zone, per language.
func DateTime(ctx context.Context, t models.Time) string {
	if t.IsZero() {
		return ""
	}
	lt := t.In(zone)
	if PageOf(ctx).Lang == "hu" {
		return strconv.Itoa(lt.Year()) + ". " + monthsHU[lt.Month()-1] + " " + strconv.Itoa(lt.Day()) + ". " + lt.Format("15:04")
	}
	return lt.Format("2 Jan 2006, 15:04")
}

// Date formats the calendar day of an instant, per language.
func Date(ctx context.Context, t models.Time) string {
	if t.IsZero() {
		return ""
	}
	lt := t.In(zone)
	if PageOf(ctx).Lang == "hu" {
		return strconv.Itoa(lt.Year()) + ". " + monthsHU[lt.Month()-1] + " " + strconv.Itoa(lt.Day()) + "."
	}
	return lt.Format("2 Jan 2006")
}

// Deadline formats a deadline D (00:00 of a day) the way the program states
// it: 24:00 of the day before, with the weekday and the zone's name, e.g.
// "Wednesday 3 Dec 2025, 24:00 UTC".
func Deadline(ctx context.Context, t models.Time) string {
	if t.IsZero() {
		return ""
	}
	lt := t.In(zone)
	zoneName := lt.Format("MST")
	if lt.Hour() == 0 && lt.Minute() == 0 && lt.Second() == 0 {
		day := lt.AddDate(0, 0, -1)
		zoneName = day.Add(23 * time.Hour).Format("MST")
		if PageOf(ctx).Lang == "hu" {
			return strconv.Itoa(day.Year()) + ". " + monthsHU[day.Month()-1] + " " + strconv.Itoa(day.Day()) + ". (" + weekdaysHU[day.Weekday()] + ") 24:00 " + zoneName
		}
		return day.Format("Monday 2 Jan 2006") + ", 24:00 " + zoneName
	}
	if PageOf(ctx).Lang == "hu" {
		return DateTime(ctx, t) + " (" + weekdaysHU[lt.Weekday()] + ") " + zoneName
	}
	return lt.Format("Monday 2 Jan 2006, 15:04") + " " + zoneName
}

// Number formats an integer with the language's thousands separator.
func Number(ctx context.Context, n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := ","
	if PageOf(ctx).Lang == "hu" {
		sep = "\u00a0"
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
