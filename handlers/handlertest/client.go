package handlertest

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"cpor/models"
)

// Client is one simulated browser: its own cookie jar, no automatic
// redirects (tests see the 303s) and no Sec-Fetch-Site header, so every
// state-changing request must carry the form's _csrf token, which the client
// reads from the pages it fetched.
type Client struct {
	// HTTP is the underlying client (its Jar holds the cookies).
	HTTP *http.Client
	// Header is added to every request (Accept-Language, X-Forwarded-For…).
	Header http.Header
	// FollowRedirects makes requests follow redirects like a browser.
	FollowRedirects bool

	t        testing.TB
	env      *Env
	tokens   map[string]string // form action or page path → _csrf token
	lastCSRF string
}

// NewClient returns a browser with an empty cookie jar.
func (e *Env) NewClient(t testing.TB) *Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{t: t, env: e, Header: http.Header{}, tokens: map[string]string{}}
	c.HTTP = &http.Client{
		Jar:       jar,
		Transport: e.transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			if c.FollowRedirects {
				return nil
			}
			return http.ErrUseLastResponse
		},
	}
	return c
}

// Response is a finished response whose body has been read.
type Response struct {
	*http.Response
	// Body is the whole response body (it shadows http.Response.Body, which is closed).
	Body string

	t   testing.TB
	doc *goquery.Document
}

// Location is the Location header (for redirects).
func (r *Response) Location() string { return r.Header.Get("Location") }

// Doc parses the body as HTML.
func (r *Response) Doc() *goquery.Document {
	r.t.Helper()
	if r.doc == nil {
		d, err := goquery.NewDocumentFromReader(strings.NewReader(r.Body))
		if err != nil {
			r.t.Fatalf("handlertest: parse HTML of %s: %v", r.Request.URL, err)
		}
		r.doc = d
	}
	return r.doc
}

// Doc returns the response's HTML document (goquery).
func (c *Client) Doc(r *Response) *goquery.Document { return r.Doc() }

// resolve turns a path (or an absolute URL, such as an emailed link, whose
// host is ignored) into a URL on the test server.
func (c *Client) resolve(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		u, err := url.Parse(path)
		if err != nil {
			c.t.Fatalf("handlertest: bad URL %q: %v", path, err)
		}
		path = u.RequestURI()
	}
	return c.env.URL + path
}

// NewRequest builds a request to path on the test server.
func (c *Client) NewRequest(method, path string, body io.Reader) *http.Request {
	c.t.Helper()
	req, err := http.NewRequest(method, c.resolve(path), body)
	if err != nil {
		c.t.Fatalf("handlertest: request %s %s: %v", method, path, err)
	}
	return req
}

// Do sends req with the client's headers and cookies, reads the whole body
// and remembers the _csrf tokens of the page's forms.
func (c *Client) Do(req *http.Request) *Response {
	c.t.Helper()
	for k, vs := range c.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.t.Fatalf("handlertest: %s %s: %v", req.Method, req.URL, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		c.t.Fatalf("handlertest: read %s %s: %v", req.Method, req.URL, err)
	}
	r := &Response{Response: resp, Body: string(b), t: c.t}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		c.rememberTokens(r)
	}
	return r
}

func (c *Client) rememberTokens(r *Response) {
	page := r.Request.URL
	r.Doc().Find("form").Each(func(_ int, f *goquery.Selection) {
		tok, ok := f.Find(`input[name="_csrf"]`).Attr("value")
		if !ok || tok == "" {
			return
		}
		action := page.Path
		if a, ok := f.Attr("action"); ok && a != "" {
			if u, err := page.Parse(a); err == nil {
				action = u.Path
			}
		}
		c.tokens[action] = tok
		if _, seen := c.tokens[page.Path]; !seen || action == page.Path {
			c.tokens[page.Path] = tok
		}
		c.lastCSRF = tok
	})
}

// Get fetches path.
func (c *Client) Get(path string) *Response {
	c.t.Helper()
	return c.Do(c.NewRequest(http.MethodGet, path, nil))
}

