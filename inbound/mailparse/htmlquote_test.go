package mailparse

import (
	"strings"
	"testing"
)

// TestHTMLReplies: the markup of each client's HTML reply marks its quote,
// whatever the language of its wording. The samples are written here in
// the shape each client produces.
func TestHTMLReplies(t *testing.T) {
	tests := []struct {
		name, html, reply, removed string
	}{
		{"gmail", `<div dir="ltr">Yes, Friday works.</div><br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">Le ven. 12 janv. 2024 à 10:00, Ann Lee &lt;<a href="mailto:ann@example.org">ann@example.org</a>&gt; a écrit&nbsp;:<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex"><div dir="ltr">Can we meet on Friday?</div></blockquote></div>`,
			"Yes, Friday works.", "Can we meet on Friday?"},
		{"gmail signature", `<div dir="ltr">Yes.<br clear="all"><div><br></div><span class="gmail_signature_prefix">-- </span><br><div dir="ltr" class="gmail_signature">Bob Smith<br>Acme</div></div>`,
			"Yes.", "Bob Smith"},
		{"gmail forward", `<div dir="ltr">FYI<br><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">---------- Forwarded message ---------<br>From: <strong class="gmail_sendername" dir="auto">Ann Lee</strong> <span dir="auto">&lt;<a href="mailto:ann@example.org">ann@example.org</a>&gt;</span><br>Date: Fri, Jan 12, 2024 at 10:00 AM<br>Subject: plan<br>To: Bob &lt;<a href="mailto:bob@example.org">bob@example.org</a>&gt;<br></div><br><br><div dir="ltr">The plan is set.</div></div></div>`,
			"FYI\n\nForwarded from Ann Lee:\nThe plan is set.", "Subject: plan"},
		{"outlook web", `<div dir="ltr"><div style="font-family:Calibri">Done.</div><div id="appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1"><div id="divRplyFwdMsg" dir="ltr"><font face="Calibri" style="font-size:11pt"><b>จาก:</b> Ann Lee &lt;ann@example.org&gt;<br><b>ส่ง:</b> 12 มกราคม 2024 10:00<br></font><div>&nbsp;</div></div><div><p>Can we meet on Friday?</p></div></div>`,
			"Done.", "Can we meet on Friday?"},
		{"outlook desktop", `<div class="WordSection1"><p class="MsoNormal">Erledigt.<o:p></o:p></p><p class="MsoNormal"><o:p>&nbsp;</o:p></p><div><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm"><p class="MsoNormal"><b>Von:</b> Ann Lee &lt;ann@example.org&gt; <br><b>Gesendet:</b> Freitag, 12. Januar 2024 10:00<br><b>An:</b> Bob<br><b>Betreff:</b> Plan<o:p></o:p></p></div></div><p class="MsoNormal">Can we meet on Friday?<o:p></o:p></p></div>`,
			"Erledigt.", "Can we meet on Friday?"},
		{"apple mail", `<html><body dir="auto">Sounds good.<br><br><div dir="ltr"><blockquote type="cite">Am 12.01.2024 um 10:00 schrieb Ann Lee &lt;ann@example.org&gt;:<br><br></blockquote></div><blockquote type="cite"><div dir="ltr">Can we meet on Friday?</div></blockquote></body></html>`,
			"Sounds good.", "Can we meet on Friday?"},
		{"thunderbird", `<p>Fine by me.</p><div class="moz-cite-prefix">Dne 12. 01. 24 v 10:00 Ann Lee napsal(a):<br></div><blockquote type="cite" cite="mid:abc@example.org"><p>Can we meet on Friday?</p></blockquote>`,
			"Fine by me.", "Can we meet on Friday?"},
		{"yahoo", `<div class="ydp1"><div dir="ltr">Thanks!</div><div><br></div><div id="yahoo_quoted_123" class="yahoo_quoted"><div style="font-family:Helvetica"><div>Am Freitag, 12. Januar 2024, 10:00:00 MEZ hat Ann Lee &lt;ann@example.org&gt; Folgendes geschrieben:</div><div><br></div><div><div dir="ltr">Can we meet on Friday?</div></div></div></div></div>`,
			"Thanks!", "Can we meet on Friday?"},
		{"apple forward", `<html><body dir="auto">Look at this<br><div dir="ltr"><br><blockquote type="cite">Begin forwarded message:<br><br></blockquote></div><blockquote type="cite"><div dir="ltr"><b>From:</b> Ann Lee &lt;ann@example.org&gt;<br><b>Subject:</b> plan<br></div><br><div dir="ltr">The plan is set.</div></blockquote></body></html>`,
			"Look at this\n\nForwarded from Ann Lee:\nThe plan is set.", "Begin forwarded message:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := htmlToText(tt.html)
			reply, removed := ExtractReply(text)
			if reply != tt.reply {
				t.Errorf("reply = %q, want %q\ntext:\n%s", reply, tt.reply, text)
			}
			if !strings.Contains(removed, tt.removed) {
				t.Errorf("removed = %q lacks %q", removed, tt.removed)
			}
		})
	}
}
