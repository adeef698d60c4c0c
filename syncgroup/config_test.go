package syncgroup

import (
	"crypto/tls"
	"errors"
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
