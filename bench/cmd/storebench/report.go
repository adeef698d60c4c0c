package main

import (
	"os"

	"github.com/securestore-go/securestore/bench"
)

// reportCmd is "storebench report": it renders results (and a soak) as
// markdown and writes it between the peers markers of -doc.
func reportCmd(args []string) error {
	fs := newFlagSet("report")
	results := fs.String("results", "results.json", "what storebench run wrote")
	soak := fs.String("soak", "", "what storebench soak wrote (optional)")
	doc := fs.String("doc", "", "the markdown file to update (default: print the section)")
	fs.Parse(args)
	var res bench.Results
	if err := bench.ReadJSON(*results, &res); err != nil {
		return err
	}
	var sr *bench.SoakResult
	if *soak != "" {
		sr = new(bench.SoakResult)
		if err := bench.ReadJSON(*soak, sr); err != nil {
			return err
		}
	}
	section := bench.RenderPeers(&res, sr)
	if *doc == "" {
		_, err := os.Stdout.WriteString(section)
		return err
	}
	old, err := os.ReadFile(*doc)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	updated, err := bench.Splice(string(old), section)
	if err != nil {
		return err
	}
	return os.WriteFile(*doc, []byte(updated), 0o644)
}
