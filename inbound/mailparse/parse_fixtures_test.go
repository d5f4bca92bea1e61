package mailparse

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

// The expectations for the Delta Chat samples come from
// deltachat-core-rust src/mimeparser/mimeparser_tests.rs and
// src/receive_imf/receive_imf_tests.rs: bounce recipients and the
// Message-ID of the bounced mail (test_parse_ndn_*), "relayed" reports not
// being bounces (test_parse_dsn_relayed), mailing lists, attachment file
// names (test_get_attachment_filename_*), the text found (test_quote_div,
// test_mime_modified_*, parse_format_flowed_*), and which input is an
// error (test_mailparse_0_16_0_panic). What Delta Chat does beyond that
// (chats, avatars, webxdc) is not ours; those samples are checked for what
// parley reads from them.

type att struct {
	name, ctype string
}

type mimeCase struct {
	file       string
	err        error
	kind       Kind
	from       string // address
	fromName   string
	subject    string
	messageID  string
	inReplyTo  string
	text       string // exact Text when textSet
	textSet    bool
	textHas    []string
	reply      string // exact Reply when replySet
	replySet   bool
	replyHas   []string
	replyNot   []string
	atts       []att
	encrypted  bool
	rcpts      []string // bounce recipients; a bounce is expected when set
	status     string
	bouncedID  string
	diagnostic string
}

const dcSig = "Sent with my Delta Chat Messenger"

