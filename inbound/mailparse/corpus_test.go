package mailparse

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// corpusCase is a reply of the corpora added for issue 15, with the line a
// person would want from it: what the author typed, less quotes, headers,
// device lines and a closing, and a forward under its "Forwarded from"
// line. miss marks the cases parley still gets wrong, with why; the test
// fails when any other case differs, and reports the rate either way.
type corpusCase struct {
	file, family, lang, want, miss string
}

const anderssonOffer = "Thanks for the offer — the timing could work. Could you share the rate and\nthe start date?"

var alfonsrvCases = []corpusCase{
	{"alfonsrv/email_cs_wrap.txt", "Gmail", "cs", "Ahoj Anno,\n\nděkuji za zprávu. Podmínky mi vyhovují, ozvu se ti zítra dopoledne.", ""},
	{"alfonsrv/email_da_wrap.txt", "Gmail", "da", "Hej Anna,\n\nvilkårene lyder fornuftige, og jeg er ledig fra næste måned. Lad os tales\nved i morgen formiddag.", ""},
	{"alfonsrv/email_de_wrap.txt", "Gmail", "de", "Hallo Anna,\n\ndanke für die Nachricht. Die Konditionen klingen passend, lass uns morgen\nkurz telefonieren.", ""},
	{"alfonsrv/email_en_wrap.txt", "Gmail", "en", "Hi Anna,\n\n" + anderssonOffer, ""},
	{"alfonsrv/email_es_wrap.txt", "Gmail", "es", "Hola Anna,\n\nGracias por escribirme. Las condiciones me parecen razonables, puedo hablar\nmañana por la mañana.", ""},
	{"alfonsrv/email_fr_wrap.txt", "Gmail", "fr", "Bonjour Anna,\n\nMerci pour votre message. Les conditions me semblent correctes, je serai\ndisponible la semaine prochaine.", ""},
	{"alfonsrv/email_it_wrap.txt", "Gmail", "it", "Ciao Anna,\n\ngrazie per il messaggio. Le condizioni mi sembrano corrette, possiamo\nsentirci domani.", ""},
	{"alfonsrv/email_nl_wrap.txt", "Gmail", "nl", "Hoi Anna,\n\ndank voor je bericht. De voorwaarden lijken passend; laten we morgen even\nbellen.", ""},
	{"alfonsrv/email_sv_wrap.txt", "Gmail", "sv", "Hej Anna,\n\ntack för meddelandet. Villkoren låter rimliga, vi kan höras imorgon.", ""},
	{"alfonsrv/email_swedish_2.txt", "Gmail", "sv", "Hello Anna,\n\nIt's amazing I would love to ofcourse to be in such large scale project but\nunfortunately I have a contract till end of the year .. lets keep in touch and\nwill update you once I am available", ""},
	{"alfonsrv/email_swedish_3.txt", "Gmail", "sv", "Hej Anna,\nlåter ju potentiellt lovande. Har någon månads uppsägningstid på nuvarande\nuppdrag.\nVi kan väl höras imorgon förmiddag (sitter på kontor, så 10.30-11.00 ungefär?).", ""},
	{"alfonsrv/email_swedish_1.txt", "Apple", "sv", "Hej Person A,\n\nUrsäkta mitt sena svar!\n\nKan inte se att det står något om vilket företag det gäller?", ""},
	{"alfonsrv/email_danish_1.txt", "Apple", "da", "Hej Peter,\n\nTak for din mail. Det lyder godt.", ""},
	{"alfonsrv/email_danish_2.txt", "Outlook", "da", "Hej Hanne,\n\nJeg har modtaget filerne.", ""},
	{"alfonsrv/email_danish_3.txt", "Apple", "da", "Hej,\n\nSvar.", ""},
	{"alfonsrv/email_danish_4.txt", "Outlook", "da", "Hej,\n\nSvar.", ""},
	{"alfonsrv/email_danish_5.txt", "no quote", "da", "Hej,\n\nSvar.", ""},
	{"alfonsrv/email_hu_1.txt", "Gmail", "hu", "Szia Bela,\n\nAz uj beallitasokat feltoltottem a szerverre, holnap tudod tesztelni.\nHa valami nem stimmel, szolj nyugodtan.", ""},
	{"alfonsrv/email_hu_2.txt", "Gmail", "hu", "Koszonom, minden rendben van igy.", ""},
	{"alfonsrv/email_hu_3.txt", "Outlook", "hu", "Rendben, csutortokon egyeztetunk.", ""},
	{"alfonsrv/email_hu_4.txt", "Thunderbird", "hu", "A dokumentumot atneztem, szerintem keszen all.", ""},
	{"alfonsrv/email_hu_5.txt", "no quote", "hu", "Szia,\n\nCsak roviden: a jelentes elkeszult, holnap kikuldom.", ""},
	{"alfonsrv/email_ja_1_1.txt", "no quote", "ja", "こんにちは、みなさん！", ""},
	{"alfonsrv/email_ja_1_2.txt", "Gmail", "ja", "田中様\n\nお世話になっております。織田です。\n\nそれでは 11:00 にお待ちしております。", ""},
	{"alfonsrv/email_zh_1.txt", "other", "zh", "安安：\n\n周末聚会的时间和地点我这边已经整理好了，先发你确认一下。\n\n目前建议如下：\n\n1、时间定在本周六下午 3:00 开始；\n2、地点选在市中心的公共活动空间，交通方便；\n3、零食和饮料我会先准备一部分，其他人也可以自带；\n4、如果有人想带桌游或者便携音箱，也欢迎补充。\n\n如果天气有变化，我们就改到室内备用场地。\n\n以上，看到后告诉我是否需要调整。", ""},
	{"alfonsrv/email_zh_2.txt", "Gmail", "zh", "安安：\n我这边没有别的补充了，按这个安排推进就可以。", ""},
	// A header block with nothing typed above it: someone else's message,
	// posted as a forward, whole.
	{"alfonsrv/email_pl_1_1.txt", "Outlook", "pl", "Forwarded from Jan Kowalski:\nCześć Anno,\n\nJak się masz?\n\nPozdrawiam,\nJan", ""},
	{"alfonsrv/email_pl_1_2.txt", "Outlook", "pl", "Forwarded from Jan Kowalski:\nCześć Anno,\n\nJak się masz?\n\nPozdrawiam,\nJan\n\nDnia 28 lutego 2023 14:00 Anna Nowak <anna.nowak@example.com> napisał(a):\n> Cześć Janie,\n>\n> Wszystko w porządku, dziękuję. A ty?\n>\n> Pozdrawiam,\n> Ania", ""},
	{"alfonsrv/email_pl_1_3.txt", "Outlook", "pl", "Forwarded from Jan Kowalski:\nCześć Anno,\n\nJak się masz?\n\nZ poważaniem,\nJan", ""},
	{"alfonsrv/multiline_on_de.txt", "Gmail", "de", "Am heutigen Tage", ""},
}

