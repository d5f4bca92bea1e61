package mailparse

import (
	"strings"
	"testing"
)

func TestForwardSubject(t *testing.T) {
	tests := []struct {
		subject string
		want    bool
	}{
		{"FW: Budget", true},
		{"Fw: Budget", true},
		{"Fwd: Budget", true},
		{"WG: Budget", true},  // German Outlook
		{"TR: Budget", true},  // French
		{"RV: Budget", true},  // Spanish
		{"I: Budget", true},   // Italian
		{"VS: Budget", true},  // Danish, Norwegian
		{"VB: Budget", true},  // Swedish
		{"PD: Budget", true},  // Polish
		{"ENC: Budget", true}, // Portuguese
		{"[EXTERNAL] FW: Budget", true},
		{"  fwd：Budget", true}, // full-width colon
		{"RE: Budget", false},
		{"Re: Fwd: Budget", false}, // a reply to a forward
		{"AW: WG: Budget", false},
		{"Fwd Budget", false},
		{"Budget: FW", false},
		{"", false},
		{"[unclosed FW: Budget", false},
	}
	for _, tt := range tests {
		if got := isForwardSubject(tt.subject); got != tt.want {
			t.Errorf("isForwardSubject(%q) = %v, want %v", tt.subject, got, tt.want)
		}
	}
}

