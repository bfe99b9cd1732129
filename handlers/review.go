package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"cpor/models"
)

// Review is the program's side: the queue, the review page and the decisions.
type Review struct{ *Server }

// reviewerActions are the decisions posted on /review/claims/:id/actions/:action.
var reviewerActions = map[string]string{
	string(models.ActStartReview):   "claim.done.start_review",
	string(models.ActRequestInfo):   "claim.done.request_info",
	string(models.ActApprove):       "claim.done.approve",
	string(models.ActReject):        "claim.done.reject",
	string(models.ActReopen):        "claim.done.reopen",
	string(models.ActUphold):        "claim.done.uphold",
	string(models.ActResendConsent): "claim.done.resend",
}

// Show renders the review page (the claim page with decisions).
func (h *Review) Show(c echo.Context) error { return h.renderShow(c, http.StatusOK, nil) }

// Act applies a reviewer decision with its reasons and note.
func (h *Review) Act(c echo.Context) error {
	id, err := claimID(c)
	if err != nil {
		return err
	}
	done, ok := reviewerActions[c.Param("action")]
	if !ok {
		return echo.ErrNotFound
	}
	form, _ := c.FormParams()
	req := models.Request{ClaimID: id, Action: models.Action(c.Param("action")), Version: formVersion(c), Note: c.FormValue("note")}
	switch req.Action {
	case models.ActRequestInfo:
		req.Reasons = form["reasons"]
	case models.ActReject:
		if r := c.FormValue("reason"); r != "" {
			req.Reasons = []string{r}
		}
	}
	if len([]rune(req.Note)) > 2000 {
		req.Note = string([]rune(req.Note)[:2000])
	}
	who := models.WhoOf(principal(c), c.RealIP())
	res, err := h.store.Apply(c.Request().Context(), nil, who, req)
	return h.actionOutcome(c, claimBase(who.Role, id), res, err, done)
}