var quotequailCases = []corpusCase{
	{"quotequail/apple_forward.html", "Apple", "en", "test\n\nblah\n\nForwarded from Foo Bar:\nText of the original email", ""},
	{"quotequail/apple_reply.html", "Apple", "en", "Foo\n\nBar", ""},
	{"quotequail/gmail_forward.html", "Gmail", "en", "test\n\nblah\n\nForwarded from Foo Bar:\nSome text", ""},
	{"quotequail/gmail_reply.html", "Gmail", "en", "foo\n\nbar", ""},
	{"quotequail/ios_mail_reply_unescaped_address.html", "Apple", "en", "Sounds good, I'll be there at 2.", ""},
	{"quotequail/thunderbird_forward.html", "Thunderbird", "en", "Forwarded from John Doe:\nDear John,\n\nThis is a test.", ""},
	{"quotequail/yahoo_reply_unescaped_address.html", "Yahoo", "en", "Thanks Jane, that looks great. One question on item 2 - can we ship it before Friday?", ""},
}

// corpusReply is what parley makes of a corpus file: whole messages
// through Parse, HTML files through the HTML pass first, as Parse does,
// and text with what its header would say (corpusContext, and the
// subjects of the forward samples).
func corpusReply(t *testing.T, file string) string {
	data := fixture(t, "replies/"+file)
	html := strings.HasSuffix(file, ".html")
	if strings.HasSuffix(file, ".eml") {
		m, err := ParseBytes(data, Options{})
		switch {
		case err == nil:
			return m.Reply
		case !bytes.HasPrefix(data, []byte("<html")):
			t.Fatalf("%s: %v", file, err)
		}
		html = true // a message body saved without its header
	}
	in := string(data)
	if html {
		in = htmlToText(in)
	}
	rc := corpusContext[file]
	if name, ok := strings.CutPrefix(file, "forwardparser/"); ok {
		rc.Subject = forwardParserSubject(t, strings.TrimSuffix(name, ".txt"))
	}
	reply, _ := extractReply(in, rc)
	return reply
}

