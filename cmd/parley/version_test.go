package main

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionText(t *testing.T) {
	t.Parallel()
	setting := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i+1 < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	const rev = "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{"no build information", nil, "parley (devel) commit unknown\n"},
		{"go test or go run", &debug.BuildInfo{}, "parley (devel) commit unknown\n"},
		{"release", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"},
			Settings: setting("vcs", "git", "vcs.revision", rev, "vcs.time", "2026-01-02T03:04:05Z", "vcs.modified", "false")},
			"parley v1.2.0 commit " + rev + " 2026-01-02T03:04:05Z\n"},
		{"uncommitted changes", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"},
			Settings: setting("vcs.revision", rev, "vcs.time", "2026-01-02T03:04:05Z", "vcs.modified", "true")},
			"parley (devel) commit " + rev + "-dirty 2026-01-02T03:04:05Z\n"},
		{"no commit", &debug.BuildInfo{Main: debug.Module{Version: "v0.3.0"}, Settings: setting("vcs.modified", "true")},
			"parley v0.3.0 commit unknown\n"},
	} {
		if got := versionText(tc.bi); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestVersionCommand(t *testing.T) {
	t.Parallel()
	want := versionLine()
	if !strings.HasPrefix(want, "parley ") || !strings.Contains(want, " commit ") {
		t.Fatalf("versionLine() = %q", want)
	}
	// A broken configuration does not stop it: it reads none.
	broken := env{"PARLEY_IDLE_AFTER": "soon"}
	for _, args := range [][]string{{"--version"}, {"version"}, {"--config", "/nonexistent.toml", "version"}} {
		if got := ok(t, broken, args...); got != want {
			t.Errorf("parley %s printed %q, want %q", strings.Join(args, " "), got, want)
		}
	}
	for _, args := range [][]string{{"version", "extra"}, {"--version", "serve"}} {
		if r := parley(t, env{}, args...); r.code != exitUsage || r.out != "" || strings.Count(r.err, "\n") != 1 {
			t.Errorf("parley %s: exit %d, stdout %q, stderr %q; want exit 2 and one line on stderr",
				strings.Join(args, " "), r.code, r.out, r.err)
		}
	}
	help := ok(t, env{}, "help")
	for _, line := range []string{"       parley --version\n", "  parley version\n"} {
		if !strings.Contains(help, line) {
			t.Errorf("help lacks %q", line)
		}
	}
}