// CSRF returns the _csrf token a browser would post to path: the one of
// the last page fetched with a form for path (or of the page at path),
// fetching path first if no such page was seen, else the last token seen.
func (c *Client) CSRF(path string) string {
	c.t.Helper()
	key := pathOnly(path)
	if tok, ok := c.tokens[key]; ok {
		return tok
	}
	c.Get(path)
	if tok, ok := c.tokens[key]; ok {
		return tok
	}
	if c.lastCSRF == "" {
		c.Get("/forgot") // a public page with a form, for anyone
	}
	if c.lastCSRF == "" {
		c.t.Fatalf("handlertest: no _csrf token found for %s", path)
	}
	return c.lastCSRF
}

// ForgetCSRF drops the remembered tokens (e.g. after clearing cookies).
func (c *Client) ForgetCSRF() {
	c.tokens, c.lastCSRF = map[string]string{}, ""
}

func pathOnly(p string) string {
	if u, err := url.Parse(p); err == nil {
		return u.Path
	}
	return p
}

// PostForm posts vals as a form, adding the page's _csrf token unless vals
// already has a "_csrf" entry (set it to post a wrong or empty token).
func (c *Client) PostForm(path string, vals url.Values) *Response {
	c.t.Helper()
	v := url.Values{}
	for k, vs := range vals {
		v[k] = append([]string(nil), vs...)
	}
	if _, ok := v["_csrf"]; !ok {
		v.Set("_csrf", c.CSRF(path))
	}
	return c.PostFormRaw(path, v)
}

// PostFormRaw posts vals exactly as given (no token added).
func (c *Client) PostFormRaw(path string, vals url.Values) *Response {
	c.t.Helper()
	return c.Post(path, "application/x-www-form-urlencoded", strings.NewReader(vals.Encode()))
}

// Post sends a raw body.
func (c *Client) Post(path, contentType string, body io.Reader) *Response {
	c.t.Helper()
	req := c.NewRequest(http.MethodPost, path, body)
	req.Header.Set("Content-Type", contentType)
	return c.Do(req)
}

// File is one file of a multipart form.
type File struct {
	Field   string // the input's name
	Name    string // the file name the browser sends
	Content []byte
}

