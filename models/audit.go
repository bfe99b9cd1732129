package models

import (
	"context"

	"fmt"

	"gorm.io/gorm"
)

// audit appends one row to the audit log inside the caller's transaction, so
// the record exists exactly when the change does.
func (s *Store) audit(tx *gorm.DB, a Actor, kind, object, detail string) error {
	return tx.Exec(`INSERT INTO audit_log (at, actor_id, actor, ip, kind, object, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		Ms(s.Now()), nullID(a.UserID), a.Label, a.IP, kind, object, detail).Error
}

func userRef(id int64) string { return fmt.Sprintf("user:%d", id) }

// AuditEvent records an event that changes nothing else (a sign-in, say).
func (s *Store) AuditEvent(ctx context.Context, a Actor, kind, object, detail string) error {
	return s.audit(s.w(ctx), a, kind, object, detail)
}
