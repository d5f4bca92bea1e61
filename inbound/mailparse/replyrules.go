package mailparse

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file holds the single-line tests that reply.go combines: what a
// quote header, a header block, a separator or a signature looks like in
// the languages and clients we have seen. Every test reads at most a bounded
// prefix or suffix of a line, so that a scan over all lines stays linear.

const (
	// maxHeaderWindow bounds the text an "On ... wrote:" header may span.
	maxHeaderWindow = 600
	// maxKeyBytes bounds how far into a line we look for a "Key:" colon.
	maxKeyBytes = 48
)

// wroteVerbs are the words that end "On <date>, <name> wrote:" in the
// languages mail clients are localised to. They are matched as whole words
// in the lower-cased header text.
var wroteVerbs = map[string]bool{
	"wrote": true, "writes": true, // English
	"écrit":    true,                                   // French "a écrit"
	"escribió": true, "escribio": true, "escrit": true, // Spanish, Catalan
	"escreveu": true,                   // Portuguese
	"schrieb":  true, "schreibt": true, // German
	"schreef": true,                  // Dutch
	"scritto": true,                  // Italian "ha scritto"
	"skrev":   true, "skriver": true, // Danish, Norwegian, Swedish
	"napisał": true, "napisała": true, "napisal": true, "pisze": true, // Polish
	"napsal": true, "napsala": true, "napísal": true, // Czech, Slovak
	"kirjoitti": true,                                  // Finnish
	"írta":      true,                                  // Hungarian
	"написал":   true, "написала": true, "пишет": true, // Russian
	"написав": true,                                     // Ukrainian
	"yazdı":   true,                                     // Turkish
	"rašė":    true, "kirjutas": true, "rakstīja": true, // Baltic
	"napisao": true, "napisala": true, // Croatian, Serbian
	"scris":  true, // Romanian "a scris"
	"έγραψε": true, // Greek
}

// maxWroteVerb is the length in bytes of the longest of wroteVerbs
// (TestWroteVerbsFit checks it): a longer word is none of them.
const maxWroteVerb = 16

// wroteMarkers are verbs of scripts written without spaces; they are
// matched as substrings.
var wroteMarkers = []string{"写道", "寫道", "작성", "のメッセージ", "كتب", "כתב"}

// leadWords start an "On ... wrote" header; they are only needed for the
// rare headers that lack the final colon.
var leadWords = map[string]bool{
	"on": true, "le": true, "am": true, "el": true, "em": true, "op": true,
	"il": true, "den": true, "w": true, "dnia": true, "in": true, "dne": true,
	"på": true, "в": true, "στις": true,
}

// fromKeys name the sender in a forwarded or replied header block
// ("From: ...", "De : ...", "Von: ...").
var fromKeys = map[string]bool{
	"from": true, "de": true, "von": true, "van": true, "da": true,
	"från": true, "fra": true, "od": true, "lähettäjä": true, "от": true,
	"від": true, "feladó": true, "kimden": true, "发件人": true, "寄件者": true,
	"差出人": true, "보낸 사람": true, "보낸사람": true, "afzender": true,
	"remitente": true, "mittente": true, "expéditeur": true, "absender": true,
	"avsender": true, "afsender": true, "nadawca": true, "odesílatel": true,
}

// otherKeys are the other fields of such a block.
var otherKeys = map[string]bool{
	"sent": true, "date": true, "to": true, "cc": true, "bcc": true,
	"subject": true, "reply-to": true,
	"envoyé": true, "envoyé le": true, "à": true, "a": true, "objet": true,
	"copie à": true, "sujet": true, "message du": true, "date d'envoi": true,
	"gesendet": true, "an": true, "betreff": true, "datum": true, "kopie": true,
	"verzonden": true, "aan": true, "onderwerp": true,
	"inviato": true, "oggetto": true, "data": true,
	"enviado": true, "enviada": true, "para": true, "asunto": true,
	"assunto": true, "fecha": true,
	"wysłano": true, "do": true, "temat": true, "dw": true,
	"skickat": true, "till": true, "ämne": true,
	"sendt": true, "til": true, "emne": true, "dato": true,
	"lähetetty": true, "vastaanottaja": true, "aihe": true,
	"päivämäärä": true, "отправлено": true, "кому": true, "тема": true,
	"дата": true, "küldve": true, "címzett": true, "tárgy": true,
	"dátum": true, "tarih": true, "kime": true, "konu": true,
	"odesláno": true, "komu": true, "předmět": true,
	"发送时间": true, "收件人": true, "主题": true, "日期": true, "抄送": true,
	"送信日時": true, "宛先": true, "件名": true, "日付": true,
	"보낸 날짜": true, "받는 사람": true, "제목": true,
}

