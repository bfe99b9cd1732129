package handlers_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"cpor/handlers/handlertest"
	"cpor/models"
)

// Malformed requests get a 4xx page, never a 500 (SPEC §6).
func TestMalformedRequestsNever500(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	signedIn, anon := env.NewClient(t), env.NewClient(t)
	signedIn.LoginAs(handlertest.AdminEmail)

	for _, tc := range []struct {
		name, method, path, contentType, body string
		want                                  int // 0: any 2xx-4xx
	}{
		{"bad percent-encoding in a form", "POST", "/profile", "application/x-www-form-urlencoded", "_csrf=TOKEN&name=%zz&language=%", 0},
		{"form without values", "POST", "/profile", "application/x-www-form-urlencoded", "_csrf=TOKEN&&&=&name", 0},
		{"multipart without a boundary", "POST", "/profile", "multipart/form-data", "--x\r\n", http.StatusForbidden},
		{"multipart with a broken body", "POST", "/profile", "multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\nTOKEN\r\n--xy", 0},
		{"unknown content type", "POST", "/profile", "application/json", `{"name":"x"}`, http.StatusForbidden},
		{"invalid UTF-8 in the name", "POST", "/profile", "application/x-www-form-urlencoded", "_csrf=TOKEN&name=%ff%fe%fd&language=en", http.StatusBadRequest},
		{"invalid UTF-8 in a field name", "POST", "/profile", "application/x-www-form-urlencoded", "_csrf=TOKEN&%c3%28=1&name=A", http.StatusBadRequest},
		{"invalid UTF-8 in the email", "POST", "/login", "application/x-www-form-urlencoded", "_csrf=TOKEN&email=%ff%fe@x.test&password=%c3%28", http.StatusBadRequest},
		{"invalid UTF-8 in forgot", "POST", "/forgot", "application/x-www-form-urlencoded", "_csrf=TOKEN&email=%ff@x.test", http.StatusBadRequest},
		{"invalid UTF-8 in a multipart form", "POST", "/profile", "multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\nTOKEN\r\n--xyz\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n\xff\xfe\r\n--xyz--\r\n", http.StatusBadRequest},
		{"NUL bytes", "POST", "/profile", "application/x-www-form-urlencoded", "_csrf=TOKEN&name=a%00b&language=en", 0},
		{"unknown language on the switch", "POST", "/lang", "application/x-www-form-urlencoded", "_csrf=TOKEN&lang=xx", http.StatusBadRequest},
		{"unknown language in the profile", "POST", "/profile", "application/x-www-form-urlencoded", "_csrf=TOKEN&name=A&language=de", http.StatusBadRequest},
		{"next garbage", "GET", "/login?next=%zz%", "", "", http.StatusOK},
		{"next with a NUL", "GET", "/login?next=/%00/x", "", "", http.StatusOK},
		{"next an unclosed IPv6 host", "GET", "/login?next=http://[::1", "", "", http.StatusOK},
		{"next not UTF-8", "GET", "/login?next=/%ff", "", "", http.StatusOK},
		{"bad percent-encoding in a query", "GET", "/profile?x=%zz&y=%", "", "", 0},
		{"bad percent-encoding in a token path", "GET", "/account/password/%zz", "", "", 0},
		{"a huge token", "GET", "/account/password/" + strings.Repeat("A", 4000), "", "", http.StatusNotFound},
		{"an unknown method", "PATCH", "/profile", "", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := signedIn
			if strings.HasPrefix(tc.path, "/login") {
				c = anon
			}
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(strings.ReplaceAll(tc.body, "TOKEN", c.CSRF("/forgot")))
			}
			req := c.NewRequest(tc.method, "/", body)
			req.URL.Opaque = tc.path // send the path exactly as written
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			r := c.Do(req)
			if r.StatusCode >= 500 || (tc.want != 0 && r.StatusCode != tc.want) {
				t.Fatalf("status %d (want %v, never 5xx): %.300s", r.StatusCode, tc.want, r.Body)
			}
		})
	}
	// Nothing malformed was saved, and the person's pages still work.
	if n := env.QueryInt(t, `SELECT count(*) FROM users WHERE name <> '' AND NOT name GLOB '*[A-Za-z]*'`); n != 0 {
		t.Errorf("%d users have a name of bytes that are not text", n)
	}
	handlertest.WantStatus(t, signedIn.Get("/profile"), http.StatusOK)
	handlertest.WantStatus(t, signedIn.Get("/dashboard"), http.StatusOK)
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	c := env.NewClient(t)
	c.LoginAs(handlertest.AdminEmail)
	big := url.Values{"_csrf": {c.CSRF("/profile")}, "name": {strings.Repeat("a", 300<<10)}}.Encode()

	r := c.Post("/profile", "application/x-www-form-urlencoded", strings.NewReader(big))
	handlertest.WantStatus(t, r, http.StatusRequestEntityTooLarge)
	if h1 := r.Doc().Find("h1").Text(); h1 != "Too large" {
		t.Errorf("413 page heading %q", h1)
	}
	// Without a Content-Length (chunked) the limit holds while reading.
	req := c.NewRequest(http.MethodPost, "/profile", io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r = c.Do(req)
	if r.StatusCode < 400 || r.StatusCode >= 500 {
		t.Errorf("chunked oversized body: status %d", r.StatusCode)
	}
	if n := env.QueryInt(t, `SELECT count(*) FROM users WHERE length(name) > 1000`); n != 0 {
		t.Error("an oversized body was saved")
	}
	// Below the limit everything is normal.
	handlertest.WantStatus(t, c.PostForm("/profile", url.Values{"name": {"Anna"}}), http.StatusSeeOther)
}

