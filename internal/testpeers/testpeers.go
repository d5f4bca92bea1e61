// Package testpeers is the home of the real peers parley's tests talk to,
// one package each, apart from the production code (they import none of
// it):
//
//   - redispeer: a Redis for each test (REDIS_URL, a throwaway
//     redis-server, or miniredis as a stand-in off CI)
//   - postfixpeer: smtp-sink and smtp-source (Postfix's test programs),
//     and a throwaway Postfix relay
//   - dovecotpeer: a throwaway Dovecot IMAP server
//   - smtppeer: an in-process SMTP server that records and refuses on
//     demand, and swaks, a real SMTP client
//   - twiliopeer: a fake Twilio REST API and Twilio's webhook signing
//   - browserpeer: headless Chromium, driven by chromedp or run once
//
// This package holds what they share, first of all the one rule for a peer
// that is not installed (Missing): under CI (CI=true) the test fails,
// because CI installs every peer; elsewhere it is skipped, and the message
// says how to install the peer.
package testpeers

import (
	"fmt"
	"os"
	"parley/internal/peerproc"
	"testing"
)

// CI reports whether the tests run under CI: the environment variable CI
// is set to anything but "", "0" or "false" (CI services set CI=true).
func CI() bool {
	switch os.Getenv("CI") {
	case "", "0", "false", "FALSE", "False":
		return false
	}
	return true
}

// Apt is the command that installs Debian packages, for the messages of
// Missing.
func Apt(packages ...string) string {
	cmd := "apt-get install -y"
	for _, p := range packages {
		cmd += " " + p
	}
	return cmd
}

// Missing applies the rule for a peer that is not here: what says what is
// missing, fix how to get it (for example Apt("postfix")). Under CI the
// test fails; elsewhere it is skipped. It does not return.
func Missing(t testing.TB, what, fix string) {
	t.Helper()
	rule(t, what, fix, "")
}

// StandIn is Missing for a peer that a helper can replace with a stand-in
// (miniredis for redis-server, Postfix's sendmail for swaks): under CI the
// test fails all the same; elsewhere the stand-in is logged and StandIn
// returns, and the caller uses it.
func StandIn(t testing.TB, what, fix, standIn string) {
	t.Helper()
	rule(t, what, fix, standIn)
}

// rule is the one rule every peer helper follows.
func rule(t testing.TB, what, fix, standIn string) {
	t.Helper()
	msg := fmt.Sprintf("%s; to run this test with it: %s", what, fix)
	switch {
	case CI():
		t.Fatalf("%s (CI=true: CI must provide every peer)", msg)
	case standIn != "":
		t.Logf("%s; using %s instead", msg, standIn)
	default:
		t.Skip(msg)
	}
}

// Program returns the path of a program, looked up in PATH and then in
// places (Debian puts daemons in /usr/sbin, which a user's PATH may lack).
// When it is nowhere, Missing names install.
func Program(t testing.TB, name, install string, places ...string) string {
	t.Helper()
	if p, ok := LookProgram(name, places...); ok {
		return p
	}
	Missing(t, name+" is not installed", install)
	return ""
}

// LookProgram is Program without the rule, for helpers that have a
// stand-in: the path, and whether it was found.
func LookProgram(name string, places ...string) (string, bool) {
	return peerproc.Look(name, places...)
}

// File checks that a file a peer needs is at its fixed place; otherwise
// Missing names install.
func File(t testing.TB, path, install string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		Missing(t, path+" is missing", install)
	}
}

// Root checks that the test runs as root, which a throwaway daemon that
// drops privileges to its own users needs (CI runs as root).
func Root(t testing.TB, what string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "a throwaway "+what+" must be started as root (its daemons run as their own users)",
			"run the tests as root")
	}
}
