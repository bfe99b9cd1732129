package handlertest

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Behaviour is how the test SMTP server answers a message.
type Behaviour int32

// The behaviours of the test SMTP server.
const (
	// Accept takes every message and puts it in the Mailbox.
	Accept Behaviour = iota
	// Reject answers every message with "554 5.6.0": a permanent refusal.
	Reject
	// DropInData closes the connection in the middle of DATA, like a server
	// that crashes or a network that fails while the message is in flight.
	DropInData
)

// SMTPServer is a real SMTP server (emersion/go-smtp) on a random loopback
// port, without TLS and without authentication. What it accepts goes to its
// Mailbox; SetBehaviour makes it refuse or drop messages for failure tests.
type SMTPServer struct {
	// Addr is host:port of the listener.
	Addr string
	// Mailbox collects every accepted message.
	Mailbox *Mailbox

	srv       *smtp.Server
	behaviour atomic.Int32
	attempts  atomic.Int64
	closed    chan struct{}
}

// StartSMTP starts a server that delivers into mb (a new Mailbox when nil).
// The caller closes it; New does so in the right order.
func StartSMTP(t testing.TB, mb *Mailbox) *SMTPServer {
	t.Helper()
	if mb == nil {
		mb = NewMailbox()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("handlertest: smtp listen: %v", err)
	}
	s := &SMTPServer{Addr: ln.Addr().String(), Mailbox: mb, closed: make(chan struct{})}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{server: s, conn: c}, nil
	}))
	s.srv.Domain = "mx.handlertest.invalid"
	s.srv.ReadTimeout = 30 * time.Second
	s.srv.WriteTimeout = 30 * time.Second
	s.srv.MaxMessageBytes = 20 << 20
	s.srv.MaxRecipients = 50
	s.srv.ErrorLog = discardLogger{}
	go func() {
		defer close(s.closed)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			t.Errorf("handlertest: smtp server stopped: %v", err)
		}
	}()
	return s
}

// URL is the server's address as CPOR_SMTP_URL spells it.
func (s *SMTPServer) URL() string { return "smtp://" + s.Addr }

// SetBehaviour changes how the following messages are answered.
func (s *SMTPServer) SetBehaviour(b Behaviour) { s.behaviour.Store(int32(b)) }

// Attempts is how many messages clients tried to send (DATA commands), whatever the outcome.
func (s *SMTPServer) Attempts() int { return int(s.attempts.Load()) }

// Close stops the server and closes its connections.
func (s *SMTPServer) Close() {
	_ = s.srv.Close()
	<-s.closed
}

type smtpSession struct {
	server *SMTPServer
	conn   *smtp.Conn
	from   string
	to     []string
}

func (x *smtpSession) Reset()        { x.from, x.to = "", nil }
func (x *smtpSession) Logout() error { return nil }

func (x *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}

func (x *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *smtpSession) Data(r io.Reader) error {
	x.server.attempts.Add(1)
	switch Behaviour(x.server.behaviour.Load()) {
	case Reject:
		_, _ = io.Copy(io.Discard, r)
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "handlertest server rejects every message"}
	case DropInData:
		// Read a little of the message, then hang up without answering.
		_, _ = io.ReadFull(r, make([]byte, 64))
		_ = x.conn.Conn().Close()
		return errors.New("connection dropped by handlertest")
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.server.Mailbox.add(x.from, x.to, raw)
	return nil
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}
