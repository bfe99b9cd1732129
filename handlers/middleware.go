package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"cpor/models"
	"cpor/views"
)

// Keys of values kept on echo.Context during a request.
const (
	ctxPrincipal    = "principal"
	ctxSessionToken = "session_token"
	ctxLang         = "lang"
	ctxCSRF         = "csrf"
	// ctxPagePath overrides the page's own path when a POST re-renders a form.
	ctxPagePath = "page_path"
)

// principal returns the signed-in person or nil.
func principal(c echo.Context) *models.Principal {
	p, _ := c.Get(ctxPrincipal).(*models.Principal)
	return p
}

// actor describes the signed-in person (or the anonymous address) for history and audit.
func actor(c echo.Context) models.Actor {
	a := models.Actor{IP: c.RealIP()}
	if p := principal(c); p != nil {
		a.UserID, a.Label = p.ID, p.Email
	} else {
		a.Label = "anonymous"
	}
	return a
}

func lang(c echo.Context) string {
	if l, ok := c.Get(ctxLang).(string); ok {
		return l
	}
	return "en"
}

// tokenRoute reports whether the route carries a secret in its path; such
// paths are never logged and get no-referrer.
func tokenRoute(path string) bool { return strings.Contains(path, ":token") }

// requestLogger logs one structured line per request. It logs the route
// pattern, never the raw path of token routes, and never query strings or
// bodies (which may hold passwords, tokens or search terms).
func requestLogger(log *slog.Logger) echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogLatency: true, LogMethod: true, LogRoutePath: true, LogRequestID: true, LogRemoteIP: true,
		LogURIPath: true, HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			path := v.URIPath
			if tokenRoute(v.RoutePath) {
				path = v.RoutePath
			}
			attrs := []slog.Attr{
				slog.String("method", v.Method), slog.String("path", path), slog.String("route", v.RoutePath),
				slog.Int("status", v.Status), slog.Duration("latency", v.Latency),
				slog.String("ip", v.RemoteIP), slog.String("request_id", v.RequestID),
			}
			if p := principal(c); p != nil {
				attrs = append(attrs, slog.Int64("user", p.ID))
			}
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			log.LogAttrs(c.Request().Context(), level, "request", attrs...)
			return nil
		},
	})
}

// securityHeaders sets the headers every response carries. The CSP allows
// only our own scripts and styles (no inline ones); no page may be framed.
func securityHeaders(secure bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
				"font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Referrer-Policy", "same-origin")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
			if secure {
				h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
			}
			if !strings.HasPrefix(c.Request().URL.Path, "/static/") {
				// Signed-in and token pages must not be kept by browsers or proxies.
				h.Set("Cache-Control", "no-store")
			}
			return next(c)
		}
	}
}

// loadSession finds the signed-in person from the cookie's session token.
// A token whose server-side row is gone (signed out, password changed,
// disabled) simply means "not signed in".
func (s *Server) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		// One read of the cache versions serves the whole request.
		ctx, err := s.store.WithVersions(c.Request().Context())
		if err != nil {
			return err
		}
		c.SetRequest(c.Request().WithContext(ctx))
		sess := s.cookies.get(c)
		if tok, ok := sess.Values["sid"].(string); ok && tok != "" {
			p, err := s.store.SessionPrincipal(c.Request().Context(), tok)
			switch {
			case err == nil:
				c.Set(ctxPrincipal, p)
				c.Set(ctxSessionToken, tok)
			case errors.Is(err, models.ErrNotFound):
				delete(sess.Values, "sid")
				_ = s.cookies.save(c, sess)
			default:
				return err
			}
		}
		return next(c)
	}
}

// chooseLanguage picks the language: the person's profile, else the switch's
// cookie, else the browser's Accept-Language.
func chooseLanguage(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		l := ""
		if p := principal(c); p != nil && views.ValidLang(p.Language) {
			l = p.Language
		}
		if l == "" {
			if ck, err := c.Cookie("lang"); err == nil && views.ValidLang(ck.Value) {
				l = ck.Value
			}
		}
		if l == "" {
			l = views.LangFromHeader(c.Request().Header.Get("Accept-Language"))
		}
		c.Set(ctxLang, l)
		return next(c)
	}
}

// csrf protects every state-changing request: a browser's same-origin
// Sec-Fetch-Site passes, a cross-site one is refused, and anything else must
// carry the _csrf form field (or X-CSRF-Token header) matching its cookie.
func csrf(secure bool) echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:_csrf,header:X-CSRF-Token",
		ContextKey:     ctxCSRF,
		CookieName:     "cpor_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   secure,
		CookieSameSite: http.SameSiteLaxMode,
		CookieMaxAge:   int((24 * time.Hour).Seconds()),
		ErrorHandler: func(err error, c echo.Context) error {
			return echo.NewHTTPError(http.StatusForbidden, "csrf")
		},
	})
}

// requireRole lets only the given roles through: anonymous people are sent to
// sign in (and back afterwards), other roles get 403.
func requireRole(roles ...models.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := principal(c)
			if p == nil {
				target := "/login"
				if c.Request().Method == http.MethodGet {
					target += "?next=" + url.QueryEscape(c.Request().URL.RequestURI())
				}
				return c.Redirect(http.StatusSeeOther, target)
			}
			for _, r := range roles {
				if p.Role == r {
					return next(c)
				}
			}
			return echo.NewHTTPError(http.StatusForbidden)
		}
	}
}

// limitBody refuses bodies over n bytes with 413.
func limitBody(n int64) echo.MiddlewareFunc {
	return middleware.BodyLimit(strconv.FormatInt(n, 10) + "B")
}

// rejectBadText refuses a form whose names or values are not valid UTF-8
// with 400: our pages are UTF-8, so no browser sends such text, and stored
// it could not be shown, exported or emailed faithfully.
func rejectBadText(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		form, err := c.FormParams()
		if err != nil {
			return next(c) // unreadable forms are the handler's (or the body limit's) to refuse
		}
		for k, vs := range form {
			if !utf8.ValidString(k) {
				return echo.NewHTTPError(http.StatusBadRequest)
			}
			for _, v := range vs {
				if !utf8.ValidString(v) {
					return echo.NewHTTPError(http.StatusBadRequest)
				}
			}
		}
		return next(c)
	}
}

// pageQueue lets n page reads (GET, HEAD) run at once and queues the rest
// in arrival order. On two cores, thirty-odd requests running together are
// slower for everyone than a short queue, and unfair: Go's scheduler runs
// the goroutine it woke last first, so under load some requests waited many
// times the median (the claim list's p99 was 4.5 × its p50). A channel's
// waiters are served first come, first served. Writes are not queued here:
// they wait for the single writer anyway, and must not hold up reads.
func pageQueue(n int) echo.MiddlewareFunc {
	slots := make(chan struct{}, n)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if m := c.Request().Method; m != http.MethodGet && m != http.MethodHead {
				return next(c)
			}
			ctx := c.Request().Context()
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err() // the client left while queued
			}
			held := true
			leave := func() {
				if held {
					held = false
					<-slots
				}
			}
			defer leave()
			c.Set(ctxLeavePageQueue, leave)
			return next(c)
		}
	}
}

const ctxLeavePageQueue = "leavePageQueue"

// leavePageQueue gives up the request's place among the running page reads:
// for a response that streams for long (the CSV export), whose pace is the
// client's download, not the server's CPU.
func leavePageQueue(c echo.Context) {
	if leave, ok := c.Get(ctxLeavePageQueue).(func()); ok {
		leave()
	}
}
