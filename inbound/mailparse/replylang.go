package mailparse

import "strings"

// This file is the table of what mail clients write around a reply, one
// entry a language. To teach parley a language or a client's wording, add
// words to an entry or a new entry: the algorithm in reply.go and
// replyrules.go reads only the sets built from this table below. Every
// word is written in lower case (TestLanguageTable checks it), and matched
// as a whole word of the lower-cased line unless the field says otherwise.
//
// Sources: the wordings are those of Gmail, Outlook (desktop, web and
// mobile), Apple Mail, Thunderbird, Yahoo and the phone mail apps as they
// appear in the public reply corpora of internal/fixtures and in the
// clients' localised interfaces.

// language is what one language contributes.
type language struct {
	name string
	// wrote are the verbs that end an attribution: "On DATE, NAME wrote:".
	wrote []string
	// wroteMarks are such verbs in scripts written without spaces,
	// matched as substrings ("写道", "のメッセージ").
	wroteMarks []string
	// wroteFirst are the verbs that open an attribution in languages
	// that put the verb first ("كتب NAME:", "נכתב על ידי NAME:"), so
	// that a short one without a date is still known.
	wroteFirst []string
	// lead are the words that begin an attribution ("On", "Le", "Am");
	// needed only for the rare attributions without a final colon.
	lead []string
	// from are the keys that name the sender in a header block ("From:").
	from []string
	// fields are the other keys of such a block ("Sent:", "To:").
	fields []string
	// separator are the words of a dashed separator line such as
	// "-----Original Message-----" (a dashed line without one is text).
	separator []string
	// separatorMarks are such words in scripts written without spaces,
	// matched as substrings of the separator ("ข้อความต้นฉบับ").
	separatorMarks []string
	// introductions are whole lines, without the final colon, that put an
	// earlier message under them ("Begin forwarded message").
	introductions []string
	// forward are substrings that make a separator or an introduction a
	// forward rather than a reply's original.
	forward []string
	// forwardSubject are the subject prefixes, before the colon, that
	// mark a forward ("FW", "WG", "TR"): Outlook puts its forward under a
	// header block that looks like a reply's, and the subject tells them
	// apart.
	forwardSubject []string
	// mobile are prefixes of one-line device signatures ("sent from ").
	mobile []string
	// mobileSuffix are their ends, for languages that put the verb last
	// ("iPhoneから送信"); matched on lines of a few words only.
	mobileSuffix []string
	// signOffs are closings that start a sign-off block ("best regards").
	signOffs []string
}

