package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// TestMaskingWriterSplits writes the same stream cut at every position,
// and byte by byte: the output must not depend on where a secret is cut.
func TestMaskingWriterSplits(t *testing.T) {
	secrets := []string{"s3cret-token", "abcd", "abcdefgh", "xy"}
	in := "a s3cret-token, abcdefgh, abcdefg, abcd, s3cret-toke, xy, s3cret-tokens3cret-token"
	want := "a " + concealed + ", " + concealed + ", " + concealed + "efg, " + concealed + ", s3cret-toke, xy, " + concealed + concealed
	for cut := 0; cut <= len(in); cut++ {
		var out bytes.Buffer
		m := newMaskingWriter(&out, secrets)
		for _, part := range []string{in[:cut], in[cut:]} {
			if n, err := m.Write([]byte(part)); err != nil || n != len(part) {
				t.Fatalf("Write = %d, %v", n, err)
			}
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		if out.String() != want {
			t.Fatalf("cut at %d:\n got %q\nwant %q", cut, out.String(), want)
		}
	}
	var out bytes.Buffer
	m := newMaskingWriter(&out, secrets)
	for i := range len(in) {
		m.Write([]byte{in[i]})
	}
	m.Close()
	if out.String() != want {
		t.Fatalf("byte by byte:\n got %q\nwant %q", out.String(), want)
	}
}

// TestMaskingWriterHoldsOnlyPrefixes: output that cannot start a secret
// is passed on at once, not held until Close.
func TestMaskingWriterHoldsOnlyPrefixes(t *testing.T) {
	var out bytes.Buffer
	m := newMaskingWriter(&out, []string{"s3cret"})
	m.Write([]byte("prompt: "))
	if out.String() != "prompt: " {
		t.Fatalf("passed on %q, want everything", out.String())
	}
	m.Write([]byte("s3c"))
	if out.String() != "prompt: " {
		t.Fatalf("passed on %q, want the start of the secret held", out.String())
	}
	m.Write([]byte("ret!"))
	if got, want := out.String(), "prompt: "+concealed+"!"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	m.Write([]byte("s3"))
	m.Close()
	if !strings.HasSuffix(out.String(), "!s3") {
		t.Fatalf("Close did not pass on the held tail: %q", out.String())
	}
}

func TestParseReference(t *testing.T) {
	for _, tc := range []struct {
		value  string
		ok     bool
		want   reference
		hasErr bool
	}{
		{"plain", false, reference{}, false},
		{"xsecurestore://a/b", false, reference{}, false},
		{"securestore://svc/key", true, reference{service: "svc", key: "key"}, false},
		{"securestore://app/my-app/svc/key.1", true, reference{app: "my-app", service: "svc", key: "key.1"}, false},
		{"securestore://group/g_1/svc/key", true, reference{group: "g_1", service: "svc", key: "key"}, false},
		{"securestore://app/svc", true, reference{service: "app", key: "svc"}, false},
		{"securestore://", true, reference{}, true},
		{"securestore://svc", true, reference{}, true},
		{"securestore://svc/", true, reference{}, true},
		{"securestore://a/b/c", true, reference{}, true},
		{"securestore://other/a/b/c", true, reference{}, true},
		{"securestore://app/a/b/c/d", true, reference{}, true},
		{"securestore://svc/k y", true, reference{}, true},
	} {
		got, ok, err := parseReference(tc.value)
		if ok != tc.ok || (err != nil) != tc.hasErr || err == nil && got != tc.want {
			t.Errorf("parseReference(%q) = %+v, %v, %v; want %+v, %v, error %v", tc.value, got, ok, err, tc.want, tc.ok, tc.hasErr)
		}
		if err != nil && len(tc.value) > len(referenceScheme) && strings.Contains(err.Error(), tc.value) {
			t.Errorf("parseReference(%q): the error repeats the value: %v", tc.value, err)
		}
	}
}

// BenchmarkMaskingWriter: the cost of masking three secrets in output
// written 4 KiB at a time, with no secret in it (the usual case).
func BenchmarkMaskingWriter(b *testing.B) {
	m := newMaskingWriter(io.Discard, []string{"ghp_0123456789abcdefghijklmnopqrstuvwxyz", "s3cret-password", "AKIAIOSFODNN7EXAMPLE"})
	chunk := bytes.Repeat([]byte("log line: request served in 12ms, status 200\n"), 4096/46)
	b.SetBytes(int64(len(chunk)))
	for b.Loop() {
		m.Write(chunk)
	}
}
