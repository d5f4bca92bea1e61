package main

import (
	"context"
	"io"
	"runtime/debug"
)

// versionLine says which build this is, from what the Go toolchain
// stamped into the binary: "parley v1.2.0 commit 0123abc... 2026-01-02T03:04:05Z",
// with "-dirty" after the commit when the tree had uncommitted changes.
// Without build information (go run, go test) it says
// "parley (devel) commit unknown".
func versionLine() string {
	bi, _ := debug.ReadBuildInfo()
	return versionText(bi)
}

// versionText is versionLine for the given build information (nil: none).
func versionText(bi *debug.BuildInfo) string {
	version, revision, modified, at := "(devel)", "unknown", false, ""
	if bi != nil {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if s.Value != "" {
					revision = s.Value
				}
			case "vcs.modified":
				modified = s.Value == "true"
			case "vcs.time":
				at = s.Value
			}
		}
	}
	if modified && revision != "unknown" {
		revision += "-dirty"
	}
	line := "parley " + version + " commit " + revision
	if at != "" {
		line += " " + at
	}
	return line + "\n"
}

func versionCommands() []command {
	return []command{
		{path: "version", args: "",
			summary: "print the version and the VCS commit of this build (also: parley --version)",
			mode:    noConfig, parse: parseVersion},
	}
}

func parseVersion(args []string) (action, error) {
	if err := parseNoArgs(newFlags("version"), args); err != nil {
		return nil, err
	}
	return func(_ context.Context, a *app) error {
		_, err := io.WriteString(a.out, versionLine())
		return err
	}, nil
}
