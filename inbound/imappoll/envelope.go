package imappoll

import (
	"bytes"
	"strings"

	"parley/inbound"
)

// maxHeaderScan bounds how far into a message the envelope headers are
// looked for: delivery headers are at the top.
const maxHeaderScan = 256 << 10

// envelope tells what a stored message's header says of its delivery: the
// return path its final server wrote (Return-Path, "" for <>) and the
// addresses it was delivered to (Delivered-To and X-Original-To, in the
// order they appear, each once). It never fails: a header it cannot read
// leaves those fields empty, and the Receiver decides.
func envelope(mailbox string, raw []byte) inbound.Envelope {
	env := inbound.Envelope{Door: "imap", Remote: mailbox}
	seenReturnPath := false
	scanHeader(raw, func(name, value string) {
		switch strings.ToLower(name) {
		case "return-path":
			// The topmost is the one written at final delivery.
			if !seenReturnPath {
				seenReturnPath = true
				env.MailFrom = angleAddr(value)
			}
		case "delivered-to", "x-original-to":
			for _, v := range strings.Split(value, ",") {
				addr := angleAddr(v)
				if addr == "" || strings.ContainsFunc(addr, isSpaceOrControl) {
					continue
				}
				dup := false
				for _, r := range env.Rcpt {
					if strings.EqualFold(r, addr) {
						dup = true
						break
					}
				}
				if !dup {
					env.Rcpt = append(env.Rcpt, addr)
				}
			}
		}
	})
	return env
}

func isSpaceOrControl(r rune) bool { return r <= ' ' || r == 0x7f }

// angleAddr returns the address in "<addr>" (or a bare addr), trimmed.
func angleAddr(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, '<'); i >= 0 {
		if j := strings.IndexByte(v[i:], '>'); j >= 0 {
			return strings.TrimSpace(v[i+1 : i+j])
		}
	}
	return v
}

// scanHeader calls fn with each header field of raw (name and unfolded
// value) until the empty line that ends the header. It is lenient: lines
// without a colon are skipped, LF and CRLF both end a line.
func scanHeader(raw []byte, fn func(name, value string)) {
	if len(raw) > maxHeaderScan {
		raw = raw[:maxHeaderScan]
	}
	var name string
	var value strings.Builder
	flush := func() {
		if name != "" {
			fn(name, strings.TrimSpace(value.String()))
		}
		name = ""
		value.Reset()
	}
	for len(raw) > 0 {
		var line []byte
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			line, raw = raw, nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if name != "" {
				value.WriteByte(' ')
				value.Write(bytes.TrimSpace(line))
			}
			continue
		}
		flush()
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			continue
		}
		name = string(bytes.TrimSpace(line[:colon]))
		value.Write(line[colon+1:])
	}
	flush()
}
