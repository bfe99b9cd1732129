package models

import (
	"context"
	"database/sql"
	"time"

	"gorm.io/gorm"
)

// Holiday is a day the program does not count as a business day.
type Holiday struct {
	Day  string // YYYY-MM-DD in the platform time zone
	Name string
}

// dayKey formats a calendar day the way the holidays table stores it.
func dayKey(t time.Time) string { return t.Format("2006-01-02") }

// startOfDay returns 00:00 of t's calendar day in loc.
func startOfDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// BusinessDeadline returns D for "n business days after an event at t": 00:00
// of the day after the n-th business day after t's calendar day, in loc.
// Business days are Monday–Friday except holidays. The result is shown as
// 24:00 of the n-th business day.
func BusinessDeadline(t time.Time, n int, loc *time.Location, isHoliday func(day string) bool) time.Time {
	day := startOfDay(t, loc)
	for counted := 0; counted < n; {
		// AddDate on a midnight in loc keeps midnight across DST changes.
		day = day.AddDate(0, 0, 1)
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday || isHoliday(dayKey(day)) {
			continue
		}
		counted++
	}
	return day.AddDate(0, 0, 1)
}

// CalendarDeadline returns 00:00 of the day after the n-th calendar day after t's day.
func CalendarDeadline(t time.Time, n int, loc *time.Location) time.Time {
	return startOfDay(t, loc).AddDate(0, 0, n+1)
}

// businessDeadline computes a deadline with the holidays stored in the
// database (read through db, which may be a transaction).
func (s *Store) businessDeadline(db *gorm.DB, t time.Time, n int) (time.Time, error) {
	from := startOfDay(t, s.loc)
	// n business days never span more than n weeks plus the holidays inside;
	// a generous window keeps this one indexed range read.
	set := map[string]bool{}
	if err := queryRaw(db, `SELECT day FROM holidays WHERE day > ? AND day <= ?`,
		[]any{dayKey(from), dayKey(from.AddDate(0, 0, 7*n+60))}, func(r *sql.Rows) error {
			var d string
			err := r.Scan(&d)
			set[d] = true
			return err
		}); err != nil {
		return time.Time{}, err
	}
	return BusinessDeadline(t, n, s.loc, func(d string) bool { return set[d] }).UTC(), nil
}

// Holidays lists the holidays from the given day on (all when from is empty).
func (s *Store) Holidays(ctx context.Context, from string) ([]Holiday, error) {
	var hs []Holiday
	err := s.r(ctx).Raw(`SELECT day, name FROM holidays WHERE day >= ? ORDER BY day`, from).Scan(&hs).Error
	return hs, err
}

// AddHoliday adds a holiday (or renames one). Deadlines already set do not move.
func (s *Store) AddHoliday(ctx context.Context, a Actor, day time.Time, name string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO holidays (day, name) VALUES (?, ?) ON CONFLICT (day) DO UPDATE SET name = excluded.name`,
			dayKey(day), name).Error; err != nil {
			return err
		}
		return s.audit(tx, a, "holiday.add", "holiday:"+dayKey(day), name)
	})
}

// RemoveHoliday removes a holiday. Deadlines already set do not move.
func (s *Store) RemoveHoliday(ctx context.Context, a Actor, day string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Exec(`DELETE FROM holidays WHERE day = ?`, day)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return s.audit(tx, a, "holiday.remove", "holiday:"+day, "")
	})
}
