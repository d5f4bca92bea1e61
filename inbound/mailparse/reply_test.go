package mailparse

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// TestExtractReplyClients covers the formats of clients that have no
// sample among the fixtures, and edge cases.
func TestExtractReplyClients(t *testing.T) {
	tests := []struct {
		name, in, reply string
		removed         string // a phrase of what was cut
	}{
		{"empty", "", "", ""},
		{"blank", " \n\t\n", "", ""},
		{"plain", "Sounds good, see you at 5.", "Sounds good, see you at 5.", ""},
		{"only a quote", "> earlier line\n> more", "> earlier line\n> more", ""},
		{"only a quote with its header", "On 1 Jan 2024, Ann <a@b.example> wrote:\n> earlier line", "> earlier line", "wrote:"},
		{"only a signature", "-- \nBob", "", "Bob"},
		{"signature above text", "Sent from my iPhone\n\nSee you there", "See you there", "Sent from my iPhone"},
		{"quoted forward", "> ---------- Forwarded message ---------\n> From: Ann Lee <ann@example.org>\n> Subject: x\n>\n> the text", "Forwarded from Ann Lee:\nthe text", "Subject: x"},
		{"outlook forward, nothing typed", "From: Ann Lee [mailto:ann@example.org]\nSent: Friday, January 12, 2024 10:00 AM\nTo: Bob\nSubject: plan\n\nThe plan.", "Forwarded from Ann Lee:\nThe plan.", "Sent: Friday"},
		{"original message, nothing typed", "-----Original Message-----\nFrom: \"Ann\" <ann@example.org>\n\nThe plan.", "Forwarded from Ann:\nThe plan.", "Original Message"},
		{"iphone forward", "Look\n\nSent from my iPhone\n\nBegin forwarded message:\n\nFrom: Ann <ann@example.org>\nSubject: x\n\ntext", "Look\n\nForwarded from Ann:\ntext", "Sent from my iPhone"},
		{"forward without sender", "---------- Forwarded message ---------\nThe plan.", "Forwarded from an unknown sender:\nThe plan.", "Forwarded message"},
		{"bottom post", "On 1 Jan 2024, Ann <a@b.example> wrote:\n> Lunch?\n\nYes, at noon.", "Yes, at noon.", "Lunch?"},
		{"greeting then bottom post", "Hi,\n\n> Lunch?\n\nYes, at noon.", "Hi,\n\nYes, at noon.", "Lunch?"},
		{"unanswered quote after answers", "> a?\n\nyes\n\n> b?\n\nno\n\n> thanks", "> a?\n\nyes\n\n> b?\n\nno", "thanks"},
		{"bare attribution", "Sure.\n\nAnn Lee wrote:\n> Lunch?", "Sure.", "Ann Lee wrote:"},
		{"sign-off followed by content", "See you.\n\nCheers,\nP.S. bring the slides", "See you.\n\nCheers,\nP.S. bring the slides", ""},
		{"sign-off followed by a question", "See you.\n\nThanks,\nBob\nCan you bring the slides?", "See you.\n\nThanks,\nBob\nCan you bring the slides?", ""},
		{"apple mail",
			"Yes, I'll bring the cake.\n\nOn 12 Jan 2024, at 10:00, Ann Lee <ann@example.org> wrote:\n\n> Who brings the cake?",
			"Yes, I'll bring the cake.", "Who brings the cake?"},
		{"iphone",
			"Running late\n\nSent from my iPhone\n\n> On Jan 12, 2024, at 10:00, Ann <ann@example.org> wrote:\n> \n> Where are you?",
			"Running late", "Sent from my iPhone"},
		{"android gmail",
			"Ok\n\nOn Fri, 12 Jan 2024, 10:00 Ann Lee, <ann@example.org> wrote:\n\n> Ping",
			"Ok", "Ping"},
		{"yahoo",
			"Thanks!\n\n    On Monday, January 15, 2024, 10:02:11 AM GMT+1, Ann Lee <ann@yahoo.com> wrote:  \n \n Can you call me?",
			"Thanks!", "Can you call me?"},
		{"yahoo header block",
			"Agreed.\n\n      From: Ann Lee <ann@yahoo.com>\n To: Bob <bob@example.org>\n Sent: Monday, January 15, 2024 10:02 AM\n Subject: Re: plan\n\nPlan B?",
			"Agreed.", "Plan B?"},
		{"thunderbird",
			"Fine by me.\n\nOn 12.01.24 10:00, Ann Lee wrote:\n> Let's move the call.",
			"Fine by me.", "move the call"},
		{"thunderbird forward",
			"FYI\n\n-------- Forwarded Message --------\nSubject: \tplan\nDate: \tFri, 12 Jan 2024 10:00:00 +0100\nFrom: \tAnn <ann@example.org>\n\nbody",
			"FYI\n\nForwarded from Ann:\nbody", "Forwarded Message"},
		{"outlook web",
			"See below.\n\n________________________________\nFrom: Ann Lee <ann@example.org>\nSent: Friday, January 12, 2024 10:00 AM\nTo: Bob <bob@example.org>\nSubject: plan\n\nOriginal text",
			"See below.", "Original text"},
		{"outlook desktop",
			"Done.\n\n-----Original Message-----\nFrom: Ann Lee [mailto:ann@example.org] \nSent: Friday, January 12, 2024 10:00 AM\n\nOriginal text",
			"Done.", "Original text"},
		{"outlook french",
			"C'est fait.\n\nDe : Ann Lee <ann@example.org>\nEnvoyé : vendredi 12 janvier 2024 10:00\nÀ : Bob\nObjet : plan\n\nTexte",
			"C'est fait.", "Texte"},
		{"outlook german",
			"Erledigt.\n\nVon: Ann Lee <ann@example.org>\nGesendet: Freitag, 12. Januar 2024 10:00\nAn: Bob\nBetreff: Plan\n\nText",
			"Erledigt.", "Text"},
		{"blackberry",
			"On my way\nSent from my BlackBerry 10 smartphone.\n  Original Message  \nFrom: Ann\nSent: Friday, January 12, 2024 10:00\nTo: Bob\n\nWhere?",
			"On my way", "Where?"},
		{"zimbra",
			"Oui.\n\n----- Mail original -----\nDe: \"Ann\" <ann@example.org>\nÀ: \"Bob\" <bob@example.org>\nEnvoyé: Vendredi 12 Janvier 2024 10:00:00\nObjet: plan\n\nOn y va ?",
			"Oui.", "On y va ?"},
		{"apple forward", "Look at this\n\nBegin forwarded message:\n\nFrom: Ann <ann@example.org>\nSubject: x\n\ntext", "Look at this\n\nForwarded from Ann:\ntext", "Begin forwarded message:"},
		{"signature", "See you\n-- \nBob Smith\nAcme", "See you", "Bob Smith"},
		{"sign-off", "See you at 5.\n\nKind regards,\nBob Smith\nAcme Corp", "See you at 5.", "Kind regards,"},
		{"sign-off alone stays", "Regards,\nBob", "Regards,\nBob", ""},
		{"thanks stays", "Thanks!", "Thanks!", ""},
		{"inline answers",
			"On Fri, Jan 12, 2024 at 10:00 AM Ann <ann@example.org> wrote:\n> Time?\n\n5pm\n\n> Place?\n\nThe cafe",
			"> Time?\n\n5pm\n\n> Place?\n\nThe cafe", "wrote:"},
		{"cr line ends", "Yes\r\rOn 1 Jan 2024, Ann <a@b.example> wrote:\r> q", "Yes", "q"},
		{"quote prefix with spaces", "Yes\n\n  > indented quote", "Yes", "indented quote"},
		{"header at end of input", "Yes\n\nOn 1 Jan 2024, Ann <a@b.example> wrote:", "Yes", "wrote:"},
		{"separator keeps text above", "Text\n-----Ursprüngliche Nachricht-----\nVon: x", "Text", "Ursprüngliche"},
		{"dashed words are content", "a\n---- Key points ----\nb", "a\n---- Key points ----\nb", ""},
		{"danish separator", "a\n-------- Oprindelig besked --------\nFra: x", "a", "Oprindelig"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply, removed := ExtractReply(tt.in)
			if reply != tt.reply {
				t.Errorf("reply = %q, want %q (removed %q)", reply, tt.reply, removed)
			}
			if !strings.Contains(removed, tt.removed) {
				t.Errorf("removed = %q, want it to contain %q", removed, tt.removed)
			}
		})
	}
}