// mobilePrefixes begin the one-line signatures that phones and mail apps
// append ("Sent from my iPhone", "Get Outlook for iOS").
var mobilePrefixes = []string{
	"sent from ", "sent via ", "sent with ", "get outlook for ",
	"envoyé de mon ", "envoyé depuis ", "envoyé à partir de ",
	"von meinem ", "gesendet von ", "gesendet mit ",
	"enviado desde ", "enviado do meu ", "enviado de meu ", "enviado de mi ",
	"inviato da ", "verzonden met ", "verstuurd vanaf ", "verzonden vanaf ",
	"skickat från ", "sendt fra ", "lähetetty ", "wysłane z ",
	"отправлено с ", "odesláno z ",
}

// signOffs are closings that start a sign-off block ("Regards,\nJohn").
// "Thanks" and "Sincerely" are left out on purpose: the first is often the
// whole message, the second is kept by the crisp fixtures.
var signOffs = map[string]bool{
	"regards": true, "best regards": true, "kind regards": true,
	"warm regards": true, "warmest regards": true, "with regards": true,
	"best wishes": true, "cheers": true, "best": true,
	"cordialement": true, "bien cordialement": true, "bien à vous": true,
	"mit freundlichen grüßen": true, "mit freundlichen grüssen": true,
	"viele grüße": true, "viele grüsse": true, "liebe grüße": true,
	"beste grüße": true, "freundliche grüße": true, "gruß": true, "grüße": true,
	"saludos": true, "un saludo": true, "atentamente": true,
	"saluti": true, "cordiali saluti": true, "distinti saluti": true,
	"met vriendelijke groet": true, "vriendelijke groet": true, "groeten": true,
	"med vänlig hälsning": true, "vänliga hälsningar": true,
	"venlig hilsen": true, "med venlig hilsen": true, "med vennlig hilsen": true,
	"ystävällisin terveisin": true, "terveisin": true,
	"pozdrawiam": true, "s pozdravem": true, "с уважением": true,
	"atenciosamente": true, "abraços": true,
}

// trimSpace trims ASCII white space and the invisible spaces mail clients
// leave around text (no-break, zero-width, BOM, ideographic).
func trimSpace(s string) string {
	// Most lines begin and end with a visible ASCII character.
	if s != "" && isVisibleASCII(s[0]) && isVisibleASCII(s[len(s)-1]) {
		return s
	}
	return strings.TrimFunc(s, isSpaceRune)
}

func isVisibleASCII(c byte) bool { return '!' <= c && c <= '~' }

func isSpaceRune(r rune) bool {
	switch r {
	case ' ', '\t', '\r', '\n', '\v', '\f', '\u00a0', '\u200b', '\ufeff', '\u3000', '\u202f':
		return true
	}
	return false
}

func isBlank(s string) bool { return trimSpace(s) == "" }

// isQuoted reports whether a line is part of a ">" quoted block.
func isQuoted(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t':
			continue
		case '>':
			return true
		}
		return false
	}
	return false
}

// isSigDelim reports the "-- " signature delimiter (trailing space is often
// lost, so "--" counts too).
func isSigDelim(s string) bool {
	return strings.HasPrefix(s, "--") && strings.TrimRight(s, " \t\r") == "--"
}

// isUnderscoreRule reports a line of underscores, used by Outlook above the
// original message and by mailing lists above their footer.
func isUnderscoreRule(s string) bool {
	t := trimSpace(s)
	return len(t) >= 2 && t[0] == '_' && strings.Trim(t, "_") == ""
}

// isRule reports a line made only of drawing characters ("-----", "====").
func isRule(s string) bool {
	t := trimSpace(s)
	return len(t) >= 2 && strings.Trim(t, "-_=*~#+") == ""
}

