package main

import (
	"encoding/json"
	"io"
)

// The --json output of list and has: one object on one line, with the
// fields documented in docs/CLI-JSON.md. Fields are only ever added,
// never renamed or removed.

// jsonTarget names what a --json answer is about: the same in every
// command's object.
type jsonTarget struct {
	App     string `json:"app"`
	Group   string `json:"group"` // "" for the app's own store
	Service string `json:"service"`
}

func (inv *invocation) jsonTarget() jsonTarget {
	return jsonTarget{App: inv.app(), Group: inv.global.group, Service: inv.service()}
}

// writeJSON writes v as one line of JSON.
func writeJSON(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}