// adversarial returns about size bytes of input built to make a careless
// reply extractor rescan lines: each pattern repeats a trap.
func adversarial(pattern string, size int) string {
	var b strings.Builder
	for b.Len() < size {
		b.WriteString(pattern)
	}
	return b.String()
}

var adversarialPatterns = map[string]string{
	"one long line":        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 1@",
	"header ends":          "x 1 @ a:\n",
	"almost headers":       "On 2024-01-01 someone <a@b.example> said things and then something else happened:\n",
	"wrapped headers":      "On 1 Jan,\nat 10:00,\n<a@b.example>\n",
	"quotes and text":      "> q\nt\n",
	"header blocks":        "From: a@b.example\nx\n",
	"field lines":          "Key: value\nOther: value\n",
	"colons":               ":\n",
	"blank and spaces":     "    \n\u00a0\n",
	"dash lines":           "-- x --\n",
	"sign-off bait":        "Regards,\n",
	"quoted header tails":  ">:\n",
	"verbs without colons": "On 1 a@b wrote wrote wrote\n",
	"long wrapped":         strings.Repeat("y", 400) + " 1 @\n" + strings.Repeat("z", 190) + " wrote:\n",
}

// TestExtractReplyLinear checks that the work grows linearly: ten times
// the input may take at most about ten times as long (a quadratic scan
// would take a hundred), and a megabyte stays far below a second.
func TestExtractReplyLinear(t *testing.T) {
	for name, pattern := range adversarialPatterns {
		t.Run(name, func(t *testing.T) {
			small := adversarial(pattern, 100<<10)
			large := adversarial(pattern, 1<<20)
			ts := minDuration(3, func() { ExtractReply(small) })
			tl := minDuration(3, func() { ExtractReply(large) })
			t.Logf("100 KB: %v, 1 MB: %v", ts, tl)
			if tl > 2*time.Second {
				t.Fatalf("1 MB took %v", tl)
			}
			base := ts
			if base < time.Millisecond {
				base = time.Millisecond
			}
			if ratio := float64(tl) / float64(base); ratio > 40 {
				t.Errorf("1 MB took %v, 100 KB %v: ratio %.0f suggests super-linear work", tl, ts, ratio)
			}
		})
	}
}

