package main

import (
	"fmt"
	"strings"
)

// A reference is an environment value that names an item for "securestore
// run" to put in its place. Names are one or more of A-Z a-z 0-9 . _ -,
// so "/" cannot occur inside one and the number of parts tells the forms
// apart:
//
//	securestore://SERVICE/KEY              the store the flags name (--app, $SECURESTORE_APP or --group)
//	securestore://app/APP/SERVICE/KEY      the store of app APP
//	securestore://group/GROUP/SERVICE/KEY  the shared access group GROUP
//
// Only a whole value is a reference; a value that merely contains one is
// left as it is. A value that starts with the scheme but has any other
// shape is an error, so that a typo does not hand the child the
// reference text instead of the secret.
const referenceScheme = "securestore://"

// reference is one parsed reference. app and group are both empty for the
// short form; at most one is set.
type reference struct {
	app, group   string
	service, key string
}

// parseReference parses value. ok is false when value is not a reference
// at all (it does not start with the scheme). The error never repeats
// value.
func parseReference(value string) (ref reference, ok bool, err error) {
	rest, found := strings.CutPrefix(value, referenceScheme)
	if !found {
		return reference{}, false, nil
	}
	parts := strings.Split(rest, "/")
	switch {
	case len(parts) == 2:
		ref = reference{service: parts[0], key: parts[1]}
	case len(parts) == 4 && parts[0] == "app":
		ref = reference{app: parts[1], service: parts[2], key: parts[3]}
	case len(parts) == 4 && parts[0] == "group":
		ref = reference{group: parts[1], service: parts[2], key: parts[3]}
	default:
		return reference{}, true, fmt.Errorf("not a reference of the form %sSERVICE/KEY, %sapp/APP/SERVICE/KEY or %sgroup/GROUP/SERVICE/KEY",
			referenceScheme, referenceScheme, referenceScheme)
	}
	for _, p := range parts {
		if !isName(p) {
			return reference{}, true, fmt.Errorf("a part of the reference is empty or has a character other than A-Z a-z 0-9 . _ -")
		}
	}
	return ref, true, nil
}

// isName reports whether s follows the name rule.
func isName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
