package handlers

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"cpor/views"
)

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// pageContext builds the views.Page for this request and returns a context
// carrying it. It takes the flash messages out of the cookie.
func (s *Server) pageContext(c echo.Context) context.Context {
	csrfToken, _ := c.Get(ctxCSRF).(string)
	path := c.Request().URL.RequestURI()
	if pp, ok := c.Get(ctxPagePath).(string); ok {
		path = pp
	}
	p := &views.Page{
		Lang:  lang(c),
		User:  principal(c),
		CSRF:  csrfToken,
		Path:  path,
		Flash: s.cookies.takeFlash(c),
	}
	return views.WithPage(c.Request().Context(), p)
}

// render writes a component with a status. It renders into a buffer first,
// so a failing component becomes a clean error page, never half a 200.
func (s *Server) render(c echo.Context, status int, comp templ.Component) error {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := comp.Render(s.pageContext(c), buf); err != nil {
		return err
	}
	// A known length lets net/http send the page in one piece instead of
	// chunking it through its 4 KB buffer (measured: a third of the list
	// page's CPU went to write system calls).
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(buf.Len()))
	return c.HTMLBlob(status, buf.Bytes())
}

// flash queues a translated message for the next page.
func (s *Server) flash(c echo.Context, kind, id string) {
	s.cookies.addFlash(c, kind, views.TheCatalog().Text(lang(c), id, nil))
}

// redirect answers 303 See Other: after a POST the browser GETs the target.
func redirect(c echo.Context, to string) error { return c.Redirect(http.StatusSeeOther, to) }

// t translates for the request's language (for flash texts and the like).
func t(c echo.Context, id string) string { return views.TheCatalog().Text(lang(c), id, nil) }