// PostMultipart posts a multipart/form-data form with files, adding the
// _csrf token like PostForm.
func (c *Client) PostMultipart(path string, vals url.Values, files ...File) *Response {
	c.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if _, ok := vals["_csrf"]; !ok {
		_ = w.WriteField("_csrf", c.CSRF(path))
	}
	for k, vs := range vals {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	for _, f := range files {
		fw, err := w.CreateFormFile(f.Field, f.Name)
		if err != nil {
			c.t.Fatal(err)
		}
		_, _ = fw.Write(f.Content)
	}
	if err := w.Close(); err != nil {
		c.t.Fatal(err)
	}
	return c.Post(path, w.FormDataContentType(), &buf)
}

// Submit fills in and sends a form of page the way a browser would: every
// named input, checked box, selected option and textarea as the page has
// them (the hidden _csrf included), with overrides replacing values.
func (c *Client) Submit(page *Response, selector string, overrides url.Values) *Response {
	c.t.Helper()
	form := page.Doc().Find(selector).First()
	if form.Length() == 0 || !form.Is("form") {
		var found []string
		page.Doc().Find("form").Each(func(_ int, f *goquery.Selection) {
			a, _ := f.Attr("action")
			found = append(found, a)
		})
		c.t.Fatalf("handlertest: no form %q on %s (forms with actions %q)", selector, page.Request.URL.Path, found)
	}
	vals := url.Values{}
	form.Find("input, select, textarea").Each(func(_ int, in *goquery.Selection) {
		name, ok := in.Attr("name")
		if !ok || name == "" {
			return
		}
		if _, disabled := in.Attr("disabled"); disabled {
			return
		}
		switch goquery.NodeName(in) {
		case "select":
			opt := in.Find("option[selected]").First()
			if opt.Length() == 0 {
				opt = in.Find("option").First()
			}
			if opt.Length() > 0 {
				v, ok := opt.Attr("value")
				if !ok {
					v = opt.Text()
				}
				vals.Add(name, v)
			}
		case "textarea":
			vals.Add(name, in.Text())
		default:
			typ := strings.ToLower(in.AttrOr("type", "text"))
			switch typ {
			case "submit", "button", "image", "reset", "file":
				return
			case "checkbox", "radio":
				if _, checked := in.Attr("checked"); !checked {
					return
				}
				vals.Add(name, in.AttrOr("value", "on"))
			default:
				vals.Add(name, in.AttrOr("value", ""))
			}
		}
	})
	for k, vs := range overrides {
		vals[k] = vs
	}
	action := page.Request.URL.Path
	if a, ok := form.Attr("action"); ok && a != "" {
		u, err := page.Request.URL.Parse(a)
		if err != nil {
			c.t.Fatalf("handlertest: form action %q: %v", a, err)
		}
		action = u.RequestURI()
	}
	method := strings.ToUpper(form.AttrOr("method", "GET"))
	if method == http.MethodGet {
		return c.Get(action + "?" + vals.Encode())
	}
	if strings.HasPrefix(form.AttrOr("enctype", ""), "multipart/") {
		return c.PostMultipart(action, vals)
	}
	return c.PostFormRaw(action, vals)
}

// Login signs in and fails the test unless the answer is a 303 away from
// the sign-in page.
func (c *Client) Login(email, password string) *Response {
	c.t.Helper()
	r := c.PostForm("/login", url.Values{"email": {email}, "password": {password}})
	if r.StatusCode != http.StatusSeeOther || strings.HasPrefix(r.Location(), "/login") {
		c.t.Fatalf("handlertest: sign-in as %s: status %d, Location %q\n%s", email, r.StatusCode, r.Location(), pageText(r))
	}
	return r
}

// LoginAs signs in to a demo account with models.DemoPassword.
func (c *Client) LoginAs(email string) *Response {
	c.t.Helper()
	return c.Login(email, models.DemoPassword)
}

// Logout signs out with the page's form.
func (c *Client) Logout() *Response {
	c.t.Helper()
	return c.PostForm("/logout", nil)
}

// Cookie returns the cookie the browser would send to the server, or nil.
func (c *Client) Cookie(name string) *http.Cookie {
	u, _ := url.Parse(c.env.URL)
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// SetCookie puts a cookie into the browser's jar (e.g. one copied from
// another client to replay it).
func (c *Client) SetCookie(ck *http.Cookie) {
	u, _ := url.Parse(c.env.URL)
	c.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: ck.Name, Value: ck.Value, Path: "/"}})
}

// WantStatus fails the test unless r has the status, showing the request,
// the Location and the page's text.
func WantStatus(t testing.TB, r *Response, status int) {
	t.Helper()
	if r.StatusCode != status {
		t.Fatalf("%s %s: status %d, want %d (Location %q)\n%s", r.Request.Method, r.Request.URL.RequestURI(),
			r.StatusCode, status, r.Location(), pageText(r))
	}
}

// WantRedirect fails the test unless r is a 303 to location.
func WantRedirect(t testing.TB, r *Response, location string) {
	t.Helper()
	WantStatus(t, r, http.StatusSeeOther)
	if r.Location() != location {
		t.Fatalf("%s %s: redirects to %q, want %q", r.Request.Method, r.Request.URL.RequestURI(), r.Location(), location)
	}
}

// MainText is the text of the page's <main>, spaces collapsed.
func MainText(r *Response) string {
	return strings.Join(strings.Fields(r.Doc().Find("main").Text()), " ")
}

func pageText(r *Response) string {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		return clip(r.Body)
	}
	return clip(MainText(r))
}

func clip(s string) string {
	if len(s) > 800 {
		return s[:800] + "…"
	}
	return s
}
