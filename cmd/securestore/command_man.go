package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// manCommand is "securestore man DIR"; its tests are in
// testdata/script/man.txtar.
var manCommand = &command{
	name:    "man",
	args:    []string{"DIR"},
	summary: "write the manual pages (roff) into DIR",
	help: `Write the manual pages into DIR: securestore.1 for the program, and
securestore-COMMAND.1 for each command, made from the same text as
--help. Install them where man looks, e.g.:

    securestore man ~/.local/share/man/man1 && man securestore-get`,
}

// The run function lists the commands, so it is set here rather than in
// the literal, which commands itself lists.
func init() { manCommand.setup = noFlags(runMan) }

func runMan(_ context.Context, inv *invocation, args []string) error {
	dir := args[0]
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var top bytes.Buffer
	printUsage(&top)
	pages := map[string]string{"securestore": manPage("securestore", "keep small secrets encrypted on this device", top.String())}
	for _, c := range commands {
		var b bytes.Buffer
		printCommandHelp(&b, c)
		pages["securestore-"+c.name] = manPage("securestore-"+c.name, c.summary, b.String())
	}
	for name, page := range pages {
		// Manual pages are public documentation: 0644, like any man page.
		if err := os.WriteFile(filepath.Join(dir, name+".1"), []byte(page), 0o644); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(inv.stderr, "wrote %d manual pages to %s\n", len(pages), dir)
	return err
}

// manPage renders help text as a roff page: the text is kept as it is
// laid out for the terminal, in a no-fill block.
func manPage(name, summary, text string) string {
	var b strings.Builder
	fmt.Fprintf(&b, ".TH %s 1 \"\" \"securestore %s\" \"securestore manual\"\n", strings.ToUpper(name), moduleVersion())
	fmt.Fprintf(&b, ".SH NAME\n%s \\- %s\n.SH DESCRIPTION\n.nf\n", name, roffEscape(summary))
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString(roffEscape(line) + "\n")
	}
	b.WriteString(".fi\n")
	return b.String()
}

// roffEscape escapes backslashes, and a line-leading dot or quote, which
// roff would take as a request.
func roffEscape(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}
