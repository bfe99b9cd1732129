package views

import (
	"context"

	"cpor/models"
)

// StatusText is the status as people read it, with the reason after a dash:
// "Rejected — Customer opted out".
func StatusText(ctx context.Context, s models.Status, reason string) string {
	t := T(ctx, "status."+string(s))
	if reason != "" && (s == models.StatusRejected || s == models.StatusEnded || s == models.StatusWithdrawn) {
		t += " — " + T(ctx, "reason."+reason)
	}
	return t
}

// ReasonText names a rejection, end or information-request reason.
func ReasonText(ctx context.Context, code string) string { return T(ctx, "reason."+code) }

// MailKind names a kind of email; an unknown kind shows as its code.
func MailKind(ctx context.Context, kind string) string {
	id := "mailkind." + kind
	if !catalog.Has(PageOf(ctx).Lang, id) {
		return kind
	}
	return T(ctx, id)
}