// isSeparator reports lines such as "-----Original Message-----",
// "---------- Forwarded message ---------" or "Begin forwarded message:",
// after which clients put the earlier message unquoted.
func isSeparator(s string) bool {
	t := trimSpace(s)
	if len(t) > 120 {
		return false
	}
	phrase := t
	for phrase != "" && (phrase[len(phrase)-1] == ' ' || phrase[len(phrase)-1] == ':') {
		phrase = phrase[:len(phrase)-1]
	}
	for _, p := range forwardPhrases {
		if !firstFoldDiffers(phrase, p) && strings.EqualFold(phrase, p) {
			return true
		}
	}
	if !strings.HasPrefix(t, "--") || !strings.HasSuffix(t, "--") {
		return false
	}
	inner := strings.ToLower(trimSpace(strings.Trim(t, "-")))
	if inner == "" || len(inner) > 60 {
		return false
	}
	for w, rest := nextWord(inner); w != ""; w, rest = nextWord(rest) {
		if separatorWords[w] {
			return true
		}
	}
	return false
}

// forwardPhrases are lines that introduce a forwarded or original message.
var forwardPhrases = []string{
	"begin forwarded message", "forwarded message", "original message",
	"début du message réexpédié", "anfang der weitergeleiteten nachricht",
	"inizio messaggio inoltrato", "comienzo del mensaje reenviado",
}

// forwardWords mark a separator (see isSeparator) as introducing a
// forwarded message; they are matched as substrings of the lower-cased line.
var forwardWords = []string{
	"forward", "weitergeleitet", "réexpédié", "transféré", "inoltrat",
	"reenviado", "encaminhad", "doorgestuurd", "videresend", "vidarebefordra",
	"przekazan", "пересла", "přeposlan", "iletilen", "転送", "转发", "轉寄",
	"전달", "välitetty", "továbbított", "προωθ", "chuyển tiếp", "diteruskan",
}

// separatorWords are the words of "-----Original Message-----" lines in
// the languages we have seen; a dashed line without one ("---- Notes ----")
// is the author's own.
var separatorWords = map[string]bool{
	"original": true, "message": true, "forwarded": true, "reply": true,
	"ursprüngliche": true, "nachricht": true, "weitergeleitete": true, "antwort": true,
	"origine": true, "transféré": true, "réponse": true, "mail": true,
	"mensaje": true, "reenviado": true, "mensagem": true, "encaminhada": true,
	"messaggio": true, "originale": true, "inoltrato": true,
	"oorspronkelijk": true, "bericht": true, "doorgestuurd": true,
	"oprindelig": true, "besked": true, "meddelelse": true, "videresendt": true,
	"opprinnelig": true, "melding": true, "ursprungligt": true,
	"meddelande": true, "vidarebefordrat": true, "alkuperäinen": true,
	"viesti": true, "wiadomość": true, "oryginalna": true, "przekazana": true,
	"původní": true, "zpráva": true, "исходное": true, "сообщение": true,
	"пересылаемое": true, "eredeti": true, "üzenet": true,
}

// isMobileSig reports "Sent from my iPhone" and its kin: a short line with
// a known prefix and no sentence punctuation, so that "Sent from my desk,
// is much easier" stays.
func isMobileSig(s string) bool {
	t := trimSpace(s)
	if len(t) > 160 {
		return false
	}
	// Drop a trailing link such as "<https://aka.ms/o0ukef>".
	if i := strings.IndexByte(t, '<'); i > 0 && strings.HasSuffix(t, ">") {
		t = t[:i]
	}
	// Every prefix begins with a letter (TestMobilePrefixes), which an
	// ASCII character that is none cannot match.
	if len(t) > 80 || t == "" || t[0] < utf8.RuneSelf && !isASCIILetter(t[0]) {
		return false
	}
	for _, p := range mobilePrefixes {
		if firstFoldDiffers(t, p) {
			continue // most lines are rejected by their first byte
		}
		if len(t) >= len(p) && strings.EqualFold(t[:len(p)], p) {
			if hasSentencePunct(t) {
				return false
			}
			rest := strings.Fields(t[len(p):])
			return len(rest) >= 1 && len(rest) <= 6
		}
	}
	return false
}

// hasSentencePunct reports whether s holds one of ",;!?".
func hasSentencePunct(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', ';', '!', '?':
			return true
		}
	}
	return false
}

