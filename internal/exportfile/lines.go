package exportfile

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// Writer writes the plaintext of an export: the header, then each item
// given to Write, then (on Close) the trailer.
type Writer struct {
	bw  *bufio.Writer
	enc *json.Encoder
	n   int
}

// NewWriter writes h, with Format and Version filled in, to w.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	h.Format, h.Version = Format, Version
	if err := enc.Encode(h); err != nil {
		return nil, err
	}
	return &Writer{bw: bw, enc: enc}, nil
}

// Write writes one item.
func (w *Writer) Write(it *Item) error {
	w.n++
	return w.enc.Encode(it)
}

// Close writes the trailer and flushes; it does not close the underlying
// writer.
func (w *Writer) Close() error {
	if err := w.enc.Encode(line{End: true, Items: w.n}); err != nil {
		return err
	}
	return w.bw.Flush()
}

// Reader reads the plaintext of an export, one item at a time.
type Reader struct {
	lines  *bufio.Scanner
	n      int
	header Header
	done   bool
}

// NewReader reads the header of an export whose lines are at most maxLine
// bytes long.
func NewReader(r io.Reader, maxLine int) (*Reader, error) {
	lines := bufio.NewScanner(r)
	lines.Buffer(make([]byte, min(64<<10, maxLine)), maxLine)
	var h Header
	if !lines.Scan() || json.Unmarshal(lines.Bytes(), &h) != nil || h.Format != Format {
		return nil, damaged("no header")
	}
	if h.Version != Version {
		return nil, &FormatError{Reason: fmt.Sprintf("export format version %d is newer than this program", h.Version)}
	}
	return &Reader{lines: lines, header: h}, nil
}

// Header returns the export's header.
func (r *Reader) Header() Header { return r.header }

// Next returns the next item. It returns io.EOF once the trailer has
// proved the file complete: it was there, counted every item, and ended
// the file. Only then may what the caller did with the items be kept.
func (r *Reader) Next() (*Item, error) {
	if r.done {
		return nil, io.EOF
	}
	if !r.lines.Scan() {
		if err := r.lines.Err(); err != nil {
			return nil, damaged(err.Error())
		}
		return nil, damaged("it ends before its trailer")
	}
	var l line
	if err := json.Unmarshal(r.lines.Bytes(), &l); err != nil {
		return nil, damaged("a line is not an item")
	}
	if !l.End {
		r.n++
		return &l.Item, nil
	}
	if l.Items != r.n {
		return nil, damaged(fmt.Sprintf("the trailer counts %d items, the file holds %d", l.Items, r.n))
	}
	if r.lines.Scan() {
		return nil, damaged("data after the trailer")
	}
	if err := r.lines.Err(); err != nil {
		return nil, damaged(err.Error())
	}
	r.done = true
	return nil, io.EOF
}
