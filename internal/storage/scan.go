package storage

import (
	"bytes"
	"fmt"
)

// Scanners for the columns this package reads. They accept exactly the
// type this package writes and report anything else as ErrCorrupt, naming
// the column and the type found, never the value: database/sql's own
// conversions quote the value in their errors, and a damaged file can put
// anything (another column's ciphertext, a name) where an integer belongs.

// blobCol scans a BLOB column.
type blobCol struct {
	name string
	dst  *[]byte
}

func (c blobCol) Scan(v any) error {
	b, ok := v.([]byte)
	if !ok {
		return wrongType(c.name, "a blob", v)
	}
	*c.dst = bytes.Clone(b)
	return nil
}

// byteCol scans an INTEGER column whose values are 0..255 (a class, a
// wrapping).
type byteCol struct {
	name string
	dst  *uint8
}

func (c byteCol) Scan(v any) error {
	n, ok := v.(int64)
	if !ok {
		return wrongType(c.name, "an integer", v)
	}
	if n < 0 || n > 255 {
		return fmt.Errorf("%w: column %s holds an integer out of range", ErrCorrupt, c.name)
	}
	*c.dst = uint8(n)
	return nil
}

// intCol scans an INTEGER column (a count, a pragma's value).
type intCol struct {
	name string
	dst  *int64
}

func (c intCol) Scan(v any) error {
	n, ok := v.(int64)
	if !ok {
		return wrongType(c.name, "an integer", v)
	}
	*c.dst = n
	return nil
}

func wrongType(column, want string, v any) error {
	return fmt.Errorf("%w: column %s holds %s, not %s", ErrCorrupt, column, sqlType(v), want)
}

// sqlType names the SQLite storage class of a value the driver returned.
func sqlType(v any) string {
	switch v.(type) {
	case nil:
		return "NULL"
	case int64:
		return "an integer"
	case float64:
		return "a real"
	case string:
		return "text"
	case []byte:
		return "a blob"
	}
	return "a value of another type"
}

// blobRef scans a BLOB column from a reader (reader.go), whose driver
// hands out every blob as a fresh copy: it keeps that copy.
type blobRef struct {
	name string
	dst  *[]byte
}

func (c blobRef) Scan(v any) error {
	b, ok := v.([]byte)
	if !ok {
		return wrongType(c.name, "a blob", v)
	}
	*c.dst = b
	return nil
}
