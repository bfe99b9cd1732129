package handlers

import (
	"log/slog"
	"net"
	"runtime"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"cpor/models"
)

// Server holds what every resource shares.
type Server struct {
	cfg     Config
	store   *models.Store
	worker  *models.Worker
	log     *slog.Logger
	cookies *sessionCookies

	loginByAccount *failureCounter
	loginByAddress *failureCounter
	linkLimiter    *addressLimiter
	pages          echo.MiddlewareFunc // the page-read queue, shared by every route group
}

// New builds the HTTP handler: middleware and the route table.
func New(cfg Config, store *models.Store, worker *models.Worker, log *slog.Logger) *echo.Echo {
	if cfg.LoginFailuresPerAccount == 0 {
		cfg.LoginFailuresPerAccount = 5
	}
	if cfg.LoginFailuresPerAddress == 0 {
		cfg.LoginFailuresPerAddress = 20
	}
	if cfg.LoginWindow == 0 {
		cfg.LoginWindow = 15 * time.Minute
	}
	if cfg.LinkRequestsPerMinute == 0 {
		cfg.LinkRequestsPerMinute = 30
	}
	s := &Server{
		cfg: cfg, store: store, worker: worker, log: log,
		cookies:        newSessionCookies(cfg),
		loginByAccount: newFailureCounter(cfg.LoginFailuresPerAccount, cfg.LoginWindow),
		loginByAddress: newFailureCounter(cfg.LoginFailuresPerAddress, cfg.LoginWindow),
		linkLimiter:    newAddressLimiter(cfg.LinkRequestsPerMinute),
	}
	// Twice the cores: one request's SQLite work and another's rendering overlap.
	s.pages = pageQueue(runtime.GOMAXPROCS(0) + 1)
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.handleError
	e.IPExtractor = ipExtractor(cfg.TrustedProxies)

	// Order matters: the request ID first so every later log line has it;
	// recovery before anything that might panic; headers before handlers
	// write; the session before the language (the profile decides it); CSRF
	// last so its token is known when the page is built.
	e.Use(middleware.RequestID())
	e.Use(requestLogger(log))
	e.Use(middleware.Recover())
	e.Use(securityHeaders(cfg.SecureCookies))
	e.Use(middleware.ContextTimeoutWithConfig(middleware.ContextTimeoutConfig{Timeout: 60 * time.Second}))

	s.routes(e)
	return e
}

// ipExtractor trusts X-Forwarded-For only from the configured proxies;
// otherwise the address is the connection's, so rate limits cannot be
// dodged with a made-up header.
func ipExtractor(proxies []string) echo.IPExtractor {
	if len(proxies) == 0 {
		return echo.ExtractIPDirect()
	}
	var opts []echo.TrustOption
	opts = append(opts, echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false))
	for _, p := range proxies {
		if _, n, err := net.ParseCIDR(p); err == nil {
			opts = append(opts, echo.TrustIPRange(n))
		}
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// webStack is the middleware of every page route: the page-read queue, a
// body limit (the default for forms, larger for uploads and imports), the
// session, the language, then CSRF.
func (s *Server) webStack(limit int64) []echo.MiddlewareFunc {
	return []echo.MiddlewareFunc{s.pages, limitBody(limit), s.loadSession, chooseLanguage, csrf(s.cfg.SecureCookies), rejectBadText}
}