// A request line the HTTP server itself cannot parse is refused with 400
// before it reaches the app.
func TestUnparseableRequestLine(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(env.URL, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "GET /profile%%zz%%%% HTTP/1.1\r\nHost: x\r\n\r\n")
	buf := make([]byte, 64)
	n, _ := io.ReadAtLeast(conn, buf, 12)
	if !bytes.HasPrefix(buf[:n], []byte("HTTP/1.1 4")) {
		t.Errorf("answer %q", buf[:n])
	}
}

func TestProfileFormKeepsWhatWasTyped(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	c := env.NewClient(t)
	c.LoginAs(handlertest.UserEmail)
	page := c.Get("/profile")

	long := strings.Repeat("Árvíztűrő ", 12) + "x" // 121 characters, more bytes
	r := c.Submit(page, `form[action="/profile"]`, url.Values{"name": {long}, "language": {"hu"}})
	handlertest.WantStatus(t, r, http.StatusUnprocessableEntity)
	in := r.Doc().Find(`input[name="name"]`)
	if v, _ := in.Attr("value"); v != long {
		t.Errorf("typed name not kept: %q", v)
	}
	if v, _ := in.Attr("aria-invalid"); v != "true" {
		t.Error("the name input is not marked invalid")
	}
	if got := strings.TrimSpace(r.Doc().Find("#f-name-error").Text()); got != "Use at most 120 characters." {
		t.Errorf("name message %q", got)
	}
	if sel, _ := r.Doc().Find(`select[name="language"] option[selected]`).Attr("value"); sel != "hu" {
		t.Errorf("chosen language not kept: %q", sel)
	}
	if n := env.QueryInt(t, `SELECT count(*) FROM users WHERE email = ? AND name = 'Uma User' AND language = ''`, handlertest.UserEmail); n != 1 {
		t.Error("a refused profile form changed the profile")
	}

	// 120 characters are fine.
	ok := strings.Repeat("Ő", 120)
	handlertest.WantRedirect(t, c.Submit(page, `form[action="/profile"]`, url.Values{"name": {ok}}), "/profile")
	if n := env.QueryInt(t, `SELECT count(*) FROM users WHERE email = ? AND name = ?`, handlertest.UserEmail, ok); n != 1 {
		t.Error("a 120-character name was not saved")
	}
}

func TestPasswordChangeMessages(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	c := env.NewClient(t)
	c.LoginAs(handlertest.UserEmail)
	page := c.Get("/profile")
	for _, tc := range []struct {
		name, current, next, confirm string
		field, message               string
	}{
		{"too short", models.DemoPassword, "elevenchars", "elevenchars", "new", "Use at least 12 characters."},
		{"mismatch", models.DemoPassword, "a long enough password", "a long enough passw0rd", "confirm", "The two passwords are different."},
		{"wrong current", "not my password", "a long enough password", "a long enough password", "current", "This is not your current password."},
		{"current missing", "", "a long enough password", "a long enough password", "current", "Required."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.Submit(page, `form[action="/profile/password"]`, url.Values{"current": {tc.current}, "new": {tc.next}, "confirm": {tc.confirm}})
			handlertest.WantStatus(t, r, http.StatusUnprocessableEntity)
			if got := strings.TrimSpace(r.Doc().Find("#f-" + tc.field + "-error").Text()); got != tc.message {
				t.Errorf("%s message %q, want %q", tc.field, got, tc.message)
			}
			// Passwords are never echoed back.
			r.Doc().Find(`input[type="password"]`).Each(func(_ int, s *goquery.Selection) {
				if v, _ := s.Attr("value"); v != "" {
					t.Errorf("password field %s echoes %q", s.AttrOr("name", ""), v)
				}
			})
		})
	}
	c2 := env.NewClient(t)
	c2.LoginAs(handlertest.UserEmail) // the password did not change
}

func TestForgotFormKeepsABadAddress(t *testing.T) {
	t.Parallel()
	env := handlertest.New(t)
	c := env.NewClient(t)
	r := c.PostForm("/forgot", url.Values{"email": {"not an address"}})
	handlertest.WantStatus(t, r, http.StatusUnprocessableEntity)
	if v, _ := r.Doc().Find(`input[name="email"]`).Attr("value"); v != "not an address" {
		t.Errorf("typed address not kept: %q", v)
	}
	if got := strings.TrimSpace(r.Doc().Find("#f-email-error").Text()); got != "Enter an email address." {
		t.Errorf("message %q", got)
	}
}
