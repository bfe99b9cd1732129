package handlertest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Msg is one message the test SMTP server accepted (or one .eml file read
// with ParseMessage): the envelope, the raw data and the parts tests look at.
type Msg struct {
	From string   // envelope sender (MAIL FROM)
	To   []string // envelope recipients (RCPT TO)
	Raw  []byte   // the message as received

	Header   mail.Header
	Subject  string // decoded from its MIME encoded-words
	Language string // Content-Language
	Text     string // the text/plain part, decoded, line ends as "\n"
	HTML     string // the text/html part, decoded, line ends as "\n"
	Err      error  // set when the message could not be parsed
}

// SentTo reports whether addr is one of the envelope recipients (case-insensitively).
func (m Msg) SentTo(addr string) bool {
	for _, to := range m.To {
		if strings.EqualFold(to, addr) {
			return true
		}
	}
	return false
}

func (m Msg) String() string {
	return fmt.Sprintf("to %v, subject %q", m.To, m.Subject)
}

// To matches messages whose envelope includes addr.
func To(addr string) func(Msg) bool { return func(m Msg) bool { return m.SentTo(addr) } }

// ParseMessage parses a raw RFC 5322 message, walking nested multipart
// bodies and undoing quoted-printable and base64 transfer encodings.
func ParseMessage(raw []byte) (Msg, error) {
	m := Msg{Raw: raw}
	pm, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return m, err
	}
	m.Header = pm.Header
	dec := new(mime.WordDecoder)
	if m.Subject, err = dec.DecodeHeader(pm.Header.Get("Subject")); err != nil {
		return m, fmt.Errorf("subject: %w", err)
	}
	m.Language = pm.Header.Get("Content-Language")
	err = m.walk(pm.Header.Get("Content-Type"), pm.Header.Get("Content-Transfer-Encoding"), pm.Body)
	return m, err
}

func (m *Msg) walk(contentType, encoding string, body io.Reader) error {
	if contentType == "" {
		contentType = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return fmt.Errorf("content type %q: %w", contentType, err)
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextPart() // undoes quoted-printable itself
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := m.walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p); err != nil {
				return err
			}
		}
	}
	switch strings.ToLower(strings.TrimSpace(encoding)) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, newlineStripper{body})
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		return err
	}
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")) // MIME text is CRLF on the wire
	switch mt {
	case "text/plain":
		if m.Text == "" {
			m.Text = string(b)
		}
	case "text/html":
		if m.HTML == "" {
			m.HTML = string(b)
		}
	}
	return nil
}

// newlineStripper drops CR and LF so base64 bodies wrapped at 76 columns decode.
type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	for {
		k, err := n.r.Read(p)
		j := 0
		for _, c := range p[:k] {
			if c != '\r' && c != '\n' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

var urlPattern = regexp.MustCompile(`https?://[^\s<>"']+`)

// LinkIn returns the first URL in the message's text part that starts with
// prefix — a full URL prefix, or a path such as "/account/password/" — or ""
// when there is none.
func LinkIn(m Msg, prefix string) string {
	for _, u := range urlPattern.FindAllString(m.Text, -1) {
		u = strings.TrimRight(u, ".,;:)")
		if strings.HasPrefix(u, prefix) {
			return u
		}
		if strings.HasPrefix(prefix, "/") {
			if pu, err := url.Parse(u); err == nil && strings.HasPrefix(pu.Path, prefix) {
				return u
			}
		}
	}
	return ""
}

// Mailbox collects the messages the test SMTP server accepted, in order.
type Mailbox struct {
	mu      sync.Mutex
	msgs    []Msg
	claimed []bool

	// pump runs one worker pass (nil when the worker runs in the background);
	// describe adds the outbox's state to failure messages. New sets both.
	pump     func() error
	describe func() string
	// Timeout is how long WaitFor waits (default 10 s).
	Timeout time.Duration
}

// NewMailbox returns an empty mailbox.
func NewMailbox() *Mailbox { return &Mailbox{Timeout: 10 * time.Second} }

func (mb *Mailbox) add(from string, to []string, raw []byte) {
	m, err := ParseMessage(raw)
	m.From, m.To, m.Err = from, append([]string(nil), to...), err
	mb.mu.Lock()
	defer mb.mu.Unlock()
	mb.msgs = append(mb.msgs, m)
	mb.claimed = append(mb.claimed, false)
}

// Messages returns a copy of every message received so far.
func (mb *Mailbox) Messages() []Msg {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return append([]Msg(nil), mb.msgs...)
}

// Len is how many messages arrived.
func (mb *Mailbox) Len() int {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	return len(mb.msgs)
}

// take returns the first message matching that no earlier WaitFor returned.
func (mb *Mailbox) take(match func(Msg) bool) (Msg, bool) {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	for i, m := range mb.msgs {
		if !mb.claimed[i] && match(m) {
			mb.claimed[i] = true
			return m, true
		}
	}
	return Msg{}, false
}

// WaitFor returns the first message that matches and that no earlier
// WaitFor returned. Until it arrives it runs worker passes (or, with the
// worker in the background, polls); after Timeout it fails the test listing
// what did arrive and the state of the outbox.
func (mb *Mailbox) WaitFor(t testing.TB, match func(Msg) bool) Msg {
	t.Helper()
	deadline := time.Now().Add(mb.Timeout)
	for {
		if mb.pump != nil {
			if err := mb.pump(); err != nil {
				t.Fatalf("handlertest: worker pass: %v", err)
			}
		}
		if m, ok := mb.take(match); ok {
			if m.Err != nil {
				t.Fatalf("handlertest: message %s could not be parsed: %v\n%s", m, m.Err, m.Raw)
			}
			return m
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			fmt.Fprintf(&b, "handlertest: no matching message arrived within %s.\nReceived (%d):\n", mb.Timeout, mb.Len())
			for _, m := range mb.Messages() {
				fmt.Fprintf(&b, "  %s\n", m)
			}
			if mb.describe != nil {
				b.WriteString(mb.describe())
			}
			t.Fatal(b.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
