package models

import (
	"context"
	"testing"
	"time"
)

// The worker checkpoints the WAL every minute; afterwards every write must
// still commit (a checkpoint pragma left active on the writer once failed
// every later COMMIT with "SQL statements in progress").
func TestCheckpointLeavesTheWriterUsable(t *testing.T) {
	s, _ := admTestStore(t)
	for i := 0; i < 2; i++ {
		if err := s.db.Checkpoint(); err != nil {
			t.Fatal(err)
		}
		day := time.Date(2026, time.May, 1+i, 0, 0, 0, 0, time.UTC)
		if err := s.AddHoliday(context.Background(), Actor{Label: "test"}, day, "After checkpoint"); err != nil {
			t.Fatalf("a write after a checkpoint: %v", err)
		}
	}
}
