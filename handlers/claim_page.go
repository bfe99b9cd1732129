package handlers

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"strconv"

	"github.com/labstack/echo/v4"

	"cpor/models"
	"cpor/views/claims"
)

// claimID reads the :id parameter; anything but a positive number is 404.
func claimID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

// claimBase is the claim's URL for the person's role.
func claimBase(role models.Role, id int64) string {
	switch role {
	case models.RoleReviewer:
		return "/review/claims/" + strconv.FormatInt(id, 10)
	case models.RoleOperator:
		return "/admin/claims/" + strconv.FormatInt(id, 10)
	}
	return "/claims/" + strconv.FormatInt(id, 10)
}

// showPage loads everything the claim page shows for the signed-in person.
func (s *Server) showPage(ctx context.Context, p *models.Principal, id int64) (claims.ShowPage, error) {
	v := models.ViewerOf(p)
	c, lines, err := s.store.ClaimFor(ctx, v, id)
	if err != nil {
		return claims.ShowPage{}, err
	}
	now := s.store.Now()
	page := claims.ShowPage{
		Claim: c, Lines: lines, Base: claimBase(p.Role, id), Role: p.Role, Now: now,
		Actions:    models.AllowedActions(c, models.WhoOf(p, ""), now),
		Waiting:    models.WaitingOn(c, v, now),
		Editable:   c.EditableBy(v),
		CanUpload:  p.Role.IsPartner(),
		CanComment: p.Role.IsPartner() || p.Role == models.RoleReviewer,
	}
	if page.Files, err = s.store.ClaimFiles(ctx, id); err != nil {
		return page, err
	}
	history, err := s.store.ClaimHistory(ctx, id)
	if err != nil {
		return page, err
	}
	emails, err := s.store.ClaimEmails(ctx, id)
	if err != nil {
		return page, err
	}
	for i := range history {
		page.Timeline = append(page.Timeline, claims.TimelineItem{At: history[i].At, Entry: &history[i]})
	}
	for i := range emails {
		page.Timeline = append(page.Timeline, claims.TimelineItem{At: emails[i].CreatedAt, Email: &emails[i]})
		if models.IsConsentRequest(emails[i].Kind) {
			page.CustomerEmails = append(page.CustomerEmails, emails[i])
		}
	}
	// History rows and the emails they caused share a timestamp: the entry first.
	sort.SliceStable(page.Timeline, func(i, j int) bool { return page.Timeline[i].At.Before(page.Timeline[j].At.Time) })
	if p.Role == models.RoleReviewer && models.Competing(lines) {
		others, err := s.store.CompetingClaims(ctx, id)
		if err != nil {
			return page, err
		}
		for _, o := range others {
			oc, ol, err := s.store.ClaimFor(ctx, v, o)
			if err != nil {
				continue
			}
			of, err := s.store.ClaimFiles(ctx, o)
			if err != nil {
				return page, err
			}
			page.Others = append(page.Others, claims.OtherClaim{Claim: oc, Lines: ol, Files: of})
		}
	}
	return page, nil
}

// renderShow renders the claim page with a status (200, or 422 after a refused form).
func (s *Server) renderShow(c echo.Context, status int, edit func(*claims.ShowPage)) error {
	id, err := claimID(c)
	if err != nil {
		return err
	}
	page, err := s.showPage(c.Request().Context(), principal(c), id)
	if err != nil {
		return err
	}
	if edit != nil {
		edit(&page)
	}
	return s.render(c, status, claims.Show(page))
}

// actionOutcome turns the engine's answer into the response: a flash and a
// redirect to the claim, "Already done.", the 409 page, or the claim page
// with the refusal explained.
func (s *Server) actionOutcome(c echo.Context, base string, res models.Result, err error, done string) error {
	var ref *models.Refusal
	switch {
	case err == nil && res.AlreadyDone:
		s.flash(c, "info", "claim.already_done")
		return redirect(c, base)
	case err == nil && res.Deleted:
		s.flash(c, "success", "claim.deleted")
		return redirect(c, "/claims")
	case err == nil:
		s.flash(c, "success", done)
		return redirect(c, base)
	case errors.Is(err, models.ErrConflict):
		return conflictAt(base)
	case errors.As(err, &ref):
		return s.renderShow(c, http.StatusUnprocessableEntity, func(p *claims.ShowPage) {
			p.Refusal, p.RefusalData, p.DecisionErrors = ref.MsgID, ref.Data, ref.Fields
		})
	}
	return err
}

// formVersion reads the claim version a form was rendered with.
func formVersion(c echo.Context) int64 {
	v, _ := strconv.ParseInt(c.FormValue("version"), 10, 64)
	if v < 0 {
		return 0
	}
	return v
}
