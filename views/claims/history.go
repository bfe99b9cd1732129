package claims

import (
	"context"
	"encoding/json"
	"strings"

	"cpor/models"
	"cpor/views"
)

// historyTitle names a history entry: an action, an edit, a comment, a file.
func historyTitle(ctx context.Context, h *models.HistoryEntry) string {
	return views.T(ctx, "history."+h.Kind)
}

// actorText says who did it. Partners see "the program" instead of a
// reviewer's address, and "the customer" for a customer.
func actorText(ctx context.Context, h *models.HistoryEntry, partner bool) string {
	switch models.Role(h.ActorRole) {
	case models.RoleSystem:
		return views.T(ctx, "history.by_system")
	case models.RoleCustomer:
		if partner {
			return views.T(ctx, "history.by_customer")
		}
	case models.RoleReviewer:
		if partner {
			return views.T(ctx, "history.by_program")
		}
	}
	return h.Actor
}

func historyReason(h *models.HistoryEntry) string {
	var d map[string]any
	if json.Unmarshal([]byte(h.Detail), &d) == nil {
		if r, ok := d["reason"].(string); ok {
			return r
		}
	}
	switch h.Kind {
	case "customer_opt_out":
		return models.ReasonCustomerOptedOut
	case "info_expire":
		return models.ReasonNoPartnerResponse
	case "uphold":
		return models.ReasonDisputeUpheld
	case "withdraw", "end":
		return models.ReasonPartnerRequest
	case "customer_end":
		return models.ReasonCustomerEnded
	}
	return ""
}

// historyDetails renders what an entry carries: a comment's text, a file's
// name, an edit's old → new values, a decision's reasons and note.
func historyDetails(ctx context.Context, h *models.HistoryEntry) []string {
	switch h.Kind {
	case "comment", "file":
		return []string{h.Detail}
	case "edit":
		var cs []models.Change
		if json.Unmarshal([]byte(h.Detail), &cs) != nil {
			return nil
		}
		var out []string
		for _, c := range cs {
			out = append(out, views.T(ctx, "history.field."+c.Field)+": "+orDash(c.Old)+" → "+orDash(c.New))
		}
		return out
	}
	var d map[string]any
	if h.Detail == "" || json.Unmarshal([]byte(h.Detail), &d) != nil {
		return nil
	}
	var out []string
	if rs, ok := d["reasons"].([]any); ok {
		var names []string
		for _, r := range rs {
			if s, ok := r.(string); ok {
				names = append(names, views.ReasonText(ctx, s))
			}
		}
		out = append(out, strings.Join(names, "; "))
	}
	for _, k := range []string{"note", "justification"} {
		if s, ok := d[k].(string); ok && s != "" {
			out = append(out, s)
		}
	}
	if r, ok := d["reason"].(string); ok && (h.Kind == "lines_ended") {
		out = append(out, views.ReasonText(ctx, r))
	}
	return out
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