// firstFoldDiffers reports that s cannot begin like lower, a lower-case
// string, under case folding, judging by an ASCII first byte of s: two
// ASCII characters fold to each other only when they are the same letter,
// and an ASCII character that is no letter folds to nothing else.
func firstFoldDiffers(s, lower string) bool {
	if s == "" || lower == "" || s[0] >= utf8.RuneSelf {
		return false
	}
	if lower[0] < utf8.RuneSelf {
		return lowerASCII(s[0]) != lower[0]
	}
	return !isASCIILetter(s[0])
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// isSignOff reports a closing such as "Best regards," on a line of its own.
func isSignOff(s string) bool {
	t := trimSpace(s)
	if len(t) > 40 {
		return false
	}
	t = strings.TrimRight(t, ",.!-–— ")
	var buf [160]byte
	return signOffs[string(appendLower(buf[:0], t))]
}

// Header-key classes returned by headerKey.
const (
	keyNone    = iota
	keyFrom    // From:, De :, Von:
	keyOther   // Sent:, To:, Subject:, Objet :
	keyGeneric // any other short "Words:" prefix
)

// headerKey classifies a line that starts like a header field, tolerating
// leading spaces and the "*From:*" bold of Outlook's HTML-to-text. It
// returns the class and the value after the colon.
func headerKey(s string) (class int, value string) {
	t := strings.TrimLeftFunc(s, isSpaceRune)
	t = strings.TrimLeft(t, "*")
	limit := len(t)
	if limit > maxKeyBytes {
		limit = maxKeyBytes
	}
	// The first ':' or '：' that starts before limit. A byte search finds
	// the same colon as decoding rune by rune would: neither the ASCII
	// colon nor the lead byte of '：' can be part of another character.
	colon, width := strings.IndexByte(t[:limit], ':'), 1
	end := limit
	if colon >= 0 {
		end = colon
	}
	// A '：' that starts before end; most lines have no 0xEF byte for it.
	if w := t[:min(end+len("：")-1, len(t))]; strings.IndexByte(w, "："[0]) >= 0 {
		if wide := strings.Index(w, "："); wide >= 0 {
			colon, width = wide, len("：")
		}
	}
	if colon <= 0 {
		return keyNone, ""
	}
	var buf [4 * maxKeyBytes]byte
	key := appendLower(buf[:0], strings.TrimFunc(t[:colon], func(r rune) bool { return isSpaceRune(r) || r == '*' }))
	value = strings.TrimLeft(t[colon+width:], "* \t\u00a0")
	if len(key) == 0 {
		return keyNone, ""
	}
	if fromKeys[string(key)] {
		return keyFrom, value
	}
	if otherKeys[string(key)] {
		return keyOther, value
	}
	words := 0
	inWord := false
	for _, r := range string(key) {
		switch {
		case unicode.IsLetter(r) || r == '-' || r == '\'':
			if !inWord {
				words++
				inWord = true
			}
		case r == ' ' || r == '\u00a0':
			inWord = false
		default:
			return keyNone, ""
		}
	}
	if words == 0 || words > 3 || utf8.RuneCount(key) > 25 {
		return keyNone, ""
	}
	return keyGeneric, value
}

// looksLikeEmail reports whether s holds something@domain.tld.
func looksLikeEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && strings.IndexByte(s[at:], '.') > 0
}

// isWroteHeader reports whether t, the text of one to three joined lines,
// is an "On <date>, <name> wrote:" style attribution line.
func isWroteHeader(t string) bool {
	t = trimSpace(t)
	if len(t) < 6 || len(t) > maxHeaderWindow {
		return false
	}
	// Zimbra prefixes the header with "- ", Zoho wraps it in "----".
	t = trimSpace(strings.TrimLeft(t, "-"))
	dashed := strings.HasSuffix(t, "--")
	t = trimSpace(strings.TrimRight(t, "-"))
	colon := false
	if strings.HasSuffix(t, ":") {
		colon = true
		t = trimSpace(strings.TrimSuffix(t, ":"))
	} else if strings.HasSuffix(t, "：") {
		colon = true
		t = trimSpace(strings.TrimSuffix(t, "："))
	}
	hasDigit := strings.ContainsAny(t, "0123456789")
	hasAt := strings.IndexByte(t, '@') >= 0
	if !hasDigit && !hasAt {
		return false
	}
	// The words of the lower-cased text: is any a verb, is the last one.
	firstWord, rest := nextWord(strings.ToLower(t))
	if firstWord == "" {
		return false
	}
	verb, verbLast := false, false
	for w := firstWord; w != ""; w, rest = nextWord(rest) {
		verbLast = wroteVerbs[w]
		verb = verb || verbLast
	}
	if !verb {
		for _, m := range wroteMarkers {
			if strings.Contains(t, m) {
				verb, verbLast = true, strings.HasSuffix(t, m)
				break
			}
		}
	}
	if colon {
		if verb {
			return true
		}
		// Gmail's "2014-03-20 8:48 GMT+01:00 Name <addr@example.com>:".
		if hasDigit && strings.HasSuffix(t, ">") {
			if lt := strings.LastIndexByte(t, '<'); lt >= 0 && looksLikeEmail(t[lt:]) {
				return true
			}
		}
		return false
	}
	// No colon: "On Wed, 14 Nov 2018 ... <john@doe.com> wrote" (and Zoho's
	// "---- On ... wrote ----") need every other sign of a header.
	return verb && verbLast && leadWords[firstWord] && hasDigit && (hasAt || dashed)
}

