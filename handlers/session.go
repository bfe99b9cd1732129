package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"cpor/models"
	"cpor/views"
)

const cookieName = "cpor_session"

// sessionCookies wraps a gorilla CookieStore. The cookie holds only the
// session token and one-time flash messages; who the person is lives in the
// sessions table, so signing out or disabling someone ends it at once.
type sessionCookies struct {
	store *sessions.CookieStore
}

func deriveKey(secret []byte, label string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	return m.Sum(nil)
}

func newSessionCookies(cfg Config) *sessionCookies {
	s := sessions.NewCookieStore(deriveKey(cfg.SessionKey, "cookie-hash"), deriveKey(cfg.SessionKey, "cookie-block"))
	// gorilla's defaults (Secure, SameSite=None, 30 days) are wrong for us; set every option.
	s.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   int(models.SessionMaxAge.Seconds()),
		HttpOnly: true,
		Secure:   cfg.SecureCookies,
		// Lax, not Strict: people arriving from an email link must look signed in.
		SameSite: http.SameSiteLaxMode,
	}
	s.MaxAge(s.Options.MaxAge)
	for _, codec := range s.Codecs {
		codec.(*securecookie.SecureCookie).SetSerializer(cookieSerializer{})
	}
	return &sessionCookies{store: s}
}

// cookieValues is everything the cookie may hold.
type cookieValues struct {
	SID   string        `json:"sid,omitempty"`
	Flash []views.Flash `json:"flash,omitempty"`
}

// cookieSerializer writes the cookie's values as JSON. gorilla's default,
// encoding/gob, builds a decoder from the type description every cookie
// carries: a tenth of the server's CPU on a signed-in page, measured. A
// value with no place in cookieValues is refused, not silently dropped.
type cookieSerializer struct{}

func (cookieSerializer) Serialize(src any) ([]byte, error) {
	m, ok := src.(map[any]any)
	if !ok {
		return nil, fmt.Errorf("session values of type %T", src)
	}
	var v cookieValues
	for key, val := range m {
		switch key {
		case "sid":
			v.SID, ok = val.(string)
		case "flash":
			v.Flash, ok = val.([]views.Flash)
		default:
			ok = false
		}
		if !ok {
			return nil, fmt.Errorf("session value %v (%T) has no place in the cookie", key, val)
		}
	}
	return json.Marshal(v)
}

func (cookieSerializer) Deserialize(src []byte, dst any) error {
	m, ok := dst.(*map[any]any)
	if !ok {
		return fmt.Errorf("session values into %T", dst)
	}
	var v cookieValues
	if err := json.Unmarshal(src, &v); err != nil {
		return err
	}
	if *m == nil {
		*m = map[any]any{}
	}
	if v.SID != "" {
		(*m)["sid"] = v.SID
	}
	if len(v.Flash) > 0 {
		(*m)["flash"] = v.Flash
	}
	return nil
}

// get returns the request's cookie session (a new one if the cookie is missing or bad).
func (s *sessionCookies) get(c echo.Context) *sessions.Session {
	sess, _ := s.store.Get(c.Request(), cookieName) // a bad cookie yields a fresh session
	return sess
}

func (s *sessionCookies) save(c echo.Context, sess *sessions.Session) error {
	return sess.Save(c.Request(), c.Response())
}

// addFlash queues a message for the next page.
func (s *sessionCookies) addFlash(c echo.Context, kind, text string) {
	sess := s.get(c)
	fl, _ := sess.Values["flash"].([]views.Flash)
	sess.Values["flash"] = append(fl, views.Flash{Kind: kind, Text: text})
	_ = s.save(c, sess)
}

// takeFlash returns and clears the queued messages.
func (s *sessionCookies) takeFlash(c echo.Context) []views.Flash {
	sess := s.get(c)
	fl, _ := sess.Values["flash"].([]views.Flash)
	if len(fl) > 0 {
		delete(sess.Values, "flash")
		_ = s.save(c, sess)
	}
	return fl
}
