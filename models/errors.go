package models

import (
	"errors"
	"strings"

	"gorm.io/gorm"
)

// Sentinel errors returned by store methods. Handlers map them to HTTP statuses.
var (
	// ErrNotFound means the object does not exist or is outside the caller's visibility.
	ErrNotFound = errors.New("not found")
	// ErrConflict means the object changed since the caller read it.
	ErrConflict = errors.New("conflict")
	// ErrDuplicate means a unique rule of the database refused the write.
	ErrDuplicate = errors.New("duplicate")
	// ErrForbidden means the caller's role may not do this.
	ErrForbidden = errors.New("forbidden")
)

// FieldErrors maps a form field name to a catalogue message ID.
type FieldErrors map[string]string

func (f FieldErrors) Error() string {
	var b strings.Builder
	b.WriteString("invalid fields:")
	for k, v := range f {
		b.WriteString(" " + k + "=" + v)
	}
	return b.String()
}

// Add records msg for field unless the field already has a message.
func (f FieldErrors) Add(field, msg string) {
	if _, ok := f[field]; !ok {
		f[field] = msg
	}
}

// translate maps driver errors to the sentinels above.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return ErrNotFound
	case errors.Is(err, gorm.ErrDuplicatedKey), isUniqueViolation(err):
		return ErrDuplicate
	}
	return err
}

// isUniqueViolation reports a unique-index refusal, whether GORM translated
// it (TranslateError turns it into gorm.ErrDuplicatedKey) or not.
func isUniqueViolation(err error) bool {
	return err != nil && (errors.Is(err, gorm.ErrDuplicatedKey) || strings.Contains(err.Error(), "UNIQUE constraint failed"))
}
