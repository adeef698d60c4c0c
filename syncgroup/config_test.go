package syncgroup

import (
	"crypto/tls"
	"errors"
	"strings"
	"testing"
)

// A password goes to etcd only over TLS or to a loopback address.
func TestPasswordNeedsTLSOffLoopback(t *testing.T) {
	cases := []struct {
		endpoints []string
		password  string
		tls       bool
		ok        bool
	}{
		{[]string{"127.0.0.1:2379"}, "pw", false, true},
		{[]string{"http://127.3.4.5:2379", "localhost:2379", "LOCALHOST"}, "pw", false, true},
		{[]string{"http://[::1]:2379", "[::1]:2379", "::1"}, "pw", false, true},
		{[]string{"etcd.example:2379"}, "", false, true}, // no password: nothing to protect
		{[]string{"etcd.example:2379"}, "pw", true, true},
		{[]string{"etcd.example:2379"}, "pw", false, false},
		{[]string{"127.0.0.1:2379", "http://10.0.0.2:2379"}, "pw", false, false},
		{[]string{"http://localhost.example:2379"}, "pw", false, false},
		{[]string{"128.0.0.1:2379"}, "pw", false, false},
		{[]string{"[::2]:2379"}, "pw", false, false},
	}
	for _, tc := range cases {
		c := Config{Endpoints: tc.endpoints, Prefix: "/p/", Username: "u", Password: tc.password}
		if tc.tls {
			c.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		err := c.normalize()
		if tc.ok && err != nil || !tc.ok && !errors.Is(err, ErrPlaintextPassword) {
			t.Errorf("%v, password %q, TLS %v: %v", tc.endpoints, tc.password, tc.tls, err)
		}
	}
}

// Approve and Revoke name a device by its code through resolveCode: a code
// two devices share names neither, whatever the map's order.
func TestResolveCodeAmbiguity(t *testing.T) {
	a := "abcdefghij" + strings.Repeat("a", idLen-CodeLen)
	b := "abcdefghij" + strings.Repeat("b", idLen-CodeLen)
	c := "klmnopqrst" + strings.Repeat("c", idLen-CodeLen)
	devs := map[string]deviceEntry{a: {}, b: {}, c: {}}
	for range 20 { // map order varies: an order-dependent pick would pass some rounds
		if id, err := resolveCode(devs, "ABCDE-FGHIJ"); !errors.Is(err, ErrUnknownCode) {
			t.Fatalf("a shared code resolved to %q, %v; want ErrUnknownCode", id, err)
		}
	}
	for code, want := range map[string]string{"KLMNO-PQRST": c, "klmnopqrst": c, a: a, strings.ToUpper(b): b} {
		if id, err := resolveCode(devs, code); err != nil || id != want {
			t.Errorf("%s: %q, %v; want %q", code, id, err, want)
		}
	}
	for _, code := range []string{"ZZZZZ-ZZZZZ", "ABCDE", ""} {
		if id, err := resolveCode(devs, code); !errors.Is(err, ErrUnknownCode) {
			t.Errorf("%q: %q, %v; want ErrUnknownCode", code, id, err)
		}
	}
}
