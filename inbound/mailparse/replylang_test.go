package mailparse

import (
	"strings"
	"testing"
)

// TestQuoteHeaders: attributions and header blocks as the clients of
// replylang.go's languages write them, each above a quote or an unquoted
// original, must be cut with what follows; the reply is the typed line.
func TestQuoteHeaders(t *testing.T) {
	const typed = "Sounds good to me."
	quoted := "\n> Can we meet on Friday?\n> Ann"
	original := "\n\nCan we meet on Friday?\nAnn"
	tests := []struct {
		name, header, after string
	}{
		// Date first, ISO and national formats.
		{"iso date", "2024-01-12 10:00 GMT+01:00 Ann Lee <ann@example.org>:", quoted},
		{"iso date wrote", "2024-01-12 10:00, Ann Lee wrote:", quoted},
		{"german date", "12.01.2024 10:00, Ann Lee <ann@example.org>:", quoted},
		{"us date", "1/12/2024 10:00 AM, Ann Lee <ann@example.org> wrote:", quoted},
		{"japanese gmail", "2024年1月12日(金) 10:00 Ann Lee <ann@example.org>:", quoted},
		{"chinese gmail", "Ann Lee <ann@example.org> 于2024年1月12日周五 10:00写道：", quoted},
		{"korean gmail", "2024년 1월 12일 (금) 오전 10:00, Ann Lee <ann@example.org>님이 작성:", quoted},
		{"russian gmail", "пт, 12 янв. 2024 г. в 10:00, Ann Lee <ann@example.org>:", quoted},
		{"turkish gmail", "Ann Lee <ann@example.org>, 12 Oca 2024 Cum, 10:00 tarihinde şunu yazdı:", quoted},
		{"vietnamese gmail", "Vào Th 6, 12 thg 1, 2024 vào lúc 10:00 Ann Lee <ann@example.org> đã viết:", quoted},
		{"indonesian gmail", "Pada tanggal Jum, 12 Jan 2024 10.00, Ann Lee <ann@example.org> menulis:", quoted},
		{"swedish gmail", "Den fre 12 jan. 2024 kl 10:00 skrev Ann Lee <ann@example.org>:", quoted},
		{"finnish gmail", "pe 12. tammik. 2024 klo 10.00 Ann Lee (ann@example.org) kirjoitti:", quoted},
		{"czech gmail", "pá 12. 1. 2024 v 10:00 odesílatel Ann Lee <ann@example.org> napsal:", quoted},
		{"hungarian gmail", "Ann Lee <ann@example.org> ezt írta (időpont: 2024. jan. 12., P, 10:00):", quoted},
		{"greek gmail", "Στις Παρ 12 Ιαν 2024 στις 10:00, ο/η Ann Lee <ann@example.org> έγραψε:", quoted},
		{"romanian gmail", "În vin., 12 ian. 2024 la 10:00, Ann Lee <ann@example.org> a scris:", quoted},
		{"ukrainian gmail", "пт, 12 січ. 2024 р. о 10:00 Ann Lee <ann@example.org> пише:", quoted},
		{"hebrew gmail", "בתאריך יום ו׳, 12 בינו׳ 2024 ב-10:00 מאת Ann Lee <ann@example.org>:", quoted},
		{"arabic gmail", "في الجمعة، 12 يناير 2024 10:00 ص Ann Lee <ann@example.org> كتب:", quoted},
		{"dutch", "Op vr 12 jan. 2024 om 10:00 schreef Ann Lee <ann@example.org>:", quoted},
		{"portuguese", "Em sex., 12 de jan. de 2024 às 10:00, Ann Lee <ann@example.org> escreveu:", quoted},
		{"italian", "Il giorno ven 12 gen 2024 alle ore 10:00 Ann Lee <ann@example.org> ha scritto:", quoted},
		{"polish", "W dniu pt., 12.01.2024 o 10:00 Ann Lee <ann@example.org> napisał(a):", quoted},
		// Name via a site, without a date.
		{"via site", "Ann Lee via Parley <notifications@parley.example> wrote:", quoted},
		{"via site dated", "On Fri, Jan 12, 2024 at 10:00 AM Ann Lee via Google Docs <drive-shares-noreply@google.com> wrote:", quoted},
		// Broken over lines.
		{"address alone", "On Fri, Jan 12, 2024 at 10:00 AM Ann Lee\n<ann@example.org> wrote:", quoted},
		{"address line then wrote", "On Fri, Jan 12, 2024 at 10:00 AM Ann Lee <\nann@example.org> wrote:", quoted},
		{"mailto", "On Fri, 12 Jan 2024 at 10:00, Ann Lee <ann@example.org<mailto:ann@example.org>> wrote:", quoted},
		{"mailto wrapped", "On Fri, 12 Jan 2024 at 10:00, Ann Lee <ann@example.org\n<mailto:ann@example.org>> wrote:", quoted},
		{"no date no address", "Ann Lee wrote:", quoted},
		// Decorated separators.
		{"bold from", "*From:* Ann Lee <ann@example.org>\n*Sent:* Friday, January 12, 2024 10:00 AM\n*To:* Bob\n*Subject:* plan", original},
		{"starred separator", "*-----Original Message-----*", original},
		{"em dash separator", "———— Original Message ————", original},
		{"underscores", "________________________________\nFrom: Ann Lee", original},
		// Outlook header blocks.
		{"outlook spanish", "De: Ann Lee <ann@example.org>\nEnviado el: viernes, 12 de enero de 2024 10:00\nPara: Bob\nAsunto: plan", original},
		{"outlook portuguese", "De: Ann Lee <ann@example.org>\nEnviada em: sexta-feira, 12 de janeiro de 2024 10:00\nPara: Bob\nAssunto: plan", original},
		{"outlook italian", "Da: Ann Lee <ann@example.org>\nInviato: venerdì 12 gennaio 2024 10:00\nA: Bob\nOggetto: plan", original},
		{"outlook dutch", "Van: Ann Lee <ann@example.org>\nVerzonden: vrijdag 12 januari 2024 10:00\nAan: Bob\nOnderwerp: plan", original},
		{"outlook swedish", "Från: Ann Lee <ann@example.org>\nSkickat: den 12 januari 2024 10:00\nTill: Bob\nÄmne: plan", original},
		{"outlook danish", "Fra: Ann Lee <ann@example.org>\nSendt: 12. januar 2024 10:00\nTil: Bob\nEmne: plan", original},
		{"outlook finnish", "Lähettäjä: Ann Lee <ann@example.org>\nLähetetty: perjantai 12. tammikuuta 2024 10.00\nVastaanottaja: Bob\nAihe: plan", original},
		{"outlook polish", "Od: Ann Lee <ann@example.org>\nWysłano: piątek, 12 stycznia 2024 10:00\nDo: Bob\nTemat: plan", original},
		{"outlook czech", "Od: Ann Lee <ann@example.org>\nOdesláno: pátek 12. ledna 2024 10:00\nKomu: Bob\nPředmět: plan", original},
		{"outlook russian", "От: Ann Lee <ann@example.org>\nОтправлено: 12 января 2024 г. 10:00\nКому: Bob\nТема: plan", original},
		{"outlook ukrainian", "Від: Ann Lee <ann@example.org>\nНадіслано: 12 січня 2024 р. 10:00\nКому: Bob\nТема: plan", original},
		{"outlook turkish", "Kimden: Ann Lee <ann@example.org>\nGönderildi: 12 Ocak 2024 Cuma 10:00\nKime: Bob\nKonu: plan", original},
		{"outlook japanese", "差出人: Ann Lee <ann@example.org>\n送信日時: 2024年1月12日 10:00\n宛先: Bob\n件名: plan", original},
		{"outlook chinese", "发件人: Ann Lee <ann@example.org>\n发送时间: 2024年1月12日 10:00\n收件人: Bob\n主题: plan", original},
		{"outlook chinese traditional", "寄件者: Ann Lee <ann@example.org>\n寄件日期: 2024年1月12日 10:00\n收件者: Bob\n主旨: plan", original},
		{"outlook korean", "보낸 사람: Ann Lee <ann@example.org>\n보낸 날짜: 2024년 1월 12일 금요일 오전 10:00\n받는 사람: Bob\n제목: plan", original},
		{"outlook greek", "Από: Ann Lee <ann@example.org>\nΣτάλθηκε: Παρασκευή, 12 Ιανουαρίου 2024 10:00\nΠρος: Bob\nΘέμα: plan", original},
		{"outlook hungarian", "Feladó: Ann Lee <ann@example.org>\nElküldve: 2024. január 12. 10:00\nCímzett: Bob\nTárgy: plan", original},
		{"outlook romanian", "De la: Ann Lee <ann@example.org>\nTrimis: vineri, 12 ianuarie 2024 10:00\nCătre: Bob\nSubiect: plan", original},
		{"outlook vietnamese", "Từ: Ann Lee <ann@example.org>\nĐã gửi: Thứ Sáu, 12 tháng 1, 2024 10:00\nĐến: Bob\nChủ đề: plan", original},
		{"outlook indonesian", "Dari: Ann Lee <ann@example.org>\nDikirim: Jumat, 12 Januari 2024 10.00\nKepada: Bob\nPerihal: plan", original},
		{"outlook arabic", "من: Ann Lee <ann@example.org>\nتم الإرسال: الجمعة، 12 يناير 2024 10:00\nإلى: Bob\nالموضوع: plan", original},
		{"outlook hebrew", "מאת: Ann Lee <ann@example.org>\nנשלח: יום שישי 12 ינואר 2024 10:00\nאל: Bob\nנושא: plan", original},
		{"separator japanese", "-----元のメッセージ-----", original},
		{"separator chinese", "-----原始邮件-----", original},
		{"separator korean", "-----원본 메시지-----", original},
		{"separator turkish", "-----Özgün İleti-----", original},
		{"separator portuguese", "-----Mensagem original-----", original},
		{"separator swedish", "-----Ursprungligt meddelande-----", original},
		{"separator greek", "-----Αρχικό μήνυμα-----", original},
		{"separator hungarian", "-----Eredeti üzenet-----", original},
		{"separator croatian", "-----Izvorna poruka-----", original},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := typed + "\n\n" + tt.header + tt.after
			reply, removed := ExtractReply(in)
			if reply != typed {
				t.Errorf("reply = %q, want %q\n(removed %q)", reply, typed, removed)
			}
			if !strings.Contains(removed, "Friday?") {
				t.Errorf("removed = %q lacks the quote", removed)
			}
		})
	}
}

