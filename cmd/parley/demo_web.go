package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-message/mail"

	"parley/threads"
	"parley/web"
)

// demoSignIn is the member the demo makes a sign-in link for.
const demoSignIn = "alice@example.org"

// demoPhoneSignIn is the verified number the demo names for a sign-in by
// texted code (carol's).
const demoPhoneSignIn = "+15550002222"

// startWeb serves the page for the demo on PARLEY_HTTP_ADDR, or on a free
// loopback port when that one is taken (a second demo, a test). It returns
// the page's address and a function that stops the server.
func (d *demo) startWeb(cfg Config, log *slog.Logger) (string, func(), error) {
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return "", nil, fmt.Errorf("listen for the web page: %w", err)
		}
	}
	url := "http://" + pageHost(ln.Addr())
	o, err := webOptions(cfg, d.st, log)
	if err != nil {
		_ = ln.Close()
		return "", nil, err
	}
	o.PublicURL = url
	stop := make(chan struct{})
	o.Stop = stop
	srv := web.NewServer(web.New(o), web.ServerOptions{Log: log})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(web.Listen(ln, web.ServerOptions{}))
	}()
	return url, func() {
		close(stop)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}, nil
}

// signinLinkPattern finds a sign-in link in an email's text.
var signinLinkPattern = regexp.MustCompile(`https?://\S+/signin/[A-Za-z0-9_-]{43}`)

// showWeb asks for a sign-in link for alice, as the page's sign-in form
// does, reads it back from the email the worker put in the outbox, and
// prints it with the page's address.
func (d *demo) showWeb(ctx context.Context, url string) error {
	links, err := d.signInLinks(ctx)
	if err != nil {
		return err
	}
	before := len(links)
	if _, queued, err := web.QueueSignInLink(ctx, d.st.Directory, d.st.Auth, d.st.Queue, url, demoSignIn); err != nil {
		return fmt.Errorf("sign-in link for %s: %w", demoSignIn, err)
	} else if !queued {
		d.printf("\nThe web page: %s/ (sign-in links for %s are used up for this hour)\n", url, demoSignIn)
		return nil
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(links) == before {
		if time.Now().After(deadline) {
			return errors.New("the sign-in email did not arrive in the outbox")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(outboxPoll):
		}
		if links, err = d.signInLinks(ctx); err != nil {
			return err
		}
	}
	d.printf("\nThe web page: %s/\n"+
		"  Sign in as Alice with this link, the one in her sign-in email in the outbox (once, within 15 minutes):\n"+
		"  %s\n"+
		"  Lines posted from another terminal appear there live; set your status from the page.\n"+
		"  A member with only a phone types their verified number there instead (Carol could: %s) and\n"+
		"  signs in with the 6-digit code parley texts them (once, within %d minutes; 5 wrong tries burn it).\n"+
		"  Her profile's Encryption section (%s/me#encryption) takes her OpenPGP public key (a file or pasted)\n"+
		"  and offers parley's own key to import into her mail client (%s/parley.asc).\n",
		url, links[len(links)-1], demoPhoneSignIn, int(threads.CodeValidity/time.Minute), url, url)
	return nil
}

// signInLinks returns the sign-in links emailed to demoSignIn that the
// outbox holds, oldest first.
func (d *demo) signInLinks(ctx context.Context) ([]string, error) {
	entries, err := d.st.Queue.Outbox(ctx, "", threads.MaxPage)
	if err != nil {
		return nil, err
	}
	var links []string
	for _, e := range entries {
		if e.Channel == threads.Email && e.To == demoSignIn {
			if link := signInLinkIn(e.Body); link != "" {
				links = append(links, link)
			}
		}
	}
	return links, nil
}

// signInLinkIn returns the sign-in link in an email's plain text, or "".
func signInLinkIn(raw string) string {
	r, err := mail.CreateReader(strings.NewReader(raw))
	if err != nil {
		return ""
	}
	for {
		p, err := r.NextPart()
		if err != nil {
			return ""
		}
		if h, ok := p.Header.(*mail.InlineHeader); ok {
			if ct, _, _ := h.ContentType(); ct == "text/plain" {
				text, _ := io.ReadAll(io.LimitReader(p.Body, 64<<10))
				return signinLinkPattern.FindString(string(text))
			}
		}
	}
}

// pageHost is the host:port a browser on this machine reaches a listener
// at: a listener on every address (":8080") is reached at 127.0.0.1, one
// name throughout (localhost and 127.0.0.1 keep different cookies).
func pageHost(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
}