// minDuration is the least CPU time f took in runs runs (cputime_test.go):
// the work done, whatever else the machine is doing.
func minDuration(runs int, f func()) time.Duration {
	best := time.Duration(1<<63 - 1)
	for i := 0; i < runs; i++ {
		if d := cpuTime(f); d < best {
			best = d
		}
	}
	return best
}

// TestPathologicalFast is github's test_pathological_emails: under a
// second.
func TestPathologicalFast(t *testing.T) {
	in := string(fixture(t, "replies/github/pathological.txt"))
	d := cpuTime(func() {
		for i := 0; i < 100; i++ {
			ExtractReply(in)
		}
	})
	if d > time.Second {
		t.Errorf("100 runs took %v", d)
	}
}

func BenchmarkExtractReply(b *testing.B) {
	in := string(fixture(b, "replies/crisp/email_2.txt"))
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		ExtractReply(in)
	}
}

func BenchmarkExtractReplyAdversarial1MB(b *testing.B) {
	for _, name := range []string{"quotes and text", "long wrapped", "header ends"} {
		in := adversarial(adversarialPatterns[name], 1<<20)
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				ExtractReply(in)
			}
		})
	}
}

func ExampleExtractReply() {
	reply, removed := ExtractReply("Yes, 5pm works.\n\nOn Fri, 12 Jan 2024 at 10:00, Ann <ann@example.org> wrote:\n> Does 5pm work?")
	fmt.Printf("%q\n%q\n", reply, removed)
	// Output:
	// "Yes, 5pm works."
	// "On Fri, 12 Jan 2024 at 10:00, Ann <ann@example.org> wrote:\n> Does 5pm work?"
}

// TestWroteVerbsFit keeps maxWroteVerb, which lets mayEndWroteHeader skip
// long words, in step with wroteVerbs.
func TestWroteVerbsFit(t *testing.T) {
	for v := range wroteVerbs {
		if len(v) > maxWroteVerb {
			t.Errorf("wrote verb %q is %d bytes, more than maxWroteVerb (%d)", v, len(v), maxWroteVerb)
		}
	}
}

// TestMobilePrefixes keeps true what isMobileSig relies on: every prefix
// is lower-case and begins with a letter.
func TestMobilePrefixes(t *testing.T) {
	for _, p := range mobilePrefixes {
		if r, _ := utf8.DecodeRuneInString(p); !unicode.IsLetter(r) || strings.ToLower(p) != p {
			t.Errorf("mobile prefix %q must be lower-case and begin with a letter", p)
		}
	}
}

// TestLanguageTable keeps the table of replylang.go as the matchers need
// it: lower-case words without surrounding spaces (a mobile prefix ends
// with one), prefixes that begin with a letter, and no language without a
// name.
func TestLanguageTable(t *testing.T) {
	for _, l := range languages {
		if l.name == "" {
			t.Errorf("a language has no name: %+v", l)
		}
		for _, field := range [][]string{l.wrote, l.wroteMarks, l.lead, l.from, l.fields, l.separator,
			l.introductions, l.forward, l.mobile, l.mobileSuffix, l.signOffs} {
			for _, w := range field {
				if !isLowerWord(w) {
					t.Errorf("%s: %q must be lower case, without leading spaces", l.name, w)
				}
			}
		}
		for _, w := range l.wrote {
			if first, rest := nextWord(w); first != w || rest != "" {
				t.Errorf("%s: wrote verb %q is not one word (use wroteMarks)", l.name, w)
			}
		}
	}
}
