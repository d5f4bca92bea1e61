package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"parley/inbound/mailparse"
)

func replytestCommands() []command {
	return []command{
		{path: "replytest", args: "FILE.eml...",
			summary: "print what each saved email would become: the chat line, the part cut from it, and who wrote it (person, vacation, bounce, list...)",
			mode:    noConfig, parse: parseReplytest},
	}
}

func parseReplytest(args []string) (action, error) {
	files, err := parseFlags(newFlags("replytest"), args)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, usagef("missing FILE.eml")
	}
	return func(_ context.Context, a *app) error {
		return replytest(a.out, files, openFile)
	}, nil
}

// openFile opens a file for replytest; tests replace it.
func openFile(name string) (io.ReadCloser, error) { return os.Open(name) }

// replytest parses each file as mailparse does at the doors and prints
// what would be posted. It goes on past a file it cannot read and returns
// an error naming every such file.
func replytest(out io.Writer, files []string, open func(string) (io.ReadCloser, error)) error {
	var failed []error
	for i, name := range files {
		if i > 0 {
			fmt.Fprintln(out)
		}
		msg, err := parseFile(name, open)
		if err != nil {
			fmt.Fprintf(out, "== %s\nerror: %v\n", name, err)
			failed = append(failed, fmt.Errorf("%s: %w", name, err))
			continue
		}
		writeReplytest(out, name, msg)
	}
	if len(failed) > 0 {
		return fmt.Errorf("replytest: %d of %d files could not be read: %w", len(failed), len(files), errors.Join(failed...))
	}
	return nil
}

// parseFile reads and parses one message.
func parseFile(name string, open func(string) (io.ReadCloser, error)) (*mailparse.Message, error) {
	f, err := open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return mailparse.Parse(f, mailparse.Options{})
}

// writeReplytest prints one message's line, cut part and class.
func writeReplytest(out io.Writer, name string, m *mailparse.Message) {
	fmt.Fprintf(out, "== %s\n", name)
	fmt.Fprintf(out, "class: %s\n", m.Kind)
	if b := m.Bounce; b != nil {
		kind := "temporary"
		if b.Permanent {
			kind = "permanent"
		}
		fmt.Fprintf(out, "bounce: %s %s for %s", kind, b.Status, strings.Join(b.Recipients, ", "))
		if b.Diagnostic != "" {
			fmt.Fprintf(out, ": %s", b.Diagnostic)
		}
		fmt.Fprintln(out)
	}
	fmt.Fprintf(out, "from: %s\n", m.From)
	if m.Subject != "" {
		fmt.Fprintf(out, "subject: %s\n", m.Subject)
	}
	if m.Encrypted {
		fmt.Fprintln(out, "encrypted: yes (parley cannot read the text)")
	}
	if m.Kind != mailparse.KindPerson {
		fmt.Fprintln(out, "posted: no (only a person's message becomes a line)")
	}
	writeBlock(out, "line", m.Reply)
	writeBlock(out, "cut", m.Removed)
	if n := len(m.Attachments); n > 0 {
		fmt.Fprintf(out, "attachments: %d\n", n)
	}
}

// writeBlock prints a titled block of text, each line indented.
func writeBlock(out io.Writer, title, text string) {
	if strings.TrimSpace(text) == "" {
		fmt.Fprintf(out, "%s: (none)\n", title)
		return
	}
	fmt.Fprintf(out, "%s:\n", title)
	for _, l := range strings.Split(text, "\n") {
		fmt.Fprintln(out, strings.TrimRight("  | "+l, " "))
	}
}