// TestLeftovers: what clients leave beside the typed text.
func TestLeftovers(t *testing.T) {
	tests := []struct{ name, in, reply string }{
		{"zero width lines are blank lines", "Yes.\n\u200b\n\u200c\nNo.", "Yes.\n\n\nNo."},
		{"tracking mark", "Yes.\n\nᐧ", "Yes."},
		{"word joiner", "Yes.\n\u2060", "Yes."},
		{"german iphone", "Ja.\n\nVon meinem iPhone gesendet", "Ja."},
		{"spanish iphone", "Sí.\n\nEnviado desde mi iPhone", "Sí."},
		{"italian iphone", "Sì.\n\nInviato da iPhone", "Sì."},
		{"dutch iphone", "Ja.\n\nVerstuurd vanaf mijn iPhone", "Ja."},
		{"swedish iphone", "Ja.\n\nSkickat från min iPhone", "Ja."},
		{"danish iphone", "Ja.\n\nSendt fra min iPhone", "Ja."},
		{"polish iphone", "Tak.\n\nWysłane z iPhone'a", "Tak."},
		{"russian iphone", "Да.\n\nОтправлено с iPhone", "Да."},
		{"japanese iphone", "はい。\n\niPhoneから送信", "はい。"},
		{"chinese iphone", "好的。\n\n从我的iPhone发送", "好的。"},
		{"korean iphone", "네.\n\n나의 iPhone에서 보냄", "네."},
		{"turkish iphone", "Evet.\n\niPhone'umdan gönderildi", "Evet."},
		{"portuguese iphone", "Sim.\n\nEnviado do meu iPhone", "Sim."},
		{"french iphone", "Oui.\n\nEnvoyé de mon iPhone", "Oui."},
		{"samsung german", "Ja.\n\nVon meinem Samsung Galaxy Smartphone gesendet.", "Ja."},
		{"yahoo android", "Yes.\n\nSent from Yahoo Mail on Android", "Yes."},
		{"chinese word kept", "请发送", "请发送"},
		{"short attribution above a removed quote", "Yes.\n\nOn Friday, Ann wrote:\n> Lunch?", "Yes."},
		{"polish sign-off", "Tak.\n\nPozdrawiam,\nJan Kowalski", "Tak."},
		{"spanish sign-off", "Sí.\n\nSaludos cordiales,\nJuan", "Sí."},
		{"swedish sign-off", "Ja.\n\nMvh\nErik", "Ja."},
		{"sign-off then content", "Yes.\n\nBest regards,\nAnn\n\nPS: the room is booked until 6 so we can stay longer.", "Yes.\n\nBest regards,\nAnn\n\nPS: the room is booked until 6 so we can stay longer."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reply, removed := ExtractReply(tt.in)
			if reply != tt.reply {
				t.Errorf("reply = %q, want %q (removed %q)", reply, tt.reply, removed)
			}
		})
	}
}
