package models

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
)

type dueTimer struct {
	ID         int64
	ClaimID    int64
	Kind       string
	Subject    string
	DueAt      Time
	DeadlineAt Time
}

// processDueTimers applies every timer due at now, up to batch per
// transaction. Each timer runs in a savepoint: one that no longer applies
// (the claim moved on) is marked done and changes nothing; a failing one
// does not undo the others. Marking done in the same transaction makes the
// pass idempotent across crashes and restarts.
func (s *Store) processDueTimers(ctx context.Context, now time.Time, batch int) error {
	for {
		var timers []dueTimer
		if err := s.r(ctx).Raw(`SELECT id, coalesce(claim_id, 0) AS claim_id, kind, subject, due_at, deadline_at FROM timers
			WHERE done_at IS NULL AND due_at <= ? ORDER BY due_at, id LIMIT ?`, Ms(now), batch).Scan(&timers).Error; err != nil {
			return err
		}
		if len(timers) == 0 {
			return nil
		}
		err := s.tx(ctx, func(tx *gorm.DB) error {
			for _, t := range timers {
				if err := tx.SavePoint("timer").Error; err != nil {
					return err
				}
				if err := s.runTimer(tx, t, now); err != nil {
					if !isRuleOutcome(err) {
						return err
					}
					if err := tx.RollbackTo("timer").Error; err != nil {
						return err
					}
				}
				// Release, or every timer of the batch would nest one more savepoint.
				if err := tx.Exec(`RELEASE SAVEPOINT timer`).Error; err != nil {
					return err
				}
				if err := tx.Exec(`UPDATE timers SET done_at = ? WHERE id = ? AND done_at IS NULL`, Ms(now), t.ID).Error; err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		// Loop until nothing is due: an outcome applied late (after
		// downtime) may start timers that are already due themselves.
	}
}

// isRuleOutcome reports whether err is the engine saying "not now" rather
// than a failure of the database.
func isRuleOutcome(err error) bool {
	var r *Refusal
	var ce *CheckError
	return errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrForbidden) ||
		errors.As(err, &r) || errors.As(err, &ce)
}

var systemWho = Who{Role: RoleSystem, Label: "system"}

func (s *Store) runTimer(tx *gorm.DB, t dueTimer, now time.Time) error {
	if t.Kind == TimerSubscriptionEnd {
		return s.endSubscriptionLines(tx, t.Subject, now)
	}
	// A timer belongs to one deadline; a later deadline has its own timer.
	sameDeadline := func(d Time) bool { return !d.IsZero() && d.UnixMilli() == t.DeadlineAt.UnixMilli() }
	c, lines, err := s.engineClaim(tx, Viewer{Role: RoleOperator}, t.ClaimID)
	if err != nil {
		return err
	}
	switch t.Kind {
	case TimerConsentDeadline:
		if c.Status != StatusConsent || !sameDeadline(c.ConsentDueAt) {
			return nil
		}
		_, err := s.applyTo(tx, systemWho, Request{ClaimID: t.ClaimID, Action: ActConsentExpire}, c, lines)
		return err
	case TimerInfoDeadline:
		if c.Status != StatusActionRequired || !sameDeadline(c.InfoDueAt) {
			return nil
		}
		_, err := s.applyTo(tx, systemWho, Request{ClaimID: t.ClaimID, Action: ActInfoExpire}, c, lines)
		return err
	}
	switch t.Kind {
	case TimerInfoReminder:
		// After downtime the deadline may have passed too: no reminder then.
		if c.Status != StatusActionRequired || !sameDeadline(c.InfoDueAt) || !now.Before(c.InfoDueAt.Time) {
			return nil
		}
		a := &applyCtx{s: s, tx: tx, now: now, who: systemWho, c: c, lines: lines, detail: map[string]any{}}
		return a.mailPartner("claim_info_reminder")
	case TimerDisputeReminder:
		if !c.DisputeOpen(now) || !sameDeadline(c.DisputeUntil) {
			return nil
		}
		a := &applyCtx{s: s, tx: tx, now: now, who: systemWho, c: c, lines: lines, detail: map[string]any{}}
		return a.mailPartner("claim_dispute_reminder")
	case TimerDisputeClose:
		if c.Status != StatusRejected || c.Disputed || !sameDeadline(c.DisputeUntil) {
			return nil
		}
		return addHistory(tx, c.ID, now, systemWho, "dispute_window_closed", c.Status, c.Status, "")
	}
	return nil
}

// scheduleSubscriptionEnded makes the worker end the open lines on a
// subscription the directory now marks ended.
func (s *Store) scheduleSubscriptionEnded(tx *gorm.DB, subscriptionID string) error {
	return tx.Exec(`INSERT INTO timers (kind, subject, due_at) VALUES (?, ?, ?)`, TimerSubscriptionEnd, subscriptionID, Ms(s.Now())).Error
}

// endSubscriptionLines ends the lines past Editing on an ended subscription
// (drafts are stopped by the submit check instead).
func (s *Store) endSubscriptionLines(tx *gorm.DB, subscriptionID string, now time.Time) error {
	var state string
	if err := tx.Raw(`SELECT state FROM subscriptions WHERE id = ?`, subscriptionID).Scan(&state).Error; err != nil {
		return err
	}
	if state != SubEnded {
		return nil // it came back before the worker ran
	}
	var lines []lineRef
	if err := tx.Raw(`SELECT id, claim_id FROM claim_lines WHERE subscription_id = ? AND state IN `+competingStatesSQL+` ORDER BY claim_id, id`,
		subscriptionID).Scan(&lines).Error; err != nil {
		return err
	}
	if len(lines) == 0 {
		return nil
	}
	return s.endLines(tx, lines, ReasonSubscriptionEnded, now, "claim_ended")
}
