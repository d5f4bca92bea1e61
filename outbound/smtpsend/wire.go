package smtpsend

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

// wire is the client side of one SMTP session with the smarthost, spoken
// here rather than by go-smtp's client, which sends each command and
// waits for its reply before the next. With PIPELINING (RFC 2920) a
// message's MAIL, RCPT and DATA go out in one write and their replies
// come back together: two round trips a message instead of four. Server
// replies are returned as go-smtp's *smtp.SMTPError, which the rest of the
// package classifies (errors.go).
type wire struct {
	conn net.Conn // TCP through writeBehind, or TLS over it
	text *textproto.Conn
	// ext holds the EHLO keywords, upper case, with their parameters
	// (nil after HELO).
	ext map[string]string
	// cmdTimeout bounds each reply but the last; dataTimeout the writing
	// of a body and the reply to its final dot.
	cmdTimeout, dataTimeout time.Duration
	// closed is set once the session is closed (close).
	closed bool
}

func newWire(conn net.Conn, cmdTimeout, dataTimeout time.Duration) *wire {
	return &wire{conn: conn, text: newText(conn), cmdTimeout: cmdTimeout, dataTimeout: dataTimeout}
}

// newText is the protocol's text on conn, its reply lines at most
// maxReplyLine bytes long. (Its Close is not used: wire.close closes conn.)
func newText(conn net.Conn) *textproto.Conn {
	return &textproto.Conn{
		Reader: *textproto.NewReader(bufio.NewReader(&lineLimiter{r: conn})),
		Writer: *textproto.NewWriter(bufio.NewWriter(conn)),
	}
}

// maxReplyLine bounds a reply line (RFC 5321 section 4.5.3.1.5 allows 512
// octets; a server writing megabytes without a line break is broken).
const maxReplyLine = 4096

// errLongReply fails a read that passes maxReplyLine without a line break.
var errLongReply = errors.New("smarthost reply line too long")

// lineLimiter reads from r, failing once a line passes maxReplyLine.
type lineLimiter struct {
	r    io.Reader
	line int // bytes since the last LF
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, c := range p[:n] {
		if c == '\n' {
			l.line = 0
		} else if l.line++; l.line > maxReplyLine {
			return 0, errLongReply
		}
	}
	return n, err
}

// deadline gives the session's reads and writes d from now.
func (w *wire) deadline(d time.Duration) error {
	return w.conn.SetDeadline(time.Now().Add(d))
}

// reply reads one reply, whose code must match expect as in
// textproto.Reader.ReadResponse (one to three digits).
func (w *wire) reply(expect int) (string, error) {
	_, msg, err := w.text.ReadResponse(expect)
	var te *textproto.Error
	if errors.As(err, &te) {
		return msg, toSMTPError(te)
	}
	return msg, err
}

// cmd sends one command line and reads its reply, within cmdTimeout.
func (w *wire) cmd(expect int, line string) (string, error) {
	if err := w.deadline(w.cmdTimeout); err != nil {
		return "", err
	}
	if err := w.text.PrintfLine("%s", line); err != nil {
		return "", err
	}
	return w.reply(expect)
}

// toSMTPError makes a reply that was not the one expected an
// *smtp.SMTPError, its enhanced status code (RFC 3463) taken out of the
// text when the text begins with one.
func toSMTPError(te *textproto.Error) *smtp.SMTPError {
	e := &smtp.SMTPError{Code: te.Code, Message: te.Msg}
	first, rest, ok := strings.Cut(te.Msg, " ")
	if !ok {
		return e
	}
	var code smtp.EnhancedCode
	parts := strings.Split(first, ".")
	if len(parts) != 3 {
		return e
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return e
		}
		code[i] = n
	}
	e.EnhancedCode = code
	// Each line of a multi-line reply repeats the code (RFC 2034).
	e.Message = strings.ReplaceAll(rest, "\n"+first+" ", "\n")
	return e
}

