// Package e2e holds end-to-end tests of the whole email loop, run against
// the real parley binary and real mail servers: `parley serve` as a
// subprocess on loopback ports, its admin commands (user, room, presence,
// post, lines, outbox) as a script would run them, a throwaway Postfix
// relaying members' replies to parley's SMTP server, and a throwaway
// Dovecot mailbox read by parley's IMAP poller (internal/testpeers).
//
// The package has no code of its own: everything is in its _test.go
// files. Run it with
//
//	go test -race ./internal/e2e/
//
// as root, with the Debian packages postfix and dovecot-imapd (and, for
// SMTP submission by a real client, swaks) installed; without them the
// tests are skipped, or fail under CI=true (the rule of
// internal/testpeers). Off CI, without swaks, replies are submitted with
// Postfix's own sendmail (TESTPEERS_NO_SWAKS=1 tries that path on a
// machine that has swaks).
// E2E_SHOW_LOG=1 prints parley serve's log even when a test passes.
//
// The fault suite (faults_*_test.go) runs parley serve under the failures
// its delivery engine must survive, each printing its figure: serve
// SIGKILLed during a backlog, after the smarthost took an email, and 5
// times under SMTP load (E2E_FAULT_KILLS=N for a longer run); SIGTERM
// during a backlog; Redis killed; the smarthost down, refusing 4xx then
// 5xx; replayed SMTP transactions and webhooks; Dovecot killed while the
// poller reads. Each asserts the engine's promise: every acknowledged
// reply is one line, and every line goes out once (or again with the
// same Message-ID when a crash hid whether it went).
//
// The cluster tests start their own Redis Cluster: TestClusterLoad runs
// three serve processes on three masters under API and SMTP load, one of
// them SIGKILLed and restarted (600 lines over 30 rooms;
// PARLEY_LOAD_FULL=1 for 5,000 over 100), and compares lines/s with one
// process on one redis-server; TestClusterFailover kills a master of a
// cluster with replicas under PARLEY_REDIS_WAIT=1.
//
// The binary is built once per run, with -race when the tests run with
// -race: a data race anywhere in the server then fails the test that saw
// it.
package e2e