var deltachatCases = []mimeCase{
	{file: "AutocryptSetupMessage.eml", kind: KindPerson, from: "alice@example.org", subject: "Autocrypt Setup Message", messageID: "abc@example.com",
		textHas:  []string{"This is the Autocrypt Setup Message used to transfer your end-to-end setup between clients."}, // format=flowed joined
		replyNot: []string{dcSig}, atts: []att{{"autocrypt-setup-message.html", "application/autocrypt-setup"}}},
	{file: "apple_cid_jpg.eml", kind: KindPerson, from: "somewhere-apple@me.com", fromName: "Björn Petersen", subject: "a jpeg",
		text: "a jpeg", textSet: true, reply: "a jpeg", replySet: true, atts: []att{{"small.jpg", "image/jpeg"}}}, // the inline image of the HTML alternative
	{file: "attach_filename_apostrophed_cont.eml", kind: KindPerson, textHas: []string{"apostrophed filenames as of"}, atts: []att{{"Maßnahmen März 2022.html", "text/html"}}},
	{file: "attach_filename_apostrophed_invalid.eml", kind: KindPerson, textHas: []string{"this mail uses filename* in an invalid way"}, atts: []att{{"somedäüta.html.zip", "text/html"}}},
	{file: "attach_filename_combined.eml", kind: KindPerson, textHas: []string{"yip, filename may be given twice"}, atts: []att{{"Maßnahmen Okt. 2020.html", "text/html"}}},
	{file: "attach_filename_encoded_words_bad_delimiter.eml", kind: KindPerson, textHas: []string{"there MUST be a space"}, atts: []att{{"=?utf-8?q?foo?=.bar", "text/html"}}},
	{file: "attach_filename_encoded_words_cont.eml", kind: KindPerson, textHas: []string{dcSig}, reply: "", replySet: true, atts: []att{{"Maßn'ah'men Okt. 2020.html", "text/html"}}},
	{file: "attach_filename_simple.eml", kind: KindPerson, textHas: []string{dcSig}, subject: "Chat: File – test.html", reply: "", replySet: true, atts: []att{{"test.html", "text/html"}}},
	// The forwarded mail stays an attachment; only "Hello!" was typed.
	{file: "big_forwarded_with_big_attachment.eml", kind: KindPerson, from: "alice@example.org", text: "Hello!", textSet: true, atts: []att{{"", "message/rfc822"}}},
	// Action: relayed is a success report: automatic, not a bounce.
	{file: "dsn_relayed.eml", kind: KindAutoReply, from: "MAILER-DAEMON@mout02.posteo.de", textHas: []string{"successfully delivered"}},
	{file: "gmail_ndn.eml", kind: KindBounce, from: "mailer-daemon@googlemail.com", subject: "Delivery Status Notification (Failure)",
		textHas: []string{"Die Adresse wurde nicht gefunden", "assidhfaaspocwaeofi@gmail.com"},
		rcpts:   []string{"assidhfaaspocwaeofi@gmail.com"}, status: "5.1.1", bouncedID: "CABXKi8zruXJc_6e4Dr087H5wE7sLp+u250o0N2q5DdjF_r-8wg@mail.gmail.com",
		diagnostic: "The email account that you tried to reach does not exist", atts: []att{{"icon.png", "image/png"}}},
	// An HTML-only forward: everything sits in GMX's quote div.
	{file: "gmx-forward.eml", kind: KindPerson, subject: "Fw: subject", textHas: []string{"> bodytext"}, reply: "Forwarded from Claire:\nbodytext", replySet: true},
	{file: "gmx-quote.eml", kind: KindPerson, from: "alice@gmx.de", inReplyTo: "Mr.3p9V5c7XjPQ.bcqzV4ls4ID@testrun.org",
		reply: "YIPPEEEEEE\n\nMulti-line", replySet: true, textHas: []string{"> Now?"}},
	{file: "google-workspace-mixed-up.eml", kind: KindPerson, encrypted: true, text: "-- ", textSet: true, reply: "", replySet: true},
	{file: "jpeg-as-application-octet-stream.eml", kind: KindPerson, text: "", textSet: true, atts: []att{{"rusty_deltachat_logo.jpeg", "application/octet-stream"}}},
	{file: "list-from.eml", kind: KindBulk, from: "clubinfo@donotreply.oeamtc.at", fromName: "ÖAMTC", text: "Plain text spam", textSet: true},
	{file: "mail_with_user_and_group_avatars.eml", kind: KindPerson, subject: "Chat: testgr1: hi!", reply: "hi!", replySet: true,
		atts: []att{{"group-image.png", "image/png"}, {"avatar.png", "image/png"}}},
	{file: "mail_with_user_avatar_deleted.eml", kind: KindPerson, from: "tunis4@example.org", reply: "profile image deleted", replySet: true},
	// The S/MIME signature is not kept as a file.
	{file: "mailinglist_dhl.eml", kind: KindBulk, from: "noreply.packstation@dhl.de", subject: "Ihr Paket ist in der Packstation 123", text: "bla bla", textSet: true},
	{file: "mailinglist_ttline.eml", kind: KindBulk, fromName: "TT-Line - Die Schwedenfähren", subject: "Unsere Sommerangebote an Bord ⚓", text: "plain...", textSet: true},
	{file: "mailinglist_with_mimepart_footer_signed.eml", kind: KindBulk, from: "mr@mr.de",
		replyHas: []string{"content text"}, replyNot: []string{"quote to trigger has_html", "mr wrote:"}},
	{file: "mailinglist_xt_local_microsoft.eml", kind: KindBulk, textHas: []string{"Microsoft Store"}, subject: "Notice of Update to Microsoft Store Marketing Disclosure Document"},
	// Delta Chat expects an error, not a panic: an empty multipart without
	// a From field is not a mail message.
	{file: "mailparse-0.16.0-panic.eml", err: ErrMalformed},
	// A Thunderbird export: the mbox "From - ..." line is skipped.
	{file: "messed_up_message_id.eml", kind: KindPerson, messageID: "0bb9ffe1-2596-d997-95b4-1fef8cc4808f@example.org", encrypted: true, text: "", textSet: true},
	// An MS Exchange read receipt: automatic.
	{file: "ms_exchange_report_disposition_notification.eml", kind: KindAutoReply, subject: "Gelesen: Test message",
		inReplyTo: "d5904dc344eeb5deaf9bb44603f0c716@posteo.de", textHas: []string{"wurde am Montag"}},
	// The DSN names bob@example.org where the text says bob@example.net;
	// the machine-readable report wins.
	{file: "ndn_with_attachment.eml", kind: KindBounce, rcpts: []string{"bob@example.org", "bob2@example.net"}, status: "5.2.2",
		bouncedID: "Mr.I6Da6dXcTel.TroC5J3uSDH@example.org", diagnostic: "Mailbox quota exceeded"},
	{file: "pdf_filename_simple.eml", kind: KindPerson, subject: "Re: simple named pdf", text: "mail body", textSet: true, atts: []att{{"simple.pdf", "application/pdf"}}},
	{file: "protonmail-mixed-up.eml", kind: KindPerson, text: "Empty Message", textSet: true,
		atts: []att{{"attachment.pgp", "application/pgp-encrypted"}, {"encrypted.asc", "application/octet-stream"}}},
	{file: "quote_attach.eml", kind: KindPerson, subject: "Message from Alice", text: "> Quote\n\nReply", textSet: true, reply: "Reply", replySet: true,
		atts: []att{{"attachment.txt", "text/plain"}}},
	// Schleuder's pseudo-header part reads as a forwarded header block,
	// so Reply is empty; the message is a list message anyway.
	{file: "schleuder.eml", kind: KindBulk, subject: "[REPOST] Some subject", textHas: []string{"hello,\nbye"}},
	{file: "testrun_ndn.eml", kind: KindBounce, subject: "Undelivered Mail Returned to Sender", rcpts: []string{"hcksocnsofoejx@five.chat"},
		status: "5.1.1", bouncedID: "Mr.A7pTA5IgrUA.q4bP41vAJOp@testrun.org", diagnostic: "User unknown in virtual mailbox table"},
	{file: "text_alt_html.eml", kind: KindPerson, text: "mime-modified set; simplify is always regarded as lossy.", textSet: true},
	{file: "text_alt_plain_html.eml", kind: KindPerson, text: "this is plain", textSet: true},
	{file: "text_plain_flowed.eml", kind: KindPerson,
		text: "This line ends with a space and will be merged with the next one due to format=flowed.\n\nThis line does not end with a space\nand will be wrapped as usual.", textSet: true},
	{file: "text_plain_unspecified.eml", kind: KindPerson, from: "x@tux.org", fromName: "lmn", subject: "", text: "This message does not have Content-Type nor Subject.", textSet: true},
	{file: "thunderbird_encrypted_signed_with_pubkey.eml", kind: KindPerson, encrypted: true, text: "", textSet: true},
	{file: "thunderbird_encrypted_unsigned_with_unencrypted_subject.eml", kind: KindPerson, subject: "Hello!", encrypted: true, text: "", textSet: true},
	{file: "thunderbird_with_autocrypt.eml", kind: KindPerson, encrypted: true, text: "", textSet: true},
	// No report-type parameter and a broken Content-Type on the returned
	// headers part; the report still decides.
	{file: "tiscali_ndn.eml", kind: KindBounce, from: "mail-daemon@smtp.tiscali.it", textHas: []string{"* shenauithz@testrun.org"},
		rcpts: []string{"shenauithz@testrun.org"}, status: "5.1.1", bouncedID: "Mr.un2NYERi1RM.lbQ5F9q-QyJ@tiscali.it"},
	{file: "videochat_invitation.eml", kind: KindPerson,
		reply: "You are invited to an videochat, click https://example.org/p2p/?roomname=6HiduoAn4xN to join.", replySet: true},
	{file: "webxdc_good_extension.eml", kind: KindPerson, textHas: []string{"webxdc with good extension;"}, atts: []att{{"minimal.xdc", "text/html"}}},
	// Yahoo sends no DSN: recipients and code come from the text, the
	// bounced Message-ID from the copy pasted below it.
	{file: "yahoo_ndn.eml", kind: KindBounce, from: "MAILER-DAEMON@yahoo.com", subject: "Failure Notice", rcpts: []string{"haeclirth.sinoenrat@yahoo.com"},
		bouncedID: "1680295672.3657931.1591783872936@mail.yahoo.com", diagnostic: "554: delivery error: dd Not a valid recipient"},
}