// greet reads the server's greeting.
func (w *wire) greet() error {
	if err := w.deadline(w.cmdTimeout); err != nil {
		return err
	}
	_, err := w.reply(220)
	return err
}

// hello says EHLO, or HELO to a server that does not know EHLO, and
// records the extensions offered.
func (w *wire) hello(name string) error {
	msg, err := w.cmd(250, "EHLO "+name)
	var se *smtp.SMTPError
	if errors.As(err, &se) && (se.Code == 500 || se.Code == 502) {
		w.ext = nil
		_, err = w.cmd(250, "HELO "+name)
		return err
	}
	if err != nil {
		return err
	}
	w.ext = map[string]string{}
	lines := strings.Split(msg, "\n")
	for _, l := range lines[1:] {
		k, v, _ := strings.Cut(l, " ")
		w.ext[strings.ToUpper(k)] = v
	}
	return nil
}

// extension reports whether the server offered the EHLO keyword name,
// and its parameters.
func (w *wire) extension(name string) (bool, string) {
	v, ok := w.ext[name]
	return ok, v
}

// startTLS says STARTTLS and makes the session TLS. The caller says EHLO
// again, as RFC 3207 requires.
func (w *wire) startTLS(cfg *tls.Config) error {
	if ok, _ := w.extension("STARTTLS"); !ok {
		return permanent("tls", "smarthost does not offer STARTTLS")
	}
	if _, err := w.cmd(220, "STARTTLS"); err != nil {
		return err
	}
	tc := tls.Client(w.conn, cfg)
	if err := tc.Handshake(); err != nil {
		return err
	}
	w.conn, w.text, w.ext = tc, newText(tc), nil
	return nil
}

// supportsAuth reports whether the server offered AUTH with mechanism
// mech.
func (w *wire) supportsAuth(mech string) bool {
	_, mechs := w.extension("AUTH")
	for _, m := range strings.Fields(mechs) {
		if strings.EqualFold(m, mech) {
			return true
		}
	}
	return false
}

// authPlain logs in with AUTH PLAIN (RFC 4616), the credentials sent with
// the command.
func (w *wire) authPlain(user, password string) error {
	ir := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + password))
	_, err := w.cmd(235, "AUTH PLAIN "+ir)
	return err
}

// mailLine is the MAIL command for from with the parameters opts asks
// for (the caller has made sure the server offers SMTPUTF8 and REQUIRETLS
// when asked: transact, requireTLS) and the ones the server offers.
func (w *wire) mailLine(from string, opts *smtp.MailOptions) string {
	var b strings.Builder
	b.WriteString("MAIL FROM:<" + from + ">")
	if ok, _ := w.extension("8BITMIME"); ok {
		b.WriteString(" BODY=8BITMIME")
	}
	if ok, _ := w.extension("SIZE"); ok && opts.Size > 0 {
		b.WriteString(" SIZE=" + strconv.FormatInt(opts.Size, 10))
	}
	if opts.RequireTLS {
		b.WriteString(" REQUIRETLS")
	}
	if opts.UTF8 {
		b.WriteString(" SMTPUTF8")
	}
	return b.String()
}