// languages is the table. Header fields and separators are those of
// Outlook's localisations; attributions those of Gmail, Apple Mail and
// Thunderbird.
var languages = []language{
	{name: "English",
		wrote: []string{"wrote", "writes"}, lead: []string{"on"},
		from:           []string{"from", "sender"},
		fields:         []string{"sent", "date", "to", "cc", "bcc", "subject", "reply-to", "sent on", "received"},
		separator:      []string{"original", "message", "forwarded", "reply", "mail"},
		introductions:  []string{"begin forwarded message", "forwarded message", "original message"},
		forward:        []string{"forward"},
		forwardSubject: []string{"fw", "fwd"},
		mobile: []string{"sent from ", "sent via ", "sent with ", "sent on my ", "get outlook for ",
			"sent using ", "sent by "},
		signOffs: []string{"regards", "best regards", "kind regards", "warm regards", "warmest regards",
			"with regards", "best wishes", "cheers", "best", "all the best", "many thanks and best regards",
			"kindest regards", "rgds", "br"}},
	{name: "German",
		wrote: []string{"schrieb", "schreibt"}, lead: []string{"am"},
		from:           []string{"von", "absender"},
		fields:         []string{"gesendet", "an", "betreff", "datum", "kopie", "kopie (cc)", "cc"},
		separator:      []string{"ursprüngliche", "nachricht", "weitergeleitete", "antwort", "originalnachricht"},
		introductions:  []string{"anfang der weitergeleiteten nachricht", "weitergeleitete nachricht"},
		forward:        []string{"weitergeleitet"},
		forwardSubject: []string{"wg"},
		mobile:         []string{"von meinem ", "gesendet von ", "gesendet mit ", "gesendet vom ", "outlook für "},
		signOffs: []string{"mit freundlichen grüßen", "mit freundlichen grüssen", "viele grüße", "viele grüsse",
			"liebe grüße", "liebe grüsse", "beste grüße", "beste grüsse", "freundliche grüße", "freundliche grüsse",
			"herzliche grüße", "herzliche grüsse", "schöne grüße", "gruß", "grüße", "grüsse", "mfg", "lg", "vg"}},
	{name: "French",
		wrote: []string{"écrit"}, lead: []string{"le"},
		from:           []string{"de", "expéditeur"},
		fields:         []string{"envoyé", "envoyé le", "à", "objet", "copie à", "cc", "sujet", "message du", "date d'envoi", "date"},
		separator:      []string{"origine", "transféré", "réponse", "message", "mail", "original"},
		introductions:  []string{"début du message réexpédié", "message transféré"},
		forward:        []string{"réexpédié", "transféré", "transmis"},
		forwardSubject: []string{"tr"},
		mobile:         []string{"envoyé de mon ", "envoyé depuis ", "envoyé à partir de ", "obtenir outlook pour "},
		signOffs: []string{"cordialement", "bien cordialement", "bien à vous", "salutations", "amicalement",
			"bien amicalement", "sincères salutations", "bises"}},
	{name: "Spanish",
		wrote: []string{"escribió", "escribio"}, lead: []string{"el"},
		from:           []string{"de", "remitente"},
		fields:         []string{"enviado", "enviado el", "para", "asunto", "fecha", "cc", "cco"},
		separator:      []string{"mensaje", "reenviado", "original"},
		introductions:  []string{"comienzo del mensaje reenviado", "inicio del mensaje reenviado", "mensaje reenviado"},
		forward:        []string{"reenviado"},
		forwardSubject: []string{"rv"},
		mobile:         []string{"enviado desde ", "enviado de mi ", "obtener outlook para "},
		signOffs:       []string{"saludos", "un saludo", "saludos cordiales", "atentamente", "un abrazo", "cordialmente"}},
	{name: "Catalan",
		wrote:    []string{"escrit", "escriure"},
		fields:   []string{"enviat", "per a", "tema", "data"},
		mobile:   []string{"enviat des del ", "enviat des de "},
		signOffs: []string{"salutacions", "cordialment"}},
	{name: "Portuguese",
		wrote: []string{"escreveu"}, lead: []string{"em", "no"},
		from:           []string{"de"},
		fields:         []string{"enviado", "enviada", "enviada em", "enviado em", "para", "assunto", "data", "cc"},
		separator:      []string{"mensagem", "encaminhada", "reencaminhada", "original"},
		introductions:  []string{"início da mensagem encaminhada", "início da mensagem reencaminhada", "mensagem encaminhada"},
		forward:        []string{"encaminhad"},
		forwardSubject: []string{"enc"},
		mobile:         []string{"enviado do meu ", "enviado de meu ", "enviado do ", "obter o outlook para "},
		signOffs: []string{"atenciosamente", "abraços", "abraço", "cumprimentos", "com os melhores cumprimentos",
			"melhores cumprimentos", "att", "abs"}},
	{name: "Italian",
		wrote: []string{"scritto"}, lead: []string{"il", "in"},
		from:           []string{"da", "mittente"},
		fields:         []string{"inviato", "a", "oggetto", "data", "cc"},
		separator:      []string{"messaggio", "originale", "inoltrato"},
		introductions:  []string{"inizio messaggio inoltrato", "messaggio inoltrato"},
		forward:        []string{"inoltrat"},
		forwardSubject: []string{"i"},
		mobile:         []string{"inviato da ", "inviato dal mio ", "scarica outlook per "},
		signOffs:       []string{"saluti", "cordiali saluti", "distinti saluti", "un saluto", "a presto", "buona giornata"}},
	{name: "Dutch",
		wrote: []string{"schreef", "geschreven"}, lead: []string{"op"},
		from:           []string{"van", "afzender"},
		fields:         []string{"verzonden", "aan", "onderwerp", "datum", "cc"},
		separator:      []string{"oorspronkelijk", "bericht", "doorgestuurd", "origineel"},
		introductions:  []string{"begin doorgestuurd bericht", "doorgestuurd bericht"},
		forward:        []string{"doorgestuurd"},
		forwardSubject: []string{"doorst"},
		mobile:         []string{"verzonden met ", "verstuurd vanaf ", "verzonden vanaf ", "verzonden vanuit "},
		signOffs: []string{"met vriendelijke groet", "met vriendelijke groeten", "vriendelijke groet",
			"vriendelijke groeten", "groeten", "groet", "groetjes", "hartelijke groet", "mvg"}},
	{name: "Swedish",
		wrote: []string{"skrev", "skriver"}, lead: []string{"den", "på"},
		from:           []string{"från", "avsändare"},
		fields:         []string{"skickat", "till", "ämne", "datum", "kopia"},
		separator:      []string{"ursprungligt", "meddelande", "vidarebefordrat"},
		introductions:  []string{"vidarebefordrat mejl", "vidarebefordrat meddelande"},
		forward:        []string{"vidarebefordra"},
		forwardSubject: []string{"vb"},
		mobile:         []string{"skickat från ", "skickades från "},
		signOffs:       []string{"med vänlig hälsning", "vänliga hälsningar", "hälsningar", "mvh", "bästa hälsningar"}},
	{name: "Danish",
		wrote:          []string{"skrev"},
		from:           []string{"fra", "afsender"},
		fields:         []string{"sendt", "til", "emne", "dato", "cc"},
		separator:      []string{"oprindelig", "besked", "meddelelse", "videresendt"},
		introductions:  []string{"start på videresendt besked", "videresendt besked"},
		forward:        []string{"videresend"},
		forwardSubject: []string{"vs"},
		mobile:         []string{"sendt fra "},
		signOffs:       []string{"venlig hilsen", "med venlig hilsen", "de bedste hilsner", "hilsen", "mvh", "kh", "kærlig hilsen"}},
	{name: "Norwegian",
		wrote:         []string{"skrev"},
		from:          []string{"fra", "avsender"},
		fields:        []string{"sendt", "til", "emne", "dato", "kopi"},
		separator:     []string{"opprinnelig", "melding", "videresendt"},
		introductions: []string{"videresendt melding", "begynnelse på videresendt melding"},
		mobile:        []string{"sendt fra "},
		signOffs:      []string{"med vennlig hilsen", "vennlig hilsen", "hilsen"}},
	{name: "Finnish",
		wrote:          []string{"kirjoitti"},
		from:           []string{"lähettäjä"},
		fields:         []string{"lähetetty", "vastaanottaja", "aihe", "päivämäärä", "kopio"},
		separator:      []string{"alkuperäinen", "viesti", "välitetty"},
		introductions:  []string{"välitetty viesti alkaa", "välitetty viesti"},
		forward:        []string{"välitetty", "edelleenlähetetty"},
		forwardSubject: []string{"vl"},
		mobile:         []string{"lähetetty "},
		signOffs:       []string{"ystävällisin terveisin", "terveisin", "parhain terveisin"}},
	{name: "Polish",
		wrote: []string{"napisał", "napisała", "napisal", "pisze"}, lead: []string{"w", "dnia"},
		from:           []string{"od", "nadawca"},
		fields:         []string{"wysłano", "do", "temat", "dw", "data", "wysłany"},
		separator:      []string{"wiadomość", "wiadomości", "oryginalna", "przekazana", "przekazanej", "oryginalny"},
		introductions:  []string{"początek przekazywanej wiadomości", "przekazana wiadomość"},
		forward:        []string{"przekazan", "przekazyw"},
		forwardSubject: []string{"pd"},
		mobile:         []string{"wysłane z ", "wysłano z "},
		signOffs:       []string{"pozdrawiam", "z poważaniem", "pozdrawiam serdecznie", "serdecznie pozdrawiam", "pozdrowienia"}},
	{name: "Czech",
		wrote: []string{"napsal", "napsala"}, lead: []string{"dne"},
		from:          []string{"od", "odesílatel"},
		fields:        []string{"odesláno", "komu", "předmět", "datum", "kopie"},
		separator:     []string{"původní", "zpráva", "přeposlaná"},
		introductions: []string{"začátek přeposlané zprávy", "začátek přeposílané zprávy", "přeposlaná zpráva"},
		forward:       []string{"přeposlan"},
		mobile:        []string{"odesláno z "},
		signOffs:      []string{"s pozdravem", "se srdečným pozdravem", "zdraví"}},
	{name: "Slovak",
		wrote:         []string{"napísal", "napísala"},
		from:          []string{"od"},
		fields:        []string{"odoslané", "komu", "predmet", "dátum", "kópia"},
		separator:     []string{"pôvodná", "správa", "preposlaná"},
		forward:       []string{"preposlan"},
		introductions: []string{"začiatok preposlanej správy"},
		mobile:        []string{"odoslané z "},
		signOffs:      []string{"s pozdravom", "s pozdravem"}},
	{name: "Russian",
		wrote: []string{"написал", "написала", "пишет"}, lead: []string{"в"},
		from:          []string{"от", "от кого", "отправитель"},
		fields:        []string{"отправлено", "кому", "тема", "дата", "копия"},
		separator:     []string{"исходное", "сообщение", "пересылаемое", "переадресованное"},
		introductions: []string{"начало переадресованного сообщения", "пересылаемое сообщение"},
		forward:       []string{"пересла", "пересыла", "переадрес", "перенаправлен"},
		mobile:        []string{"отправлено с ", "отправлено из "},
		signOffs:      []string{"с уважением", "всего доброго", "всего хорошего"}},
	{name: "Ukrainian",
		wrote:         []string{"написав", "написала", "пише"},
		from:          []string{"від", "від кого"},
		fields:        []string{"надіслано", "кому", "тема", "дата", "копія"},
		separator:     []string{"оригінальне", "повідомлення", "переслане", "пересланий", "лист"},
		introductions: []string{"початок пересланого листа", "початок листа, що пересилається", "переслане повідомлення"},
		forward:       []string{"переслан", "пересила", "перенаправлен"},
		mobile:        []string{"надіслано з "},
		signOffs:      []string{"з повагою"}},
	{name: "Turkish",
		wrote:         []string{"yazdı"},
		from:          []string{"kimden", "gönderen"},
		fields:        []string{"gönderildi", "gönderme tarihi", "kime", "konu", "tarih", "bilgi"},
		separator:     []string{"özgün", "ileti", "orijinal", "mesaj", "iletilen"},
		introductions: []string{"iletilen ileti", "iletilmiş ileti", "ileti başlangıcı"},
		forward:       []string{"iletilen", "iletilmiş"},
		mobileSuffix:  []string{"gönderildi"},
		signOffs:      []string{"saygılarımla", "iyi çalışmalar", "saygılar"}},
	{name: "Hungarian",
		wrote:         []string{"írta"},
		from:          []string{"feladó"},
		fields:        []string{"küldve", "címzett", "tárgy", "dátum", "másolatot kap", "elküldve"},
		separator:     []string{"eredeti", "üzenet", "továbbított", "levél"},
		introductions: []string{"továbbított levél kezdete", "továbbított üzenet"},
		forward:       []string{"továbbított"},
		mobile:        []string{"küldve "},
		signOffs:      []string{"üdvözlettel", "udvozlettel", "tisztelettel", "üdv", "udv"}},
	{name: "Greek",
		wrote: []string{"έγραψε"}, lead: []string{"στις"},
		from:          []string{"από"},
		fields:        []string{"στάλθηκε", "προς", "θέμα", "ημερομηνία", "κοιν"},
		separator:     []string{"αρχικό", "μήνυμα", "προωθημένο"},
		introductions: []string{"αρχή προωθημένου μηνύματος", "προωθημένο μήνυμα"},
		forward:       []string{"προωθ"},
		mobile:        []string{"στάλθηκε από ", "αποστολή από "},
		signOffs:      []string{"με εκτίμηση", "φιλικά"}},
	{name: "Romanian",
		wrote: []string{"scris"}, lead: []string{"la", "pe"},
		from:          []string{"de la", "expeditor", "expeditorul"},
		fields:        []string{"trimis", "către", "subiect", "data"},
		separator:     []string{"mesaj", "original", "redirecționat"},
		forward:       []string{"redirecționat", "redirectionat"},
		introductions: []string{"începe mesajul redirecționat"},
		mobile:        []string{"trimis de pe ", "trimis din "},
		signOffs:      []string{"cu stimă", "cu respect", "toate cele bune", "o zi bună"}},
	{name: "Croatian, Serbian, Bosnian, Slovenian",
		wrote:         []string{"napisao", "napisala", "napisal", "написао", "написала"},
		from:          []string{"šalje", "pošiljatelj"},
		fields:        []string{"poslano", "poslato", "prima", "za", "predmet", "tema", "datum"},
		separator:     []string{"izvorna", "izvorni", "poruka", "originalna", "proslijeđena"},
		introductions: []string{"započni proslijeđenu poruku"},
		forward:       []string{"proslijeđen", "proslijeđenu", "prosleđen"},
		mobile:        []string{"poslano s ", "poslano sa ", "poslano iz ", "poslato sa "},
		signOffs:      []string{"lijep pozdrav", "srdačan pozdrav", "s poštovanjem", "pozdrav", "lp"}},
	{name: "Bulgarian",
		wrote:    []string{"написа"},
		fields:   []string{"изпратено", "до", "относно"},
		mobile:   []string{"изпратено от "},
		signOffs: []string{"поздрави", "с уважение"}},
	{name: "Baltic, Estonian",
		wrote:    []string{"rašė", "kirjutas", "rakstīja"},
		from:     []string{"saatja"},
		mobile:   []string{"saadetud minu ", "išsiųsta iš "},
		signOffs: []string{"pagarbiai", "lugupidamisega", "ar cieņu"}},
	{name: "Japanese",
		wroteMarks:     []string{"のメッセージ", "書きました", "さんは書きました"},
		from:           []string{"差出人", "送信者", "送信元"},
		fields:         []string{"送信日時", "宛先", "送信先", "件名", "日付", "送信日"},
		separator:      []string{"元のメッセージ", "転送されたメッセージ", "転送メッセージ"},
		separatorMarks: []string{"メッセージ", "転送"},
		introductions:  []string{"転送されたメッセージ", "転送メッセージ"},
		forward:        []string{"転送"},
		mobileSuffix:   []string{"から送信", "から送信しました"},
		signOffs:       []string{"よろしくお願いします", "よろしくお願いいたします", "以上、よろしくお願いいたします"}},
	{name: "Chinese (simplified)",
		wroteMarks:    []string{"写道"},
		from:          []string{"发件人", "发信人"},
		fields:        []string{"发送时间", "收件人", "主题", "日期", "抄送", "时间"},
		separator:     []string{"原始邮件", "邮件原件", "转发邮件", "转发的邮件"},
		introductions: []string{"以下是转发的邮件", "转发的邮件", "原始邮件"},
		forward:       []string{"转发"},
		mobile:        []string{"从我的", "发自我的"},
		mobileSuffix:  []string{"发送"},
		signOffs:      []string{"此致", "祝好", "此致敬礼"}},
	{name: "Chinese (traditional)",
		wroteMarks:    []string{"寫道"},
		from:          []string{"寄件者", "寄件人"},
		fields:        []string{"寄件日期", "收件者", "主旨", "日期", "副本", "傳送時間"},
		separator:     []string{"原始郵件", "轉寄郵件"},
		introductions: []string{"以下為轉寄的郵件", "轉寄的郵件"},
		forward:       []string{"轉寄"},
		mobile:        []string{"從我的", "寄自我的"},
		mobileSuffix:  []string{"傳送"},
		signOffs:      []string{"敬祝", "順頌時祺"}},
	{name: "Korean",
		wroteMarks:    []string{"작성"},
		from:          []string{"보낸 사람", "보낸사람"},
		fields:        []string{"보낸 날짜", "받는 사람", "받는사람", "제목", "날짜", "참조"},
		separator:     []string{"원본", "메시지", "전달된"},
		introductions: []string{"전달된 메시지"},
		forward:       []string{"전달"},
		mobile:        []string{"나의 "},
		mobileSuffix:  []string{"에서 보냄", "에서 보냈습니다"},
		signOffs:      []string{"감사합니다 드림"}},
	// Vietnamese, Indonesian, Arabic, Hebrew and Thai: the attributions,
	// separators and header fields are Thunderbird's (thunderbird-l10n,
	// mail/chrome/messenger/messengercompose/composeMsgs.properties and
	// mime.properties) and Gmail's; Outlook's fields as its mail shows them.
	{name: "Vietnamese",
		wrote: []string{"viết"}, lead: []string{"vào"},
		from:      []string{"từ", "người gửi"},
		fields:    []string{"đã gửi", "đến", "tới", "chủ đề", "ngày", "tiêu đề"},
		separator: []string{"thư", "gốc", "chuyển", "tiếp"},
		forward:   []string{"chuyển tiếp"},
		mobile:    []string{"gửi từ "},
		signOffs:  []string{"trân trọng", "thân mến"}},
	{name: "Indonesian, Malay",
		wrote: []string{"menulis"}, lead: []string{"pada"},
		from:      []string{"dari", "pengirim"},
		fields:    []string{"dikirim", "terkirim", "kepada", "perihal", "subjek", "tanggal", "tarikh"},
		separator: []string{"pesan", "asli", "diteruskan"},
		forward:   []string{"diteruskan"},
		mobile:    []string{"dikirim dari "},
		signOffs:  []string{"salam", "hormat saya", "terima kasih dan salam"}},
	{name: "Arabic",
		wrote: []string{"كتب"}, wroteFirst: []string{"كتب"}, lead: []string{"في", "على"},
		from:      []string{"من", "مِن", "المرسِل", "المرسل"},
		fields:    []string{"تم الإرسال", "إلى", "الموضوع", "التاريخ", "نسخة"},
		separator: []string{"الرسالة", "رسالة", "الأصلية", "المعاد", "توجيهها"},
		forward:   []string{"توجيه", "ممرّرة", "ممررة"},
		mobile:    []string{"أرسلت من ", "أُرسلت من ", "مرسل من "},
		signOffs:  []string{"مع التحية", "تحياتي"}},
	{name: "Hebrew",
		wrote: []string{"כתב", "כתבה", "נכתב"}, wroteFirst: []string{"נכתב"}, lead: []string{"בתאריך"},
		from:      []string{"מאת", "שולח"},
		fields:    []string{"נשלח", "אל", "נושא", "תאריך", "עותק", "עותק סמוי"},
		separator: []string{"הודעה", "מקורית", "הועברה"},
		forward:   []string{"הועבר"},
		mobile:    []string{"נשלח מה", "נשלח מ"},
		signOffs:  []string{"בברכה", "תודה ובברכה"}},
	{name: "Hindi",
		wroteMarks: []string{"लिखा"},
		from:       []string{"प्रेषक"},
		fields:     []string{"प्रति", "विषय"},
		signOffs:   []string{"धन्यवाद सहित"}},
	{name: "Thai",
		wroteMarks:     []string{"เขียนว่า", "เขียนเมื่อ"},
		from:           []string{"จาก", "ผู้ส่ง"},
		fields:         []string{"ส่ง", "ถึง", "เรื่อง", "หัวเรื่อง", "วันที่", "สำเนาถึง", "สำเนาลับถึง"},
		separatorMarks: []string{"ข้อความต้นฉบับ", "ข้อความที่ส่งต่อ"},
		forward:        []string{"ส่งต่อ"},
		signOffs:       []string{"ขอแสดงความนับถือ"}},
}

