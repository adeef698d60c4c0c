package git

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Limits on a request, so that a runaway writer cannot make the helper
// hold unbounded memory. Git's own requests are a few hundred bytes.
const (
	MaxLineBytes    = 64 << 10
	MaxRequestBytes = 1 << 20
)

// ErrBadRequest is wrapped by every error of ParseRequest. The messages
// give line numbers, never the line: it may hold a password.
var ErrBadRequest = errors.New("bad credential request")

// ParseRequest reads one request in git's credential format: key=value
// lines, ended by a blank line or the end of input; "\r\n" counts as
// "\n", as in git. Unknown keys are ignored; "url" sets protocol, host,
// path, username and password from a URL, replacing what came before, as
// git's credential_read does. A line without '=' is an error (git's helpers
// die on it), and so is a NUL byte, which git could not have sent.
func ParseRequest(r io.Reader) (Credential, error) {
	var c Credential
	counted := &countingReader{r: io.LimitReader(r, MaxRequestBytes+1)}
	br := bufio.NewReaderSize(counted, 4096)
	for n := 1; ; n++ {
		line, err := readLine(br)
		if counted.n > MaxRequestBytes {
			return Credential{}, fmt.Errorf("%w: longer than %d bytes", ErrBadRequest, MaxRequestBytes)
		}
		if errors.Is(err, errLineTooLong) {
			return Credential{}, fmt.Errorf("%w: line %d is longer than %d bytes", ErrBadRequest, n, MaxLineBytes)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return Credential{}, fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
		if len(line) == 0 {
			return c, nil // a blank line or the end of input
		}
		if err := c.setLine(line); err != nil {
			return Credential{}, fmt.Errorf("%w: line %d: %w", ErrBadRequest, n, err)
		}
		if errors.Is(err, io.EOF) {
			return c, nil
		}
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

var errLineTooLong = errors.New("line too long")

// readLine returns the next line without its "\n" or "\r\n", and io.EOF
// with the last line when the input ends.
func readLine(br *bufio.Reader) (string, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > MaxLineBytes+2 {
			return "", errLineTooLong
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		line, hadNewline := bytes.CutSuffix(buf, []byte("\n"))
		if hadNewline {
			line, _ = bytes.CutSuffix(line, []byte("\r"))
		}
		if len(line) > MaxLineBytes {
			return "", errLineTooLong
		}
		if err == nil {
			return string(line), nil
		}
		return string(line), err
	}
}

// setLine applies one key=value line to c.
func (c *Credential) setLine(line string) error {
	key, value, ok := strings.Cut(line, "=")
	if !ok {
		return errors.New("no '=' in the line")
	}
	if strings.IndexByte(key, 0) >= 0 {
		return errors.New("the key holds a NUL byte")
	}
	if strings.IndexByte(value, 0) >= 0 {
		return fmt.Errorf("the value of %q holds a NUL byte", key)
	}
	switch key {
	case "protocol":
		c.Protocol = Set(value)
	case "host":
		c.Host = Set(value)
	case "path":
		c.Path = Set(value)
	case "username":
		c.Username = Set(value)
	case "password":
		c.Password = Set(value)
	case "password_expiry_utc":
		c.PasswordExpiry = parseExpiry(value)
	case "oauth_refresh_token":
		c.RefreshToken = value
	case "url":
		u, err := ParseURL(value)
		if err != nil {
			return fmt.Errorf("url: %w", err)
		}
		// git's credential_from_url starts from an empty credential.
		*c = u
	}
	return nil
}

// parseExpiry reads password_expiry_utc. Git reads it with strtoumax and
// takes 0 (and overflow) to mean "never expires"; so does anything here
// that is not a positive decimal number.
func parseExpiry(s string) int64 {
	t, err := strconv.ParseInt(s, 10, 64)
	if err != nil || t <= 0 {
		return 0
	}
	return t
}

// WriteResponse writes the answer to get: the username, and the password
// with its expiry unless it has expired by now (Unix seconds), and the
// refresh token. Values never hold a newline (nothing that could store
// one accepts it), but a corrupt item must not inject attributes, so such
// a value is an error.
func WriteResponse(w io.Writer, c *Credential, now int64) error {
	var b strings.Builder
	add := func(key, value string) error {
		if strings.ContainsAny(value, "\n\x00") {
			return fmt.Errorf("the stored %s holds a newline or NUL byte, which git cannot read", key)
		}
		b.WriteString(key + "=" + value + "\n")
		return nil
	}
	expired := c.Expired(time.Unix(now, 0))
	if c.Username.Present {
		if err := add("username", c.Username.Value); err != nil {
			return err
		}
	}
	if c.Password.Present && !expired {
		if err := add("password", c.Password.Value); err != nil {
			return err
		}
		if c.PasswordExpiry != 0 {
			_ = add("password_expiry_utc", expiryString(c.PasswordExpiry))
		}
	}
	if c.RefreshToken != "" {
		if err := add("oauth_refresh_token", c.RefreshToken); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
