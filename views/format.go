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
	var a [64]byte
	return string(AppendDateTime(a[:0], PageOf(ctx).Lang, t))
}

// AppendDateTime appends DateTime's text to b; lang is PageOf(ctx).Lang,
// looked up once by a caller that formats many (the claim list).
func AppendDateTime(b []byte, lang string, t models.Time) []byte {
	if t.IsZero() {
		return b
	}
	lt := t.In(zone)
	if lang == "hu" {
		b = appendDayHU(b, lt)
		b = append(b, ' ')
		return appendClock(b, lt)
	}
	b = appendDayEN(b, lt)
	b = append(b, ", "...)
	return appendClock(b, lt)
}

// appendDayHU appends a day the Hungarian way, "2025. dec. 3.".
func appendDayHU(b []byte, t time.Time) []byte {
	y, m, d := t.Date()
	b = strconv.AppendInt(b, int64(y), 10)
	b = append(b, ". "...)
	b = append(b, monthsHU[m-1]...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(d), 10)
	return append(b, '.')
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
	var a [64]byte
	return string(AppendDeadline(a[:0], PageOf(ctx).Lang, t))
}

// AppendDeadline appends Deadline's text to b; lang is PageOf(ctx).Lang.
func AppendDeadline(b []byte, lang string, t models.Time) []byte {
	if t.IsZero() {
		return b
	}
	lt := t.In(zone)
	if h, m, s := lt.Clock(); h == 0 && m == 0 && s == 0 {
		day := lt.AddDate(0, 0, -1)
		if lang == "hu" {
			b = appendDayHU(b, day)
			b = append(b, " ("...)
			b = append(b, weekdaysHU[day.Weekday()]...)
			b = append(b, ") 24:00 "...)
		} else {
			b = append(b, day.Weekday().String()...)
			b = append(b, ' ')
			b = appendDayEN(b, day)
			b = append(b, ", 24:00 "...)
		}
		// Named as in force late that day: a DST change may fall on it.
		return appendZone(b, day.Add(23*time.Hour))
	}
	if lang == "hu" {
		b = AppendDateTime(b, lang, t)
		b = append(b, " ("...)
		b = append(b, weekdaysHU[lt.Weekday()]...)
		b = append(b, ") "...)
		return appendZone(b, lt)
	}
	b = append(b, lt.Weekday().String()...)
	b = append(b, ' ')
	b = appendDayEN(b, lt)
	b = append(b, ", "...)
	b = appendClock(b, lt)
	b = append(b, ' ')
	return appendZone(b, lt)
}

// The append helpers below write what time.Format's layouts would, about
// twice as fast: the claim list formats two instants a row.

// appendDayEN appends t as layout "2 Jan 2006".
func appendDayEN(b []byte, t time.Time) []byte {
	y, m, d := t.Date()
	b = strconv.AppendInt(b, int64(d), 10)
	b = append(b, ' ')
	b = append(b, m.String()[:3]...)
	b = append(b, ' ')
	if y < 1000 {
		return t.AppendFormat(b, "2006") // zero-padded
	}
	return strconv.AppendInt(b, int64(y), 10)
}

// appendClock appends t as layout "15:04".
func appendClock(b []byte, t time.Time) []byte {
	h, m, _ := t.Clock()
	return append(b, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10))
}

// appendZone appends t as layout "MST".
func appendZone(b []byte, t time.Time) []byte {
	if name, _ := t.Zone(); name != "" {
		return append(b, name...)
	}
	return t.AppendFormat(b, "MST") // an offset, e.g. "+0100"
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
