package models

import (
	"slices"
	"time"
)

// AllowedActions lists the actions the person may take on the claim now,
// read from the lifecycle table (so the page never offers what the engine
// would refuse for role or state).
func AllowedActions(c *Claim, who Who, now time.Time) []Action {
	if who.Role.IsPartner() && c.OrganisationID != who.OrgID {
		return nil
	}
	var out []Action
	for _, t := range lifecycle {
		if !slices.Contains(t.from, c.Status) || !slices.Contains(t.roles, who.Role) || t.done != nil && t.done(c) {
			continue
		}
		switch t.action {
		case ActDispute:
			if !c.DisputeOpen(now) || c.OrgDisabled {
				continue
			}
		case ActDelete:
			if who.Role == RoleUser && c.CreatorID != who.UserID {
				continue
			}
		case ActSubmit, ActResubmit:
			if c.OrgDisabled {
				continue
			}
		}
		out = append(out, t.action)
	}
	return out
}

// Waiting says who the claim waits on, since when, and the next deadline.
type Waiting struct {
	On       string // catalogue ID: waiting.you, waiting.admin, waiting.program, waiting.customer, waiting.partner, waiting.nothing
	Since    Time
	Deadline Time
	// DeadlineKind names the deadline: consent, info, review, dispute.
	DeadlineKind string
}

// WaitingOn derives the "waiting on" line of SPEC §4.2 for a viewer.
func WaitingOn(c *Claim, v Viewer, now time.Time) Waiting {
	w := Waiting{On: "waiting.nothing", Since: c.StatusAt}
	partner := v.Role.IsPartner()
	switch c.Status {
	case StatusEditing:
		switch {
		case !c.SubmissionRequestedAt.IsZero() && v.Role == RoleUser:
			w.On, w.Since = "waiting.admin", c.SubmissionRequestedAt
		default:
			w.On = "waiting.you"
			if !c.SubmissionRequestedAt.IsZero() {
				w.Since = c.SubmissionRequestedAt
			}
		}
	case StatusSubmitted, StatusUnderReview, StatusDisputed:
		w.On, w.Deadline, w.DeadlineKind = "waiting.program", c.ReviewDueAt, "review"
		if v.Role == RoleReviewer {
			w.On = "waiting.you"
		}
		if partner {
			w.Deadline, w.DeadlineKind = Time{}, ""
		}
	case StatusActionRequired:
		w.On, w.Deadline, w.DeadlineKind = "waiting.you", c.InfoDueAt, "info"
		if !partner {
			w.On = "waiting.partner"
		}
	case StatusConsent:
		w.On, w.Deadline, w.DeadlineKind = "waiting.customer", c.ConsentDueAt, "consent"
		if c.CustomerMailFailed {
			w.On, w.Deadline, w.DeadlineKind = "waiting.program", Time{}, ""
			if v.Role == RoleReviewer {
				w.On = "waiting.you"
			}
		}
	case StatusRejected:
		if c.DisputeOpen(now) {
			w.Deadline, w.DeadlineKind = c.DisputeUntil, "dispute"
		}
	}
	return w
}

// Overdue reports whether the program is late reviewing the claim.
func (c *Claim) Overdue(now time.Time) bool {
	switch c.Status {
	case StatusSubmitted, StatusUnderReview, StatusDisputed:
		return !c.ReviewDueAt.IsZero() && !now.Before(c.ReviewDueAt.Time)
	}
	return false
}
