package web

import (
	"compress/gzip"
	"net/http"
	"strings"
	"sync"
)

// gzipPool keeps gzip writers for reuse.
var gzipPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestCompression)
	return w
}}

// gzipWriter compresses what a handler writes.
type gzipWriter struct {
	http.ResponseWriter
	gz    *gzip.Writer
	wrote bool
}

func (g *gzipWriter) WriteHeader(status int) {
	if !g.wrote {
		g.wrote = true
		h := g.Header()
		h.Del("Content-Length")
		if status != http.StatusNoContent && status != http.StatusNotModified && status >= 200 {
			h.Set("Content-Encoding", "gzip")
		} else {
			g.gz = nil
		}
	}
	g.ResponseWriter.WriteHeader(status)
}

func (g *gzipWriter) Write(b []byte) (int, error) {
	if !g.wrote {
		g.WriteHeader(http.StatusOK)
	}
	if g.gz == nil {
		return g.ResponseWriter.Write(b)
	}
	return g.gz.Write(b)
}

// gzipped compresses the answers of fn (pages, script, style sheet) for
// clients that accept gzip: on a slow link the bytes are what count.
func gzipped(fn http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
		if !acceptsGzip(r.Header.Get("Accept-Encoding")) || r.Method == http.MethodHead {
			fn(w, r)
			return
		}
		gz := gzipPool.Get().(*gzip.Writer)
		gz.Reset(w)
		gw := &gzipWriter{ResponseWriter: w, gz: gz}
		defer func() {
			if gw.gz != nil && gw.wrote {
				_ = gz.Close()
			}
			gzipPool.Put(gz)
		}()
		fn(gw, r)
	}
}

func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}
