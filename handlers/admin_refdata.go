package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"cpor/models"
	"cpor/views/admin"
)

// AdminRefData is the operators' page of programs, activities and
// workloads/products: add and retire (or reinstate).
type AdminRefData struct{ *Server }

func (h *AdminRefData) page(c echo.Context, status int, p admin.RefDataPage) error {
	ref, err := h.store.RefData(c.Request().Context())
	if err != nil {
		return err
	}
	p.Ref = ref
	return h.render(c, status, admin.RefData(p))
}

// Show lists the reference data with the three "add" forms.
func (h *AdminRefData) Show(c echo.Context) error {
	return h.page(c, http.StatusOK, admin.RefDataPage{Activity: models.RefInput{EarnsIncentive: true}})
}

func admRefKind(c echo.Context) (string, error) {
	switch k := c.Param("kind"); k {
	case models.RefProgram, models.RefActivity, models.RefProduct:
		return k, nil
	}
	return "", echo.ErrNotFound
}

// Add adds a program, activity or product (the form's kind is in the path).
func (h *AdminRefData) Add(c echo.Context) error {
	kind, err := admRefKind(c)
	if err != nil {
		return err
	}
	in := models.RefInput{Name: admTrim(c, kind+"_name"), Area: c.FormValue(kind + "_area"), EarnsIncentive: c.FormValue(kind+"_earns") != ""}
	_, err = h.store.AddRefData(c.Request().Context(), actor(c), kind, in)
	if fe, ok := admFieldErrors(err); ok {
		p := admin.RefDataPage{Errors: fe, Failed: kind, Activity: models.RefInput{EarnsIncentive: true}}
		switch kind {
		case models.RefProgram:
			p.Program = in
		case models.RefActivity:
			p.Activity = in
		case models.RefProduct:
			p.Product = in
		}
		return h.page(c, http.StatusUnprocessableEntity, p)
	}
	if err != nil {
		return err
	}
	h.admFlash(c, "success", "admin.ref.added", "Name", in.Name)
	return redirect(c, "/admin/refdata")
}

// Retire stops an item from being chosen for new claims.
func (h *AdminRefData) Retire(c echo.Context) error { return h.setRetired(c, true) }

// Reinstate makes a retired item available again.
func (h *AdminRefData) Reinstate(c echo.Context) error { return h.setRetired(c, false) }

func (h *AdminRefData) setRetired(c echo.Context, retired bool) error {
	kind, err := admRefKind(c)
	if err != nil {
		return err
	}
	id, err := admParamID(c, "id")
	if err != nil {
		return err
	}
	if err := h.store.SetRefDataRetired(c.Request().Context(), actor(c), kind, id, retired); err != nil {
		return err
	}
	if retired {
		h.flash(c, "success", "admin.ref.retired_done")
	} else {
		h.flash(c, "success", "admin.ref.reinstated_done")
	}
	return redirect(c, "/admin/refdata")
}