// corpusSets are the corpora whose expected lines corpus_test.go and
// corpus_more_test.go hold.
func corpusSets(t *testing.T) [][]corpusCase {
	return [][]corpusCase{alfonsrvCases, quotequailCases, moreCases, forwardParserCases(t)}
}

func TestCorpus(t *testing.T) {
	for _, set := range corpusSets(t) {
		for _, c := range set {
			t.Run(c.file, func(t *testing.T) {
				got := corpusReply(t, c.file)
				switch {
				case c.miss == "" && got != c.want:
					t.Errorf("reply:\n%s\n--- want:\n%s", got, c.want)
				case c.miss != "" && got == c.want:
					t.Logf("known miss now matches (%s): drop its miss note", c.miss)
				}
			})
		}
	}
}

// TestCorpusCovered keeps the tables complete: every sample of the new
// corpora has its expected line.
func TestCorpusCovered(t *testing.T) {
	covered := map[string]bool{}
	for _, set := range corpusSets(t) {
		for _, c := range set {
			if covered[c.file] {
				t.Errorf("%s has two entries", c.file)
			}
			covered[c.file] = true
		}
	}
	for _, d := range []struct{ dir, ext string }{
		{"alfonsrv", ".txt"}, {"quotequail", ".html"}, {"forwardparser", "_body.txt"},
		{"forwardparser", ".txt"}, {"extended", ".txt"}, {"extended", ".eml"}, {"deltachat", ".eml"},
	} {
		for _, name := range fixtureNames(t, "replies/"+d.dir, d.ext) {
			if strings.HasSuffix(name, "_subject.txt") {
				continue // a subject, read with its body
			}
			if rel := strings.TrimPrefix(name, "replies/"); !covered[rel] {
				t.Errorf("no expectation for %s", rel)
			}
		}
	}
}