func TestParseDeltachatFixtures(t *testing.T) {
	for _, tc := range deltachatCases {
		t.Run(tc.file, func(t *testing.T) {
			data := fixture(t, "mime/deltachat/"+tc.file)
			m, err := Parse(bytes.NewReader(data), Options{})
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkMessage(t, tc, m)
		})
	}
}

func checkMessage(t *testing.T, tc mimeCase, m *Message) {
	t.Helper()
	if m.Kind != tc.kind {
		t.Errorf("Kind = %v, want %v", m.Kind, tc.kind)
	}
	str := func(field, got, want string) {
		if want != "" && got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	str("From.Email", m.From.Email, tc.from)
	str("From.Name", m.From.Name, tc.fromName)
	str("Subject", m.Subject, tc.subject)
	str("MessageID", m.MessageID, tc.messageID)
	str("InReplyTo", m.InReplyTo, tc.inReplyTo)
	if tc.textSet && m.Text != tc.text {
		t.Errorf("Text = %q, want %q", m.Text, tc.text)
	}
	for _, p := range tc.textHas {
		if !strings.Contains(m.Text, p) {
			t.Errorf("Text lacks %q: %q", p, m.Text)
		}
	}
	if tc.replySet && m.Reply != tc.reply {
		t.Errorf("Reply = %q, want %q", m.Reply, tc.reply)
	}
	for _, p := range tc.replyHas {
		if !strings.Contains(m.Reply, p) {
			t.Errorf("Reply lacks %q: %q", p, m.Reply)
		}
	}
	for _, p := range tc.replyNot {
		if strings.Contains(m.Reply, p) {
			t.Errorf("Reply keeps %q: %q", p, m.Reply)
		}
	}
	if m.Encrypted != tc.encrypted {
		t.Errorf("Encrypted = %v, want %v", m.Encrypted, tc.encrypted)
	}
	var got []att
	for _, a := range m.Attachments {
		got = append(got, att{a.Filename, a.ContentType})
		if a.Data == nil || int64(len(a.Data)) != a.Size {
			t.Errorf("attachment %q: %d bytes of data for size %d", a.Filename, len(a.Data), a.Size)
		}
	}
	if !slices.Equal(got, tc.atts) {
		t.Errorf("attachments = %q, want %q", got, tc.atts)
	}
	if tc.rcpts == nil {
		if m.Bounce != nil {
			t.Errorf("unexpected bounce %+v", *m.Bounce)
		}
		return
	}
	b := m.Bounce
	if b == nil {
		t.Fatalf("no bounce")
	}
	if !slices.Equal(b.Recipients, tc.rcpts) {
		t.Errorf("bounce recipients = %q, want %q", b.Recipients, tc.rcpts)
	}
	if b.Status != tc.status || !b.Permanent {
		t.Errorf("bounce status = %q permanent %v, want %q permanent", b.Status, b.Permanent, tc.status)
	}
	str("Bounce.MessageID", b.MessageID, tc.bouncedID)
	if !strings.Contains(b.Diagnostic, tc.diagnostic) {
		t.Errorf("bounce diagnostic %q lacks %q", b.Diagnostic, tc.diagnostic)
	}
}

// TestParseFixturesCovered keeps the table complete.
func TestParseFixturesCovered(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range deltachatCases {
		covered["mime/deltachat/"+tc.file] = true
	}
	for _, name := range fixtureNames(t, "mime/deltachat", ".eml") {
		if !covered[name] {
			t.Errorf("no expectation for %s", name)
		}
	}
}
