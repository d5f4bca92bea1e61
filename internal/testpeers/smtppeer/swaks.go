package smtppeer

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley/internal/testpeers"
)

// SwaksInstall is the command that installs swaks.
var SwaksInstall = testpeers.Apt("swaks")

// Swaks submits msg (the whole message, header and body) over SMTP to addr
// with swaks, a real SMTP client: EHLO client.test, envelope sender from,
// recipient to. The message goes out byte for byte (line ends made CRLF,
// leading dots doubled as SMTP wants, nothing else: swaks's own fix-ups,
// such as expanding %DATE% tokens, are off). It fails the test unless the
// message was accepted. Without swaks the test fails under CI and is
// skipped elsewhere; see HaveSwaks.
func Swaks(t testing.TB, addr, from, to string, msg []byte) {
	t.Helper()
	bin := testpeers.Program(t, "swaks", SwaksInstall, "/usr/bin/swaks")
	file := filepath.Join(t.TempDir(), "msg.eml")
	testpeers.WriteFile(t, file, smtpData(msg), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	args := []string{"--server", addr, "--ehlo", "client.test", "--from", from, "--to", to,
		"--data", "@" + file, "--no-data-fixup", "--timeout", "10", "--silent", "2"}
	if out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("swaks %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// smtpData is msg as the DATA of an SMTP transaction: CRLF line ends, a
// dot doubled at the start of a line, and the final "." line without its
// line end (swaks --no-data-fixup adds it; with one more it would send an
// empty command).
func smtpData(msg []byte) []byte {
	text := strings.ReplaceAll(strings.ReplaceAll(string(msg), "\r\n", "\n"), "\n", "\r\n")
	if !strings.HasSuffix(text, "\r\n") {
		text += "\r\n"
	}
	if strings.HasPrefix(text, ".") {
		text = "." + text
	}
	return []byte(strings.ReplaceAll(text, "\r\n.", "\r\n..") + ".")
}

// HaveSwaks tells whether swaks is here, for tests that have another way
// to submit. TESTPEERS_NO_SWAKS=1 pretends it is not, to try that way.
// Otherwise a missing swaks fails the test under CI, like every missing
// peer; elsewhere it is logged and HaveSwaks returns false.
func HaveSwaks(t testing.TB) bool {
	t.Helper()
	if os.Getenv("TESTPEERS_NO_SWAKS") == "1" {
		return false
	}
	if _, ok := testpeers.LookProgram("swaks", "/usr/bin/swaks"); ok {
		return true
	}
	testpeers.StandIn(t, "swaks is not installed", SwaksInstall, "the test's other way to submit")
	return false
}
