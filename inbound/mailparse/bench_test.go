package mailparse

import (
	"os"
	"testing"
)

// benchHeaders wrap the plain-text replies of internal/fixtures into
// whole messages as Gmail and Outlook send them.
const (
	gmailHeader = "Return-Path: <someone@gmail.com>\r\n" +
		"MIME-Version: 1.0\r\n" +
		"References: <abc123@mail.example.com>\r\n" +
		"In-Reply-To: <abc123@mail.example.com>\r\n" +
		"From: Some One <someone@gmail.com>\r\n" +
		"Date: Mon, 26 Aug 2019 16:40:12 -0700\r\n" +
		"Message-ID: <CAF=x9Yk1q2w3e4r5t6y7u8i9o0p@mail.gmail.com>\r\n" +
		"Subject: Re: Test\r\n" +
		"To: The Hiring Engine <reply+x@parley.test>\r\n" +
		"Content-Type: text/plain; charset=\"UTF-8\"\r\n" +
		"\r\n"
	outlookHeader = "From: Yolanda Washington <Yolandaw@premierlimo.com>\r\n" +
		"To: The Hiring Engine <reply+x@parley.test>\r\n" +
		"Subject: Re: Chauffeur - Berlin, CT - Text from Garret Zeiter\r\n" +
		"Thread-Topic: Chauffeur - Berlin, CT - Text from Garret Zeiter\r\n" +
		"Date: Thu, 26 Sep 2019 16:02:44 +0000\r\n" +
		"Message-ID: <BN6PR1101MB2148A1B2C3D4E5F6@BN6PR1101MB2148.namprd11.prod.outlook.com>\r\n" +
		"In-Reply-To: <def456@hiringenginemail.com>\r\n" +
		"Content-Language: en-US\r\n" +
		"Content-Type: text/plain; charset=\"us-ascii\"\r\n" +
		"MIME-Version: 1.0\r\n" +
		"\r\n"
)

// BenchmarkParseBytes measures ParseBytes on the message that smtp-source
// sends in the SMTP door's benchmark and on real replies with quoted
// history.
func BenchmarkParseBytes(b *testing.B) {
	sample, err := os.ReadFile("testdata/smtp-source-sample.eml")
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
	}{
		{"smtp-source", sample},
		{"gmail", append([]byte(gmailHeader), fixture(b, "replies/crisp/email_gmail_split_line_from.txt")...)},
		{"outlook", append([]byte(outlookHeader), fixture(b, "replies/crisp/email_ios_outlook.txt")...)},
		{"gmx-html", fixture(b, "mime/deltachat/gmx-quote.eml")},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			if _, err := ParseBytes(c.data, Options{}); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(c.data)))
			for b.Loop() {
				if _, err := ParseBytes(c.data, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
