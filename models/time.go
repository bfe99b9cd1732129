package models

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// Time is a UTC instant stored as INTEGER unix milliseconds. Integers compare
// and index cheaply and scan without parsing text, which matters on list pages.
// The zero Time is stored as NULL.
type Time struct{ time.Time }

// At wraps t as a Time.
func At(t time.Time) Time { return Time{t} }

// Value implements driver.Valuer.
func (t Time) Value() (driver.Value, error) {
	if t.IsZero() {
		return nil, nil
	}
	return t.UnixMilli(), nil
}

// Scan implements sql.Scanner.
func (t *Time) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		t.Time = time.Time{}
	case int64:
		t.Time = time.UnixMilli(x).UTC()
	default:
		return fmt.Errorf("models.Time: cannot scan %T", v)
	}
	return nil
}

// Ms returns t as unix milliseconds, the stored form, for raw SQL arguments.
func Ms(t time.Time) int64 { return t.UnixMilli() }

// Clock tells the time. The server uses the wall clock; tests move a fake one.
type Clock interface{ Now() time.Time }

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns the current UTC time.
func (SystemClock) Now() time.Time { return time.Now().UTC() }
