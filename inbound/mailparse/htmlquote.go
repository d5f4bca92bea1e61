package mailparse

import "strings"

// This file recognises, by their markup, the parts of an HTML reply that
// mail clients write around the author's text, so that htmlToText can
// quote them before any text heuristic runs. Markup is a surer sign than
// wording: it holds in every language.

// What a <div> is to the reply.
const (
	divText      = iota // the author's, or unknown
	divQuote            // quoted history: its content becomes "> " lines
	divQuoteRest        // a header block after which the rest is history
	divSignature        // the author's signature: a "-- " line goes first
)

// quoteClasses mark a <div> whose content is quoted history: Gmail's
// quote container (its attribution is inside), Thunderbird's attribution
// line, and the quote containers of Yahoo, ProtonMail and Zoho.
var quoteClasses = []string{
	"gmail_quote", "moz-cite-prefix", "yahoo_quoted", "protonmail_quote", "zmail_extra",
}

// restIDs mark the header block that Outlook (web, desktop, mobile) puts
// above the original; the original follows as siblings, not inside, so
// everything after the block's start is history. Replying to HTML mail
// prefixes the ids of the quoted message with "x_", hence the suffix test.
var restIDs = []string{"divRplyFwdMsg", "mail-editor-reference-message-container"}

// signatureClasses and signatureIDs mark the author's own signature:
// Gmail's, and Open-Xchange's (IONOS, 1&1, GMX's business mail).
var (
	signatureClasses = []string{"gmail_signature", "io-ox-signature"}
	signatureIDs     = []string{"Signature"}
)

// divKind classifies a <div> by its class, id and style attributes.
func divKind(a tagAttrs) int {
	if a.name == "quote" {
		return divQuote // GMX and web.de
	}
	for _, id := range restIDs {
		if strings.HasSuffix(a.id, id) {
			return divQuoteRest
		}
	}
	if a.class != "" {
		for _, c := range strings.Fields(a.class) {
			for _, q := range quoteClasses {
				// Yahoo prefixes its classes: "ydp9b1f0a55yahoo_quoted".
				if c == q || strings.HasSuffix(c, "yahoo_quoted") {
					return divQuote
				}
			}
			for _, s := range signatureClasses {
				if c == s {
					return divSignature
				}
			}
		}
	}
	for _, s := range signatureIDs {
		if a.id == s {
			return divSignature
		}
	}
	if strings.Contains(a.id, "yahoo_quoted") {
		return divQuote
	}
	if isOutlookBorderTop(a.style) {
		return divQuoteRest
	}
	return divText
}

// isOutlookBorderTop reports the style of the <div> that Outlook for
// Windows draws above the header block of the original:
// "border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm".
func isOutlookBorderTop(style string) bool {
	if len(style) < 20 || len(style) > 400 {
		return false
	}
	s := strings.ToLower(strings.Join(strings.Fields(style), ""))
	return strings.Contains(s, "border:none") && strings.Contains(s, "border-top:solid") && strings.Contains(s, "padding:3")
}
