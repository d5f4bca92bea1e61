package mailparse

import (
	"bufio"
	"bytes"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// Bounce describes a failed delivery, read from a delivery status
// notification (RFC 3464) or, for servers that send none, from the text of
// the report.
type Bounce struct {
	// Recipients are the addresses that could not be reached.
	Recipients []string
	// Status is the enhanced status code (RFC 3463) of the first failure,
	// such as "5.1.1", or "" when the report gives none.
	Status string
	// Permanent is true for 5.x.x (and 5xx) failures, false for temporary
	// 4.x.x ones and delays; the delivery worker retries only the latter.
	Permanent bool
	// Diagnostic is the remote server's explanation, if any.
	Diagnostic string
	// MessageID identifies the message that bounced, when the report
	// includes its header (without angle brackets).
	MessageID string
}

// maxBounceLines bounds the report text scanned for recipients.
const maxBounceLines = 400

// bounce decides whether the collected parts make a bounce. A machine
// readable report decides by its Action fields; without one, a message the
// header calls a bounce is read as text.
func (c *collector) bounce(m *Message, kind Kind) (*Bounce, bool) {
	var b *Bounce
	if c.dsn != nil {
		var ok bool
		if b, ok = parseDSN(c.dsn); !ok {
			return nil, false
		}
	} else if kind == KindBounce {
		b = scanBounceText(m.Text, c.failedHeader)
	} else {
		return nil, false
	}
	if b.MessageID == "" && c.returned != nil {
		b.MessageID = returnedMessageID(c.returned)
	}
	if b.MessageID == "" {
		b.MessageID = messageIDInText(m.Text)
	}
	if b.MessageID == "" {
		b.MessageID = m.InReplyTo
	}
	return b, true
}

// dsnFields reads the blank-line separated field groups of a
// message/delivery-status body: the per-message fields, then one group per
// recipient.
func dsnFields(data []byte) []textproto.Header {
	var groups []textproto.Header
	br := bufio.NewReader(bytes.NewReader(data))
	for len(groups) < 1000 {
		// Skip blank lines between groups.
		for {
			p, err := br.Peek(1)
			if err != nil || (p[0] != '\n' && p[0] != '\r') {
				break
			}
			_, _ = br.ReadByte()
		}
		if _, err := br.Peek(1); err != nil {
			break
		}
		h, err := textproto.ReadHeader(br)
		if h.Len() > 0 {
			groups = append(groups, h)
		}
		if err != nil {
			// A line that is not a field: skip it and go on.
			if _, err := br.ReadString('\n'); err != nil {
				break
			}
		}
	}
	return groups
}

// parseDSN reads an RFC 3464 report. It returns false when no recipient
// failed or was delayed (a "relayed" or "delivered" report).
func parseDSN(data []byte) (*Bounce, bool) {
	groups := dsnFields(data)
	b := &Bounce{}
	for i, g := range groups {
		if i == 0 && g.Get("Final-Recipient") == "" && g.Get("Action") == "" {
			b.MessageID = firstMsgID(g.Get("X-Original-Message-Id"))
			continue
		}
		action := strings.ToLower(strings.TrimSpace(g.Get("Action")))
		status := firstStatus(g.Get("Status"))
		failed := action == "failed" || action == "delayed" ||
			action == "" && (strings.HasPrefix(status, "4") || strings.HasPrefix(status, "5"))
		if !failed {
			continue
		}
		first := len(b.Recipients) == 0
		rcpt := dsnAddress(g.Get("Final-Recipient"))
		if rcpt == "" {
			rcpt = dsnAddress(g.Get("Original-Recipient"))
		}
		if rcpt == "" || containsFold(b.Recipients, rcpt) {
			continue
		}
		b.Recipients = append(b.Recipients, rcpt)
		if !first {
			continue
		}
		diag := collapseSpace(g.Get("Diagnostic-Code"))
		if t, rest, ok := strings.Cut(diag, ";"); ok && !strings.Contains(t, " ") {
			diag = strings.TrimSpace(rest) // drop the "smtp;" type
		}
		if status == "" {
			status = firstStatus(diag)
		}
		b.Status, b.Diagnostic = status, diag
		b.Permanent = action != "delayed" && !strings.HasPrefix(status, "4") &&
			(status != "" || !basicCodeIs(diag, '4'))
	}
	if len(b.Recipients) == 0 {
		return nil, false
	}
	return b, true
}

// dsnAddress strips the address type from "rfc822; user@example.org".
func dsnAddress(v string) string {
	if _, addr, ok := strings.Cut(v, ";"); ok {
		v = addr
	}
	return strings.Trim(strings.TrimSpace(v), "<>")
}

// scanBounceText reads the failing recipients, status and explanation from
// a report written for people (Yahoo, qmail, Postfix without a DSN).
func scanBounceText(text string, failedHeader string) *Bounce {
	b := &Bounce{Permanent: true}
	for _, a := range strings.Split(failedHeader, ",") {
		if a = strings.TrimSpace(a); looksLikeEmail(a) && !containsFold(b.Recipients, a) {
			b.Recipients = append(b.Recipients, a)
		}
	}
	lines := strings.Split(text, "\n")
	if len(lines) > maxBounceLines {
		lines = lines[:maxBounceLines]
	}
	for i, line := range lines {
		t := trimSpace(line)
		lower := strings.ToLower(t)
		if strings.Contains(lower, "copy of the message") || strings.Contains(lower, "original message") {
			break
		}
		t = strings.TrimLeft(t, "*-• ")
		addr, rest := "", ""
		if strings.HasPrefix(t, "<") {
			if gt := strings.IndexByte(t, '>'); gt > 0 {
				addr, rest = t[1:gt], strings.TrimSpace(strings.TrimPrefix(t[gt+1:], ":"))
			}
		} else if !strings.ContainsAny(t, " \t") {
			addr = strings.TrimSuffix(t, ":")
		}
		if !looksLikeEmail(addr) || strings.ContainsAny(addr, "<>()") {
			continue
		}
		if !containsFold(b.Recipients, addr) {
			b.Recipients = append(b.Recipients, addr)
		}
		if b.Diagnostic != "" {
			continue
		}
		// The explanation follows on the same line or the next ones.
		diag := rest
		for k := i + 1; k < len(lines) && k <= i+3; k++ {
			next := trimSpace(lines[k])
			if next == "" || strings.HasPrefix(next, "<") {
				break
			}
			diag += " " + next
		}
		b.Diagnostic = collapseSpace(diag)
	}
	b.Status = firstStatus(b.Diagnostic)
	switch {
	case strings.HasPrefix(b.Status, "4"), b.Status == "" && basicCodeIs(b.Diagnostic, '4'):
		b.Permanent = false
	}
	return b
}

// firstStatus finds the first enhanced status code "c.sss.ddd" in s.
func firstStatus(s string) string {
	for i := 0; i+4 < len(s); i++ {
		c := s[i]
		if (c != '2' && c != '4' && c != '5') || s[i+1] != '.' || (i > 0 && (isDigit(s[i-1]) || s[i-1] == '.')) {
			continue
		}
		j := i + 2
		n1 := digits(s, j)
		if n1 == 0 || n1 > 3 || j+n1 >= len(s) || s[j+n1] != '.' {
			continue
		}
		k := j + n1 + 1
		n2 := digits(s, k)
		if n2 == 0 || n2 > 3 || (k+n2 < len(s) && (isDigit(s[k+n2]) || s[k+n2] == '.')) {
			continue
		}
		return s[i : k+n2]
	}
	return ""
}

// basicCodeIs reports whether the first three-digit SMTP reply code in s
// starts with class.
func basicCodeIs(s string, class byte) bool {
	for i := 0; i+2 < len(s); i++ {
		if (i == 0 || !isDigit(s[i-1])) && digits(s, i) == 3 && (s[i] == '4' || s[i] == '5') {
			return s[i] == class
		}
	}
	return false
}

func digits(s string, i int) int {
	n := 0
	for i+n < len(s) && isDigit(s[i+n]) && n < 4 {
		n++
	}
	return n
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func collapseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// returnedMessageID reads the Message-ID of a returned message or header
// block (message/rfc822, text/rfc822-headers).
func returnedMessageID(data []byte) string {
	h, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(cleanHeader(data))))
	return firstMsgID(h.Get("Message-Id"))
}

// messageIDInText finds a "Message-ID:" header line in a report whose
// returned message is pasted into the text (Yahoo).
func messageIDInText(text string) string {
	for n := 0; n < 5000 && text != ""; n++ {
		line, rest, _ := strings.Cut(text, "\n")
		text = rest
		if len(line) > 11 && strings.EqualFold(line[:11], "message-id:") {
			return firstMsgID(line[11:])
		}
	}
	return ""
}
