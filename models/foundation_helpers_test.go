package models_test

import (
	"path/filepath"
	"testing"

	"cpor/handlers/handlertest"
	"cpor/models"
	"cpor/views/emails"
)

// foundationStore opens a migrated temp-file database with the demo data and
// a store on a fake clock (handlertest.Clock). Closed by t.Cleanup.
func foundationStore(t testing.TB) (*models.DB, *models.Store, *handlertest.Clock) {
	t.Helper()
	handlertest.FastPasswords()
	db, err := models.Open(filepath.Join(t.TempDir(), "cpor.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(); err != nil {
		t.Fatal(err)
	}
	clock := handlertest.NewClock(handlertest.DefaultStart)
	s := models.NewStore(db, models.StoreOptions{Clock: clock, PublicURL: "https://cpor.test", Composer: emails.Composer{}})
	if _, err := s.SeedDemo(t.Context()); err != nil {
		t.Fatal(err)
	}
	return db, s, clock
}

func countRows(t testing.TB, db *models.DB, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.R.Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
