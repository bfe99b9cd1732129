package handlers

import (
	"encoding/gob"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/gorilla/securecookie"
	"github.com/labstack/echo/v4"

	"cpor/views"
)

// TestCookieSerializerKeepsTheCookiesTwoValues: the session token and the
// flash messages survive the cookie; anything else is refused rather than
// lost on the way.
func TestCookieSerializerKeepsTheCookiesTwoValues(t *testing.T) {
	sz := cookieSerializer{}
	in := map[any]any{"sid": "token-1", "flash": []views.Flash{{Kind: "success", Text: "Beküldve — CA-000001"}}}
	b, err := sz.Serialize(in)
	if err != nil {
		t.Fatal(err)
	}
	out := map[any]any{}
	if err := sz.Deserialize(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("cookie values %v came back as %v", in, out)
	}
	for _, bad := range []map[any]any{{"user": int64(7)}, {"sid": 42}, {"flash": "one"}} {
		if _, err := sz.Serialize(bad); err == nil {
			t.Errorf("%v was written into the cookie", bad)
		}
	}
}

// TestCookieFromTheGobEraStartsAFreshSession: a cookie written before the
// values were JSON (gorilla's gob) reads as no session — the person signs
// in again — and not as an error.
func TestCookieFromTheGobEraStartsAFreshSession(t *testing.T) {
	cfg := Config{SessionKey: []byte("0123456789abcdef0123456789abcdef")}
	gob.Register([]views.Flash{})
	old := securecookie.New(deriveKey(cfg.SessionKey, "cookie-hash"), deriveKey(cfg.SessionKey, "cookie-block"))
	value, err := old.Encode(cookieName, map[any]any{"sid": "token-1"})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/dashboard", nil)
	req.Header.Set("Cookie", cookieName+"="+value)
	c := echo.New().NewContext(req, httptest.NewRecorder())
	sess := newSessionCookies(cfg).get(c)
	if len(sess.Values) != 0 {
		t.Errorf("an old cookie gave the session %v", sess.Values)
	}
	// The same values written by today's store are read back.
	now := newSessionCookies(cfg)
	rec := httptest.NewRecorder()
	c = echo.New().NewContext(httptest.NewRequest("GET", "/", nil), rec)
	sess = now.get(c)
	sess.Values["sid"] = "token-2"
	if err := now.save(c, sess); err != nil {
		t.Fatal(err)
	}
	req = httptest.NewRequest("GET", "/dashboard", nil)
	req.Header.Set("Cookie", rec.Header().Get("Set-Cookie"))
	if got := now.get(echo.New().NewContext(req, httptest.NewRecorder())).Values["sid"]; got != "token-2" {
		t.Errorf("a new cookie read back sid %v", got)
	}
}