// nextWord returns the first run of letters in s and what follows it, or
// "" when s has no letter; lower-cased text is thus split into the words
// that the lists above are matched with.
func nextWord(s string) (word, rest string) {
	start := -1
	for i, r := range s {
		switch letter := unicode.IsLetter(r); {
		case letter && start < 0:
			start = i
		case !letter && start >= 0:
			return s[start:i], s[i:]
		}
	}
	if start < 0 {
		return "", ""
	}
	return s[start:], ""
}

// lastLowerWord appends to dst the last word (see nextWord) of strings.ToLower(s)
// and returns it; nothing when s has no letter, or when the word is longer
// than max bytes. It allocates nothing while dst has room:
// mayEndWroteHeader calls it on every line.
func lastLowerWord(dst []byte, s string, max int) []byte {
	// The common case is found from the end: ASCII bytes that are not
	// letters, then the ASCII letters of the word, after an ASCII byte or
	// at the start. An ASCII byte is always a whole character and lowers
	// to itself or to a letter of the other case.
	end := len(s)
	for end > 0 && s[end-1] < utf8.RuneSelf && !isASCIILetter(s[end-1]) {
		end--
	}
	start := end
	for start > 0 && isASCIILetter(s[start-1]) && end-start <= max {
		start--
	}
	if end-start > max {
		return dst // whatever comes before, the word is too long
	}
	if end == 0 {
		return dst // no letter at all
	}
	if start < end && (start == 0 || s[start-1] < utf8.RuneSelf) {
		for i := start; i < end; i++ {
			dst = append(dst, lowerASCII(s[i]))
		}
		return dst
	}
	// Otherwise lower-case rune by rune as strings.ToLower does (invalid
	// bytes become U+FFFD, which is no letter) and keep the last run.
	word := dst
	inWord := false
	for _, r := range s {
		r = unicode.ToLower(r)
		if !unicode.IsLetter(r) {
			inWord = false
			continue
		}
		if !inWord {
			word, inWord = word[:len(dst)], true
		}
		word = utf8.AppendRune(word, r)
	}
	if len(word)-len(dst) > max {
		return dst
	}
	return word
}

// appendLower appends strings.ToLower(s) to dst, so that a lower-cased key
// can be looked up in a map without allocating a string.
func appendLower(dst []byte, s string) []byte {
	for _, r := range s {
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
	}
	return dst
}

func isASCIILetter(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// continuesHeader reports whether line is the tail of a header that began
// on the line above: Gmail and Outlook wrap long attributions before the
// address ("... Corey Donohoe\n<reply@example.com>\nwrote:").
func continuesHeader(line, above string) bool {
	t := trimSpace(line)
	if t == "" {
		return false
	}
	r, _ := utf8.DecodeRuneInString(t)
	if r == '<' || r == '(' || unicode.IsLower(r) {
		return true
	}
	// A line that starts like a header ("On ...", "Le ...", a date) is
	// the start itself, whatever the line above ends with.
	if unicode.IsDigit(r) {
		return false
	}
	end := strings.IndexFunc(t, func(r rune) bool { return !unicode.IsLetter(r) })
	if end < 0 {
		end = len(t)
	}
	if leadWords[strings.ToLower(t[:end])] {
		return false
	}
	a := trimSpace(above)
	return strings.HasSuffix(a, ",") || strings.HasSuffix(a, "<") || strings.HasSuffix(a, "(")
}
