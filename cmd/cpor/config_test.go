package main

import (
	"strings"
	"testing"
	"time"
)

const testKey = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadConfigDefaults(t *testing.T) {
	t.Parallel()
	c, err := loadConfig(envOf(map[string]string{"CPOR_SESSION_KEY": testKey}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DB != "data/cpor.db" || c.PublicURL != "http://127.0.0.1:8080" {
		t.Errorf("defaults: %+v", c)
	}
	if c.Timezone != time.UTC || c.Dev || c.SMTPURL != "" || len(c.SessionKey) != 32 {
		t.Errorf("defaults: %+v", c)
	}
	if c.RateLoginAccount != 5 || c.RateLoginAddress != 20 || c.RateLoginWindow != 15*time.Minute || c.RateLinkPerMinute != 30 {
		t.Errorf("rate defaults: %+v", c)
	}
	if !strings.Contains(c.MailFrom, "@") {
		t.Errorf("mail from %q", c.MailFrom)
	}
}

func TestLoadConfigOverrides(t *testing.T) {
	t.Parallel()
	c, err := loadConfig(envOf(map[string]string{
		"CPOR_SESSION_KEY": " " + strings.ToUpper(testKey) + " ", "CPOR_ADDR": "0.0.0.0:9000",
		"CPOR_PUBLIC_URL": "https://claims.example.test/", "CPOR_TIMEZONE": "Europe/Budapest",
		"CPOR_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.1/32,", "CPOR_DEV": "true",
		"CPOR_RATE_LOGIN_ACCOUNT": "3", "CPOR_RATE_LOGIN_ADDRESS": "9", "CPOR_RATE_LOGIN_WINDOW": "90s",
		"CPOR_RATE_LINK_PER_MINUTE": "7", "CPOR_SMTP_URL": "smtp://mail.example.test:25",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.PublicURL != "https://claims.example.test" {
		t.Errorf("public URL %q (no trailing slash)", c.PublicURL)
	}
	if c.Timezone.String() != "Europe/Budapest" || !c.Dev || c.Addr != "0.0.0.0:9000" {
		t.Errorf("%+v", c)
	}
	if len(c.TrustedProxies) != 2 || c.TrustedProxies[1] != "192.168.1.1/32" {
		t.Errorf("proxies %q", c.TrustedProxies)
	}
	if c.RateLoginAccount != 3 || c.RateLoginAddress != 9 || c.RateLoginWindow != 90*time.Second || c.RateLinkPerMinute != 7 {
		t.Errorf("rates %+v", c)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // part of the error; "" means no error
	}{
		{"no key outside dev mode", map[string]string{}, "CPOR_SESSION_KEY is required outside dev mode"},
		{"blank key outside dev mode", map[string]string{"CPOR_SESSION_KEY": "   "}, "CPOR_SESSION_KEY"},
		{"short key", map[string]string{"CPOR_SESSION_KEY": "00112233"}, "it must be at least 32 random bytes"},
		{"31-byte key", map[string]string{"CPOR_SESSION_KEY": testKey[:62]}, "is 31 bytes"},
		{"non-hex key", map[string]string{"CPOR_SESSION_KEY": strings.Repeat("zz", 32)}, "CPOR_SESSION_KEY must be hex"},
		{"odd-length hex", map[string]string{"CPOR_SESSION_KEY": testKey + "0"}, "must be hex"},
		{"dev mode without a key", map[string]string{"CPOR_DEV": "1"}, ""},
		{"dev mode with a bad key", map[string]string{"CPOR_DEV": "1", "CPOR_SESSION_KEY": "xyz"}, "must be hex"},
		{"unknown time zone", map[string]string{"CPOR_SESSION_KEY": testKey, "CPOR_TIMEZONE": "Mars/Olympus"}, `CPOR_TIMEZONE "Mars/Olympus"`},
		{"public URL without scheme", map[string]string{"CPOR_SESSION_KEY": testKey, "CPOR_PUBLIC_URL": "claims.example.test"}, "CPOR_PUBLIC_URL"},
		{"rate not a number", map[string]string{"CPOR_SESSION_KEY": testKey, "CPOR_RATE_LOGIN_ACCOUNT": "five"}, "CPOR_RATE_LOGIN_ACCOUNT must be a positive whole number"},
		{"rate zero", map[string]string{"CPOR_SESSION_KEY": testKey, "CPOR_RATE_LOGIN_ADDRESS": "0"}, "CPOR_RATE_LOGIN_ADDRESS"},
		{"rate negative", map[string]string{"CPOR_SESSION_KEY": testKey, "CPOR_RATE_LINK_PER_MINUTE": "-3"}, "CPOR_RATE_LINK_PER_MINUTE"},
		{"rate fractional", map[string]string{"CPOR_SESSION_KEY": testKey, "CPOR_RATE_LINK_PER_MINUTE": "2.5"}, "CPOR_RATE_LINK_PER_MINUTE"},
		{"window not a duration", map[string]string{"CPOR_SESSION_KEY": testKey, "CPOR_RATE_LOGIN_WINDOW": "15"}, "CPOR_RATE_LOGIN_WINDOW"},
		{"window negative", map[string]string{"CPOR_SESSION_KEY": testKey, "CPOR_RATE_LOGIN_WINDOW": "-1m"}, "CPOR_RATE_LOGIN_WINDOW"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadConfig(envOf(tc.env))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// Every problem is reported at once, not one per start.
	_, err := loadConfig(envOf(map[string]string{"CPOR_TIMEZONE": "Nowhere", "CPOR_RATE_LOGIN_ACCOUNT": "x"}))
	if err == nil || strings.Count(err.Error(), "\n") < 2 {
		t.Errorf("want three problems, got %v", err)
	}
}
