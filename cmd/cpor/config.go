package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Config is the whole process configuration, read from CPOR_* environment
// variables with defaults in this one place and validated before anything starts.
type Config struct {
	Addr           string         // CPOR_ADDR
	DB             string         // CPOR_DB
	PublicURL      string         // CPOR_PUBLIC_URL
	SMTPURL        string         // CPOR_SMTP_URL; empty: .eml files under mail/ beside the database
	MailFrom       string         // CPOR_MAIL_FROM
	SessionKey     []byte         // CPOR_SESSION_KEY, hex, ≥ 32 bytes (required outside dev mode)
	Timezone       *time.Location // CPOR_TIMEZONE
	TrustedProxies []string       // CPOR_TRUSTED_PROXIES, comma-separated CIDRs
	Dev            bool           // CPOR_DEV
	PprofAddr      string         // CPOR_PPROF: serve runtime profiles here (measurements only)

	RateLoginAccount  int           // CPOR_RATE_LOGIN_ACCOUNT: failed sign-ins per account per window
	RateLoginAddress  int           // CPOR_RATE_LOGIN_ADDRESS: failed sign-ins per address per window
	RateLoginWindow   time.Duration // CPOR_RATE_LOGIN_WINDOW
	RateLinkPerMinute int           // CPOR_RATE_LINK_PER_MINUTE: customer-link and new-link requests per address
}

// envVars documents every variable (printed by `cpor help`).
var envVars = [][2]string{
	{"CPOR_ADDR", "listen address (default 127.0.0.1:8080)"},
	{"CPOR_DB", "SQLite database file (default data/cpor.db)"},
	{"CPOR_PUBLIC_URL", "base URL in emailed links (default http:// + CPOR_ADDR)"},
	{"CPOR_SMTP_URL", "smtp://user:pass@host:587 (STARTTLS when offered) or smtps://…; unset: .eml files under mail/ beside the database"},
	{"CPOR_MAIL_FROM", "sender address (default CPOR Claims <no-reply@cpor.invalid>)"},
	{"CPOR_SESSION_KEY", "≥ 32 random bytes as hex; required outside dev mode"},
	{"CPOR_TIMEZONE", "platform time zone for business days (default UTC)"},
	{"CPOR_TRUSTED_PROXIES", "comma-separated CIDRs of proxies whose X-Forwarded-For is trusted"},
	{"CPOR_DEV", "1: dev mode (demo data on first start, demo accounts printed, migrations applied)"},
	{"CPOR_PPROF", "address for runtime profiles (net/http/pprof), e.g. 127.0.0.1:6060; unset: off"},
	{"CPOR_RATE_LOGIN_ACCOUNT", "failed sign-ins per account per window (default 5)"},
	{"CPOR_RATE_LOGIN_ADDRESS", "failed sign-ins per address per window (default 20)"},
	{"CPOR_RATE_LOGIN_WINDOW", "sign-in failure window (default 15m)"},
	{"CPOR_RATE_LINK_PER_MINUTE", "customer-link and new-link requests per address per minute (default 30)"},
}

// loadConfig reads the environment through getenv.
func loadConfig(getenv func(string) string) (Config, error) {
	c := Config{
		Addr:              or(getenv("CPOR_ADDR"), "127.0.0.1:8080"),
		DB:                or(getenv("CPOR_DB"), "data/cpor.db"),
		SMTPURL:           getenv("CPOR_SMTP_URL"),
		MailFrom:          or(getenv("CPOR_MAIL_FROM"), "CPOR Claims <no-reply@cpor.invalid>"),
		Dev:               truthy(getenv("CPOR_DEV")),
		PprofAddr:         getenv("CPOR_PPROF"),
		RateLoginAccount:  5,
		RateLoginAddress:  20,
		RateLoginWindow:   15 * time.Minute,
		RateLinkPerMinute: 30,
	}
	var errs []error
	c.PublicURL = strings.TrimRight(or(getenv("CPOR_PUBLIC_URL"), "http://"+c.Addr), "/")
	if !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		errs = append(errs, errors.New("CPOR_PUBLIC_URL must start with http:// or https://"))
	}
	tz := or(getenv("CPOR_TIMEZONE"), "UTC")
	loc, err := time.LoadLocation(tz)
	if err != nil {
		errs = append(errs, fmt.Errorf("CPOR_TIMEZONE %q is not a known time zone", tz))
	}
	c.Timezone = loc
	if v := getenv("CPOR_SESSION_KEY"); v != "" {
		key, err := hex.DecodeString(strings.TrimSpace(v))
		switch {
		case err != nil:
			errs = append(errs, errors.New("CPOR_SESSION_KEY must be hex (e.g. from `openssl rand -hex 32`)"))
		case len(key) < 32:
			errs = append(errs, fmt.Errorf("CPOR_SESSION_KEY is %d bytes; it must be at least 32 random bytes (64 hex digits)", len(key)))
		}
		c.SessionKey = key
	} else if !c.Dev {
		errs = append(errs, errors.New("CPOR_SESSION_KEY is required outside dev mode: set it to 32 random bytes as hex, e.g. `openssl rand -hex 32`"))
	}
	for _, p := range strings.Split(getenv("CPOR_TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
	}
	intVar := func(name string, dst *int) {
		if v := getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				errs = append(errs, fmt.Errorf("%s must be a positive whole number", name))
				return
			}
			*dst = n
		}
	}
	intVar("CPOR_RATE_LOGIN_ACCOUNT", &c.RateLoginAccount)
	intVar("CPOR_RATE_LOGIN_ADDRESS", &c.RateLoginAddress)
	intVar("CPOR_RATE_LINK_PER_MINUTE", &c.RateLinkPerMinute)
	if v := getenv("CPOR_RATE_LOGIN_WINDOW"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, errors.New("CPOR_RATE_LOGIN_WINDOW must be a duration such as 15m"))
		}
		c.RateLoginWindow = d
	}
	return c, errors.Join(errs...)
}

func or(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return strings.TrimSpace(v)
}

func truthy(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}