// TestSenderSignOff: a last line holding only the sender's name is a
// sign-off; a name anywhere else, or someone else's, stays.
func TestSenderSignOff(t *testing.T) {
	tests := []struct{ name, from, in, want string }{
		{"first name", "Ann Lee", "Yes, noon works.\n\nAnn", "Yes, noon works."},
		{"full name", "Ann Lee", "Yes, noon works.\n\nAnn Lee", "Yes, noon works."},
		{"dash", "Ann Lee", "Yes, noon works.\n— Ann", "Yes, noon works."},
		{"case and stop", "Ann Lee", "Yes, noon works.\n\nann.", "Yes, noon works."},
		{"outlook order", "Lee, Ann", "Yes, noon works.\n\nAnn", "Yes, noon works."},
		{"quoted display name", `"Ann Lee"`, "Yes.\n\nAnn", "Yes."},
		{"above a quote", "Ann Lee", "Yes.\n\nAnn\n\nOn Fri, Jan 12, 2024 at 10:00 AM Bob <bob@example.org> wrote:\n> Lunch?", "Yes."},
		{"name alone stays", "Ann Lee", "Ann", "Ann"},
		{"someone else's name", "Ann Lee", "Yes.\n\nBob", "Yes.\n\nBob"},
		{"name in a sentence", "Ann Lee", "Yes.\n\nAnn will bring the slides", "Yes.\n\nAnn will bring the slides"},
		{"name then content", "Ann Lee", "Yes.\n\nAnn\n\nPS: the room is booked.", "Yes.\n\nAnn\n\nPS: the room is booked."},
		{"no display name", "", "Yes.\n\nAnn", "Yes.\n\nAnn"},
		{"an initial is not a name", "A", "Yes.\n\nA", "Yes.\n\nA"},
		{"address as name", "ann@example.org", "Yes.\n\nann@example.org", "Yes.\n\nann@example.org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := extractReply(tt.in, replyContext{From: Address{Name: tt.from, Email: "ann@example.org"}})
			if got != tt.want {
				t.Errorf("reply = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestOutlookForwardWithComment: Outlook lays a forward out as it does a
// reply; the subject tells them apart, through Parse as at the doors.
func TestOutlookForwardWithComment(t *testing.T) {
	const (
		comment = "Please see below, can you check the numbers?"
		orig    = "The budget is approved.\r\nInvoices go out on Monday."
	)
	bodies := map[string]string{
		"windows": comment + "\r\n\r\n________________________________\r\nFrom: Ann Lee <ann@example.org>\r\n" +
			"Sent: Friday, January 12, 2024 10:00 AM\r\nTo: Bob <bob@example.org>\r\nSubject: Budget\r\n\r\n" + orig + "\r\n",
		"mac": comment + "\r\n\r\nOn 12/01/2024, 10:00, \"Ann Lee\" <ann@example.org> wrote:\r\n\r\n" +
			"    The budget is approved.\r\n    Invoices go out on Monday.\r\n",
		"german": comment + "\r\n\r\nVon: Ann Lee <ann@example.org>\r\nGesendet: Freitag, 12. Januar 2024 10:00\r\n" +
			"An: Bob <bob@example.org>\r\nBetreff: Budget\r\n\r\n" + orig + "\r\n",
	}
	for name, body := range bodies {
		for _, subject := range []string{"FW: Budget", "WG: Budget", "RE: Budget"} {
			t.Run(name+"/"+subject, func(t *testing.T) {
				msg := "From: Bob Ray <bob@example.org>\r\nTo: team@parley.test\r\nSubject: " + subject +
					"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body
				m, err := ParseBytes([]byte(msg), Options{})
				if err != nil {
					t.Fatal(err)
				}
				want := comment + "\n\nForwarded from Ann Lee:\n" + strings.ReplaceAll(orig, "\r\n", "\n")
				if strings.HasPrefix(subject, "RE") {
					want = comment
				}
				if m.Reply != want {
					t.Errorf("Reply = %q, want %q (removed %q)", m.Reply, want, m.Removed)
				}
			})
		}
	}
}

func TestAttributionName(t *testing.T) {
	tests := []struct{ header, want string }{
		{`On 28/10/2021 12:46, "John Doe" <john.doe@acme.com> wrote:`, "John Doe"},
		{"Le 28/10/2021 12:46, « John Doe » <john.doe@acme.com> a écrit :", "John Doe"},
		{"Dnia 28/10/2021, 12:46 użytkownik „John Doe” <john.doe@acme.com> napisał:", "John Doe"},
		{"Op 28/10/2021 12:46 heeft John Doe <john.doe@acme.com> geschreven:", "John Doe"},
		{"28/10/2021 12:46 időpontban John Doe (john.doe@acme.com) ezt írta:", "John Doe"},
		{"28/10/2021 12:46 používateľ John Doe (<john.doe@acme.com>) napísal:", "John Doe"},
		{"John Doe <john.doe@acme.com> kirjoitti 28/10/2021 12.46:", "John Doe"},
		{"On 28/10/2021 12:46, <john.doe@acme.com> wrote:", "john.doe@acme.com"},
		{"On Friday, someone wrote:", ""},
	}
	for _, tt := range tests {
		if got := attributionName(tt.header); got != tt.want {
			t.Errorf("attributionName(%q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}

// TestThunderbirdWordings: the reply headers and separators that
// Thunderbird writes in Arabic, Hebrew, Vietnamese, Indonesian and Thai
// (thunderbird-l10n, messengercompose/composeMsgs.properties:
// reply_header_authorwrotesingle, reply_header_ondateauthorwrote,
// reply_header_authorwroteondate, reply_header_originalmessage and
// forward_header_originalmessage, with #1 Ann Lee, #2 the date, #3 the
// time), and Gmail's Hebrew attribution with its direction marks.
func TestThunderbirdWordings(t *testing.T) {
	const typed = "Sounds good to me."
	quote := "\n> Can we meet on Friday?"
	original := "\n\nCan we meet on Friday?"
	tests := []struct{ name, header, after string }{
		{"arabic wrote", "كتب Ann Lee:", quote},
		{"arabic on date", "على 12/01/2024 10:00، كتب Ann Lee:", quote},
		{"arabic wrote on date", "كتب Ann Lee على 12/01/2024 10:00:", quote},
		{"arabic original", "-------- الرسالة الأصليَّة --------", original},
		{"hebrew wrote", "נכתב על ידי Ann Lee:", quote},
		{"hebrew on date", "נכתב על ידי Ann Lee, ב־12/01/2024 בשעה 10:00:", quote},
		{"hebrew original", "-------- הודעה מקורית --------", original},
		{"hebrew gmail with direction marks", "\u202bבתאריך יום ו׳, 12 בינו׳ 2024 ב-10:00 מאת \u202aAnn Lee\u202c <ann@example.org>:\u202c", quote},
		{"vietnamese wrote", "Ann Lee đã viết:", quote},
		{"vietnamese on date", "Vào lúc 10:00 12/01/2024, Ann Lee đã viết:", quote},
		{"vietnamese wrote on date", "Ann Lee đã viết vào lúc 10:00 12/01/2024:", quote},
		{"vietnamese original", "-------- Thư gốc --------", original},
		{"indonesian wrote", "Ann Lee menulis:", quote},
		{"indonesian on date", "Pada 12/01/2024 10:00, Ann Lee menulis:", quote},
		{"indonesian wrote on date", "Ann Lee menulis di 12/01/2024 10:00:", quote},
		{"indonesian original", "-------- Pesan Asli --------", original},
		{"thai wrote", "Ann Lee เขียนว่า:", quote},
		{"thai on date", "เมื่อ 12/01/2024 เวลา 10:00 Ann Lee เขียนว่า:", quote},
		{"thai wrote on date", "Ann Lee เขียนเมื่อ 12/01/2024 เวลา 10:00 ว่า:", quote},
		{"thai original", "-------- ข้อความต้นฉบับ --------", original},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply, removed := ExtractReply(typed + "\n\n" + tt.header + tt.after)
			if reply != typed {
				t.Errorf("reply = %q, want %q (removed %q)", reply, typed, removed)
			}
		})
	}
	// Thunderbird's forward separators, and its header fields
	// (messenger/mime.properties) under them.
	forwards := []struct{ name, separator, from, date, subject string }{
		{"arabic", "-------- رسالة ممرّرة --------", "مِن", "التاريخ", "الموضوع"},
		{"hebrew", "-------- הודעה שהועברה --------", "מאת", "תאריך", "נושא"},
		{"vietnamese", "-------- Tin nhắn đã được chuyển tiếp --------", "Từ", "Ngày", "Tiêu đề"},
		{"indonesian", "-------- Pesan Diteruskan --------", "Dari", "Tanggal", "Subjek"},
		{"thai", "-------- ข้อความที่ส่งต่อ --------", "จาก", "วันที่", "หัวเรื่อง"},
	}
	for _, f := range forwards {
		t.Run("forward "+f.name, func(t *testing.T) {
			in := f.separator + "\n" + f.subject + ": \tplan\n" + f.date + ": \tFri, 12 Jan 2024 10:00:00 +0100\n" +
				f.from + ": \tAnn Lee <ann@example.org>\n\n\n\nCan we meet on Friday?"
			reply, removed := ExtractReply(in)
			if want := "Forwarded from Ann Lee:\nCan we meet on Friday?"; reply != want {
				t.Errorf("reply = %q, want %q (removed %q)", reply, want, removed)
			}
		})
	}
}
