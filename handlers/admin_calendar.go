package handlers

import (
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"cpor/models"
	"cpor/views"
	"cpor/views/admin"
)

// AdminHolidays is the holiday calendar the business-day rule reads.
type AdminHolidays struct{ *Server }

func (h *AdminHolidays) page(c echo.Context, status int, p admin.HolidaysPage) error {
	from := ""
	if !p.ShowPast {
		from = h.store.Now().In(h.store.Location()).Format("2006-01-02")
	}
	hs, err := h.store.Holidays(c.Request().Context(), from)
	if err != nil {
		return err
	}
	p.Holidays = hs
	p.Zone = h.store.Location().String()
	return h.render(c, status, admin.Holidays(p))
}

// List shows the upcoming holidays (all with ?past=1) and the "add" form.
func (h *AdminHolidays) List(c echo.Context) error {
	return h.page(c, http.StatusOK, admin.HolidaysPage{ShowPast: c.QueryParam("past") != ""})
}

// Add adds a holiday, or renames the holiday on that day.
func (h *AdminHolidays) Add(c echo.Context) error {
	p := admin.HolidaysPage{Day: admTrim(c, "day"), Name: admTrim(c, "holiday_name"), Errors: models.FieldErrors{}}
	day, err := time.ParseInLocation("2006-01-02", p.Day, h.store.Location())
	switch {
	case p.Day == "":
		p.Errors.Add("day", "err.required")
	case err != nil:
		p.Errors.Add("day", "admin.err.date")
	}
	switch {
	case p.Name == "":
		p.Errors.Add("holiday_name", "err.required")
	case len([]rune(p.Name)) > 120:
		p.Errors.Add("holiday_name", "err.too_long_120")
	}
	if len(p.Errors) > 0 {
		return h.page(c, http.StatusUnprocessableEntity, p)
	}
	if err := h.store.AddHoliday(c.Request().Context(), actor(c), day, p.Name); err != nil {
		return err
	}
	h.admFlash(c, "success", "admin.hol.added", "Name", p.Name, "Day", p.Day)
	if p.Day < h.store.Now().In(h.store.Location()).Format("2006-01-02") {
		return redirect(c, "/admin/holidays?past=1")
	}
	return redirect(c, "/admin/holidays")
}

func (h *AdminHolidays) holiday(c echo.Context) (*models.Holiday, error) {
	day := c.Param("day")
	if _, err := time.Parse("2006-01-02", day); err != nil {
		return nil, echo.ErrNotFound
	}
	hs, err := h.store.Holidays(c.Request().Context(), day)
	if err != nil {
		return nil, err
	}
	if len(hs) == 0 || hs[0].Day != day {
		return nil, echo.ErrNotFound
	}
	return &hs[0], nil
}

// RemoveForm asks before removing a holiday.
func (h *AdminHolidays) RemoveForm(c echo.Context) error {
	hol, err := h.holiday(c)
	if err != nil {
		return err
	}
	return h.render(c, http.StatusOK, admin.ConfirmPage(admin.Confirm{
		Title: "admin.hol.remove_title",
		Text: []string{views.TheCatalog().Text(lang(c), "admin.hol.remove_text", map[string]any{"Name": hol.Name, "Day": hol.Day}),
			views.TheCatalog().Text(lang(c), "admin.hol.remove_text2", nil)},
		Action: "/admin/holidays/" + url.PathEscape(hol.Day) + "/remove",
		Button: "admin.remove", Danger: true, Cancel: "/admin/holidays",
	}))
}

// Remove removes a holiday. Deadlines already set do not move.
func (h *AdminHolidays) Remove(c echo.Context) error {
	hol, err := h.holiday(c)
	if err != nil {
		return err
	}
	if err := h.store.RemoveHoliday(c.Request().Context(), actor(c), hol.Day); err != nil {
		return err
	}
	h.admFlash(c, "success", "admin.hol.removed", "Name", hol.Name, "Day", hol.Day)
	return redirect(c, "/admin/holidays")
}