// TestCorpusRate reports the exact-match rate of every corpus by client
// family and language (go test -run CorpusRate -v). The older corpora
// (crisp, github, willdurand) count their exact and whole-text cases; the
// cases checked by phrases only are listed apart.
func TestCorpusRate(t *testing.T) {
	type tally struct{ n, ok int }
	byFamily, byLang := map[string]*tally{}, map[string]*tally{}
	total, phrases, fresh := tally{}, 0, tally{}
	add := func(family, lang string, ok bool) {
		for _, m := range []struct {
			tab map[string]*tally
			key string
		}{{byFamily, family}, {byLang, lang}} {
			if m.tab[m.key] == nil {
				m.tab[m.key] = &tally{}
			}
			m.tab[m.key].n++
			total.n++
			if ok {
				m.tab[m.key].ok++
				total.ok++
			}
		}
	}
	for _, set := range [][]replyCase{crispCases, githubCases, willdurandCases} {
		for _, tc := range set {
			if !tc.exact && !tc.whole {
				phrases++
				continue
			}
			in := string(fixture(t, "replies/"+tc.file))
			reply, _ := ExtractReply(in)
			ok := tc.exact && reply == tc.want || tc.whole && reply == normalize(in)
			family, lang := olderCorpusTags(tc.file)
			add(family, lang, ok)
		}
	}
	var misses []string
	for _, set := range corpusSets(t) {
		for _, c := range set {
			ok := corpusReply(t, c.file) == c.want
			add(c.family, c.lang, ok)
			if isFresh(c.file) {
				fresh.n++
				if ok {
					fresh.ok++
				}
			}
			if !ok {
				misses = append(misses, c.file)
			}
		}
	}
	var b strings.Builder
	for _, m := range []struct {
		title string
		tab   map[string]*tally
	}{{"client family", byFamily}, {"language", byLang}} {
		fmt.Fprintf(&b, "\n%s:\n", m.title)
		keys := make([]string, 0, len(m.tab))
		for k := range m.tab {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := m.tab[k]
			fmt.Fprintf(&b, "  %-14s %3d/%-3d %5.1f%%\n", k, v.ok, v.n, 100*float64(v.ok)/float64(v.n))
		}
	}
	fmt.Fprintf(&b, "\nnew this session (expectations written before the code saw them): %d/%d (%.1f%%)\n",
		fresh.ok, fresh.n, 100*float64(fresh.ok)/float64(max(fresh.n, 1)))
	if len(misses) > 0 {
		fmt.Fprintf(&b, "misses: %s\n", strings.Join(misses, ", "))
	}
	t.Logf("exact match: %d/%d (%.1f%%); %d more checked by phrases only%s", total.ok/2, total.n/2, 100*float64(total.ok)/float64(total.n), phrases, b.String())
}

// olderCorpusTags names the client family and language of a sample of the
// crisp, github and willdurand corpora, from its name or, for numbered
// samples, from what the tables above say of it.
func olderCorpusTags(file string) (family, lang string) {
	name := strings.ToLower(file)
	lang = "en"
	for _, l := range []struct{ key, lang string }{
		{"french", "fr"}, {"_fr", "fr"}, {"german", "de"}, {"danish", "da"}, {"finnish", "fi"},
		{"italian", "it"}, {"norwegian", "no"}, {"portuguese", "pt"}, {"russian", "ru"},
		{"customer_quote_header_3", "fr"}, {"custom_quote_header.txt", "hu"}, {"issue_77", "fr"},
		{"email_10.", "fr"}, {"email_11.", "fr"}, {"email_9.", "fr"}, {"email_12.", "nl"}, {"email_8.", "nl"},
		{"email_13.", "it"}, {"email_7.", "it"}, {"email_14.", "pl"}, {"email_16.", "pl"}, {"email_17.", "pl"},
		{"willdurand/email_22.", "zh"}, {"willdurand/email_23.", "uk"},
	} {
		if strings.Contains(name, l.key) {
			lang = l.lang
			break
		}
	}
	switch {
	case strings.Contains(name, "outlook") || strings.Contains(name, "msn") || strings.Contains(name, "original_message") || strings.Contains(name, "email_2_"):
		family = "Outlook"
	case strings.Contains(name, "gmail"):
		family = "Gmail"
	case strings.Contains(name, "iphone") || strings.Contains(name, "blackberry") || strings.Contains(name, "mobile") || strings.Contains(name, "sent_from"):
		family = "mobile"
	case strings.Contains(name, "zimbra") || strings.Contains(name, "zoho") || strings.Contains(name, "w10") || strings.Contains(name, "issue_77"):
		family = "other"
	default:
		family = "text, client unknown"
	}
	return family, lang
}
