package sms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"parley/internal/blobs"
	"parley/internal/filesafe"
	"parley/threads"
)

// maxMediaPerText is the most media of one MMS parley looks at (Twilio
// allows ten).
const maxMediaPerText = 10

// numMedia is the number of media a text says it carries.
func numMedia(p url.Values) int {
	n, err := strconv.Atoi(p.Get("NumMedia"))
	if err != nil || n < 0 {
		return 0
	}
	return min(n, maxMediaPerText)
}

// media fetches and keeps an MMS's files: only from Twilio's media origin,
// with the account's credentials, within the size limit and the allowed
// types. Files not kept are named in refused. An error (the media host
// unreachable, a 5xx, the blob folder failing) means: try again later.
func (h *Handler) media(ctx context.Context, log *slog.Logger, p url.Values) (atts []threads.Attachment, refused []string, err error) {
	for i := range numMedia(p) {
		raw, ct := p.Get("MediaUrl"+strconv.Itoa(i)), p.Get("MediaContentType"+strconv.Itoa(i))
		ct, _, _ = mime.ParseMediaType(ct)
		name := mediaName(i, ct)
		u, perr := url.Parse(raw)
		switch {
		case raw == "" || perr != nil || u.Host == "":
			refused = append(refused, name+" (no usable address)")
			continue
		case !h.bases[u.Scheme+"://"+strings.ToLower(u.Host)]:
			// Never fetched: parley sends Twilio credentials to Twilio only,
			// and fetches nothing a texter names.
			log.Warn("media not fetched: not Twilio's media host", "host", u.Host)
			refused = append(refused, name+" from "+shorten(u.Host, 40)+" (not Twilio's media host)")
			continue
		case h.o.Blobs == nil:
			refused = append(refused, name+" (files are not accepted here)")
			continue
		case !filesafe.TypeAllowed(h.o.AllowedTypes, ct):
			refused = append(refused, name+" (type "+ct+" is not allowed)")
			continue
		}
		a, why, err := h.fetch(ctx, u.String(), name, ct)
		if err != nil {
			return nil, nil, err
		}
		if why != "" {
			refused = append(refused, name+" ("+why+")")
			continue
		}
		atts = append(atts, a)
	}
	return atts, refused, nil
}

// fetch downloads one medium with the account's credentials and keeps it.
// A non-empty why is a refusal of this file; an error is temporary.
func (h *Handler) fetch(ctx context.Context, u, name, ct string) (threads.Attachment, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return threads.Attachment{}, "no usable address", nil
	}
	req.SetBasicAuth(h.o.AccountSID, h.o.AuthToken)
	res, err := h.o.HTTPClient.Do(req)
	if err != nil {
		return threads.Attachment{}, "", fmt.Errorf("fetch media: %w", err)
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests:
		return threads.Attachment{}, "", fmt.Errorf("fetch media: HTTP %d", res.StatusCode)
	case res.StatusCode != http.StatusOK:
		return threads.Attachment{}, fmt.Sprintf("could not be fetched: HTTP %d", res.StatusCode), nil
	case res.ContentLength > h.o.MaxMedia:
		return threads.Attachment{}, "too large", nil
	}
	meta, err := h.o.Blobs.Put(ctx, name, ct, io.LimitReader(res.Body, h.o.MaxMedia+1))
	if errors.Is(err, blobs.ErrTooLarge) {
		return threads.Attachment{}, "too large", nil
	}
	if err != nil {
		return threads.Attachment{}, "", fmt.Errorf("keep media: %w", err)
	}
	if meta.Size > h.o.MaxMedia {
		return threads.Attachment{}, "too large", nil
	}
	return threads.Attachment{ID: meta.ID, Name: name, Type: ct, Size: meta.Size}, "", nil
}

// mediaName names the i-th medium of a text: "mms-1.jpg".
func mediaName(i int, ct string) string {
	name := "mms-" + strconv.Itoa(i+1)
	if ext, ok := commonExt[ct]; ok {
		return name + ext
	}
	if exts, _ := mime.ExtensionsByType(ct); len(exts) > 0 {
		name += exts[0]
	}
	return name
}

// commonExt are the usual extensions of MMS media types (mime lists
// several for some, sorted: .jfif before .jpg).
var commonExt = map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/gif": ".gif",
	"video/mp4": ".mp4", "video/3gpp": ".3gp", "audio/mpeg": ".mp3", "audio/amr": ".amr", "text/vcard": ".vcf"}
