package credential

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// A value is a version tag and a list of fields, each written as its
// length in decimal, a colon and its bytes:
//
//	git1;5:https,10:github.com,...
//
// Lengths make the encoding exact for any bytes (a password may hold
// commas, colons, newlines or invalid UTF-8, which JSON would mangle) and
// cost two to five bytes a field, which matters under the 2048-byte limit.

// EncodeFields encodes fields under tag, which names the format and its
// version.
func EncodeFields(tag string, fields ...string) string {
	var b strings.Builder
	b.WriteString(tag)
	b.WriteByte(';')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(len(f)))
		b.WriteByte(':')
		b.WriteString(f)
	}
	return b.String()
}

// ErrMalformed is returned by DecodeFields for a value that is not in the
// expected format. Its messages never quote the value.
var ErrMalformed = errors.New("malformed credential item")

// DecodeFields decodes a value written by EncodeFields with the same tag
// and exactly n fields.
func DecodeFields(tag, s string, n int) ([]string, error) {
	rest, ok := strings.CutPrefix(s, tag+";")
	if !ok {
		return nil, fmt.Errorf("%w: not in format %q", ErrMalformed, tag)
	}
	fields := make([]string, 0, n)
	for i := 0; i < n; i++ {
		if i > 0 {
			if rest, ok = strings.CutPrefix(rest, ","); !ok {
				return nil, fmt.Errorf("%w: field %d is not preceded by a comma", ErrMalformed, i)
			}
		}
		digits, after, ok := strings.Cut(rest, ":")
		if !ok || digits == "" || len(digits) > 5 || strings.Trim(digits, "0123456789") != "" {
			return nil, fmt.Errorf("%w: field %d has no length", ErrMalformed, i)
		}
		if len(digits) > 1 && digits[0] == '0' { // EncodeFields writes none: one encoding per value
			return nil, fmt.Errorf("%w: field %d has a length with a leading zero", ErrMalformed, i)
		}
		size, _ := strconv.Atoi(digits) // at most 5 digits: cannot overflow
		if size > len(after) {
			return nil, fmt.Errorf("%w: field %d is cut short", ErrMalformed, i)
		}
		fields = append(fields, after[:size])
		rest = after[size:]
	}
	if rest != "" {
		return nil, fmt.Errorf("%w: %d bytes after the last field", ErrMalformed, len(rest))
	}
	return fields, nil
}