// The sets the algorithm reads, built once from the table.
var (
	wroteVerbs     = wordSet(func(l language) []string { return l.wrote })
	wroteMarkers   = wordList(func(l language) []string { return l.wroteMarks })
	wroteOpeners   = wordSet(func(l language) []string { return l.wroteFirst })
	leadWords      = wordSet(func(l language) []string { return l.lead })
	fromKeys       = wordSet(func(l language) []string { return l.from })
	otherKeys      = wordSet(func(l language) []string { return l.fields })
	separatorWords = wordSet(func(l language) []string { return l.separator })
	separatorMarks = wordList(func(l language) []string { return l.separatorMarks })
	forwardPrefix  = wordSet(func(l language) []string { return l.forwardSubject })
	forwardPhrases = wordList(func(l language) []string { return l.introductions })
	forwardWords   = wordList(func(l language) []string { return l.forward })
	mobilePrefixes = wordList(func(l language) []string { return l.mobile })
	mobileSuffixes = wordList(func(l language) []string { return l.mobileSuffix })
	signOffs       = wordSet(func(l language) []string { return l.signOffs })
)

// wordSet gathers one field of every language into a set.
func wordSet(field func(language) []string) map[string]bool {
	set := map[string]bool{}
	for _, l := range languages {
		for _, w := range field(l) {
			set[w] = true
		}
	}
	return set
}

// wordList gathers one field of every language into a list without
// repeats, in table order.
func wordList(field func(language) []string) []string {
	var list []string
	seen := map[string]bool{}
	for _, l := range languages {
		for _, w := range field(l) {
			if !seen[w] {
				seen[w] = true
				list = append(list, w)
			}
		}
	}
	return list
}

// isLowerWord reports whether w is written as the table requires.
func isLowerWord(w string) bool {
	return w != "" && strings.ToLower(w) == w && strings.TrimSpace(w) == strings.TrimRight(w, " ")
}
