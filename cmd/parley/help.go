package main

import (
	"fmt"
	"io"
	"strings"
)

const helpIntro = `parley: instant messaging for people who are often away from a fast connection.

Usage: parley [--config FILE] COMMAND [ARGUMENTS]
       parley --version

Commands:
`

const helpNotes = `
Commands other than serve, demo and help work on a shared Redis named by
PARLEY_REDIS_URL; parley demo and parley serve (without PARLEY_REDIS_URL)
print the address of their in-memory store to use from another terminal.
Listing and show commands take --json for scripts. Times are printed in UTC.
Exit status: 0 done; 1 the command failed (not found, Redis unreachable...);
2 the command line or the configuration is wrong.
`

// printHelp writes the help to w and returns the exit code of `parley help`.
func printHelp(w io.Writer, configPath string, getenv func(string) string) int {
	writeHelp(w, configPath, getenv)
	return exitOK
}

// writeHelp writes the commands and the configuration variables, each with
// its default and whether it is set. Secret values are never shown.
func writeHelp(w io.Writer, configPath string, getenv func(string) string) {
	var b strings.Builder
	b.WriteString(helpIntro)
	for _, c := range commands() {
		fmt.Fprintf(&b, "  parley %s\n      %s\n", strings.TrimSpace(c.path+" "+c.args), c.summary)
	}
	fmt.Fprintf(&b, "  parley help\n      print this help\n")
	b.WriteString(helpNotes)

	cfg, err := LoadConfig(configPath, getenv)
	b.WriteString("\nConfiguration: environment variables, or keys of the TOML file given with\n--config (the environment wins).\n\n")
	nameW, keyW, defW := 0, 0, 0
	for _, s := range settings {
		nameW, keyW, defW = max(nameW, len(s.env)), max(keyW, len(s.key)), max(defW, len(defaultText(s)))
	}
	for _, s := range settings {
		fmt.Fprintf(&b, "  %-*s  %-*s  default %-*s  %s\n      %s\n",
			nameW, s.env, keyW, s.key, defW, defaultText(s), stateText(cfg, s), s.desc)
	}
	if configPath != "" {
		fmt.Fprintf(&b, "\nConfig file: %s\n", configPath)
	}
	if err != nil {
		fmt.Fprintf(&b, "\nThe configuration has an error: %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
	}
	_, _ = io.WriteString(w, b.String())
}

// isHelpWord reports whether a word asks for help.
func isHelpWord(w string) bool { return w == "help" || w == "-h" || w == "--help" }

// writeTopicHelp writes the help of the commands named by words ("user",
// "room create") and reports whether there were any.
func writeTopicHelp(w io.Writer, words []string) bool {
	topic := strings.Join(words, " ")
	var b strings.Builder
	for _, c := range commands() {
		if c.path == topic || strings.HasPrefix(c.path, topic+" ") {
			fmt.Fprintf(&b, "Usage: parley %s\n    %s\n", strings.TrimSpace(c.path+" "+c.args), c.summary)
		}
	}
	if b.Len() == 0 {
		return false
	}
	_, _ = io.WriteString(w, b.String())
	return true
}

// writeCommandHelp writes the usage of one command (for `parley CMD -h`).
func writeCommandHelp(w io.Writer, c command) {
	writeTopicHelp(w, strings.Fields(c.path))
}

func defaultText(s setting) string {
	if s.def == "" {
		return "none"
	}
	return s.def
}

// stateText says whether a variable is set and, unless it is a secret, to
// what and where.
func stateText(cfg Config, s setting) string {
	src := cfg.Source(s.env)
	if src == "default" {
		return "(not set)"
	}
	if s.secret || s.show == nil {
		return "(set)"
	}
	return fmt.Sprintf("set: %s (%s)", s.show(&cfg), src)
}
