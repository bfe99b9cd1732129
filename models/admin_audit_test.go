package models

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// Keyset pages of the audit log cover every row once, newest first, even
// when many rows share a millisecond; filters keep to their kind or family.
func TestAuditLogPagesAndFilters(t *testing.T) {
	s, clock := admTestStore(t)
	ctx := context.Background()
	for i := 0; i < 130; i++ {
		if i%40 == 0 {
			clock.mu.Lock()
			clock.t = clock.t.Add(time.Second)
			clock.mu.Unlock()
		}
		kind := []string{"user.role", "user.scope", "org.update"}[i%3]
		if err := s.AuditEvent(ctx, Actor{Label: fmt.Sprintf("a%d@x.test", i%2)}, kind, "", fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	var total int
	s.db.R.Raw(`SELECT count(*) FROM audit_log`).Scan(&total)
	seen := map[int64]bool{}
	f := AuditFilter{Limit: 50}
	var last *AuditEntry
	for page := 0; page < 10; page++ {
		rows, err := s.AuditLog(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for i := range rows {
			if seen[rows[i].ID] {
				t.Fatalf("row %d on two pages", rows[i].ID)
			}
			seen[rows[i].ID] = true
			if last != nil && (rows[i].At.After(last.At.Time) || rows[i].At.Equal(last.At.Time) && rows[i].ID > last.ID) {
				t.Fatalf("row %d is newer than the row before it", rows[i].ID)
			}
			last = &rows[i]
		}
		if len(rows) < f.Limit {
			break
		}
		f.Before, f.BeforeAt = last.ID, Ms(last.At.Time)
	}
	if len(seen) != total {
		t.Errorf("pages covered %d of %d rows", len(seen), total)
	}
	count := func(f AuditFilter) int {
		n := 0
		if err := s.EachAudit(ctx, f, func(*AuditEntry) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(AuditFilter{Kind: "user."}); n != 87 {
		t.Errorf("family user.: %d rows, want 87", n)
	}
	if n := count(AuditFilter{Kind: "user.role"}); n != 44 {
		t.Errorf("kind user.role: %d rows, want 44", n)
	}
	if n := count(AuditFilter{Kind: "user.role", Actor: "a0@"}); n != 22 {
		t.Errorf("kind and actor: %d rows, want 22", n)
	}
	if n := count(AuditFilter{Kind: "user"}); n != 0 {
		t.Errorf("a kind without its dot is exact: %d rows", n)
	}
	// The last ten rows (120–129) share the latest second; three are org rows.
	if n := count(AuditFilter{From: clock.Now(), Kind: "org."}); n != 3 {
		t.Errorf("from the latest second: %d org rows, want 3", n)
	}
	if n := count(AuditFilter{Until: clock.Now(), Kind: "org."}); n != 40 {
		t.Errorf("until the latest second: %d org rows, want 40", n)
	}
}
