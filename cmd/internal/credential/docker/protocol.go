package docker

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Credentials is what docker sends to store and receives from get.
type Credentials struct {
	ServerURL string
	Username  string
	Secret    string
}

// The messages of docker-credential-helpers' credentials package. Docker
// compares the not-found message to tell "no credentials" from a failure,
// so it must be exactly this.
const (
	NotFoundMessage         = "credentials not found in native keychain"
	MissingServerURLMessage = "no credentials server URL"
	MissingUsernameMessage  = "no credentials username"
)

var (
	ErrNotFound         = errors.New(NotFoundMessage)
	ErrMissingServerURL = errors.New(MissingServerURLMessage)
	ErrMissingUsername  = errors.New(MissingUsernameMessage)
	// ErrBadInput is wrapped by the errors of ParseStoreInput other than
	// the two above. Their messages never quote the input.
	ErrBadInput = errors.New("bad input")
)

// MaxInputBytes bounds what a helper reads from docker. A credential
// that fits in an item is far smaller.
const MaxInputBytes = 1 << 20

// ReadInput reads standard input up to MaxInputBytes.
func ReadInput(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxInputBytes {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrBadInput, MaxInputBytes)
	}
	return data, nil
}

// ParseStoreInput parses store's input: one JSON object with the string
// fields ServerURL, Username and Secret (unknown fields are ignored, names
// match without regard to case, as Go's encoding/json does for
// docker-credential-helpers), and nothing after it but white space.
// ServerURL and Username must not be empty.
func ParseStoreInput(data []byte) (Credentials, error) {
	var c Credentials
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&c); err != nil {
		return Credentials{}, jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Credentials{}, fmt.Errorf("%w: more input after the JSON object", ErrBadInput)
	}
	if c.ServerURL == "" {
		return Credentials{}, ErrMissingServerURL
	}
	if c.Username == "" {
		return Credentials{}, ErrMissingUsername
	}
	return c, nil
}

// jsonError says what is wrong with the JSON without quoting any of it:
// encoding/json's syntax errors quote the offending character, which may
// be part of the secret.
func jsonError(err error) error {
	const want = `want a JSON object {"ServerURL": "...", "Username": "...", "Secret": "..."}`
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w: no input; %s", ErrBadInput, want)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("%w: the JSON ends early; %s", ErrBadInput, want)
	case errors.As(err, &syntax):
		return fmt.Errorf("%w: invalid JSON at byte %d; %s", ErrBadInput, syntax.Offset, want)
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Errorf("%w: %s is a JSON %s, not a string; %s", ErrBadInput, typ.Field, typ.Value, want)
	default:
		return fmt.Errorf("%w: %s", ErrBadInput, want)
	}
}

// ParseServerURLInput parses the input of get and erase: a server URL.
// Like docker-credential-helpers, it joins the lines and trims white
// space; an empty result is ErrMissingServerURL.
func ParseServerURLInput(data []byte) (string, error) {
	lines := strings.Split(string(data), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	s := strings.TrimSpace(strings.Join(lines, ""))
	if s == "" {
		return "", ErrMissingServerURL
	}
	return s, nil
}

// WriteCredentials writes c as get's answer: one JSON object and a newline.
func WriteCredentials(w io.Writer, c Credentials) error {
	return json.NewEncoder(w).Encode(c)
}