// envelope sends MAIL, each RCPT and DATA and reads up to the 354 that
// invites the body; op says which command failed. One recipient with
// PIPELINING: the three commands go out in one write, and their replies
// are all read, in order, so that the session stays in step after a
// refusal.
func (w *wire) envelope(mail string, to []string) (op string, err error) {
	if ok, _ := w.extension("PIPELINING"); !ok || len(to) != 1 {
		if _, err := w.cmd(250, mail); err != nil {
			return "mail", err
		}
		for _, rcpt := range to {
			if _, err := w.cmd(25, "RCPT TO:<"+rcpt+">"); err != nil {
				return "rcpt", rcptErr(rcpt, err)
			}
		}
		_, err := w.cmd(354, "DATA")
		return "data", err
	}
	if err := w.deadline(w.cmdTimeout); err != nil {
		return "mail", err
	}
	for _, line := range []string{mail, "RCPT TO:<" + to[0] + ">", "DATA"} {
		if err := w.text.PrintfLine("%s", line); err != nil {
			return "mail", err
		}
	}
	var errs [3]error
	read := 0 // replies read
	for i, expect := range []int{250, 25, 354} {
		// Each reply has its own CommandTimeout, as if sent alone.
		if i > 0 {
			if err := w.deadline(w.cmdTimeout); err != nil {
				return "mail", err
			}
		}
		_, errs[i] = w.reply(expect)
		read++
		var se *smtp.SMTPError
		if errs[i] != nil && !errors.As(errs[i], &se) {
			break // the connection failed: nothing more will come
		}
	}
	switch {
	case errs[0] != nil || errs[1] != nil:
		if read < 3 || errs[2] == nil {
			// Replies are missing, or the server took DATA with no valid
			// recipient and waits for a body: the session is out of
			// step, and no RSET can mend it.
			_ = w.close()
		}
		if errs[0] != nil {
			return "mail", errs[0]
		}
		return "rcpt", rcptErr(to[0], errs[1])
	default:
		return "data", errs[2]
	}
}

// rcptErr names the refused recipient in err.
func rcptErr(rcpt string, err error) error {
	e := wrapErr("rcpt", err)
	e.Rcpt = rcpt
	return e
}

// body writes msg, dot-stuffed, and the final dot, within dataTimeout.
// The reply to the dot is read by the caller (finish), which may first
// decide that it is too late to give up.
func (w *wire) body(msg []byte) error {
	if err := w.deadline(w.dataTimeout); err != nil {
		return err
	}
	if err := writeDotted(w.text.W, msg); err != nil {
		return err
	}
	return w.text.W.Flush()
}

// finish reads the reply to the final dot.
func (w *wire) finish() error {
	_, err := w.reply(250)
	return err
}

// writeDotted writes msg as DATA content followed by the final ".", as
// textproto's DotWriter does (FuzzWriteDotted holds them to the same): a
// line that starts with "." gets another, a bare LF becomes CRLF, and the
// body ends with a line break. A message whose line ends are all CRLF and
// that ends with one, as parley composes them, is copied a run of lines
// at a time instead of a byte at a time.
func writeDotted(bw *bufio.Writer, msg []byte) error {
	if !crlfLines(msg) {
		dw := textproto.NewWriter(bw).DotWriter()
		if _, err := dw.Write(msg); err != nil {
			return err
		}
		return dw.Close()
	}
	if msg[0] == '.' {
		_ = bw.WriteByte('.')
	}
	for rest := msg; len(rest) > 0; {
		i := bytes.Index(rest, []byte("\n."))
		if i < 0 {
			_, _ = bw.Write(rest)
			break
		}
		_, _ = bw.Write(rest[:i+2]) // through the dot, which gets another
		_ = bw.WriteByte('.')
		rest = rest[i+2:]
	}
	_, err := bw.WriteString(".\r\n")
	return err // a bufio.Writer keeps its first error
}

// crlfLines reports whether msg is lines each ended by CRLF, with no CR
// or LF elsewhere.
func crlfLines(msg []byte) bool {
	n := bytes.Count(msg, []byte("\r\n"))
	return n > 0 && bytes.HasSuffix(msg, []byte("\r\n")) &&
		bytes.Count(msg, []byte("\r")) == n && bytes.Count(msg, []byte("\n")) == n
}

// reset says RSET, ending a transaction that failed.
func (w *wire) reset() error {
	_, err := w.cmd(250, "RSET")
	return err
}

// quit says QUIT, waiting at most timeout for the reply, and closes.
func (w *wire) quit(timeout time.Duration) error {
	w.cmdTimeout = min(w.cmdTimeout, timeout)
	_, err := w.cmd(221, "QUIT")
	if cerr := w.close(); err == nil {
		err = cerr
	}
	return err
}

// close closes the connection.
func (w *wire) close() error {
	w.closed = true
	return w.conn.Close()
}
