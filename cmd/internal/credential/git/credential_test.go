package git

import (
	"regexp"
	"testing"
)

func TestMatches(t *testing.T) {
	have := Credential{Protocol: Set("https"), Host: Set("example.com:8443"), Path: Set("org/repo.git"), Username: Set("alice"), Password: Set("pw")}
	tests := []struct {
		name          string
		want          Credential
		matchPassword bool
		match         bool
	}{
		{"everything", have, true, true},
		{"nothing asked matches all", Credential{}, false, true},
		{"protocol and host", Credential{Protocol: Set("https"), Host: Set("example.com:8443")}, false, true},
		{"another protocol", Credential{Protocol: Set("http"), Host: Set("example.com:8443")}, false, false},
		{"the port is part of the host", Credential{Protocol: Set("https"), Host: Set("example.com")}, false, false},
		{"host case counts", Credential{Host: Set("Example.com:8443")}, false, false},
		{"the same path", Credential{Path: Set("org/repo.git")}, false, true},
		{"another path", Credential{Path: Set("org/other.git")}, false, false},
		{"the same user", Credential{Username: Set("alice")}, false, true},
		{"another user", Credential{Username: Set("bob")}, false, false},
		{"the empty username is a username", Credential{Username: Set("")}, false, false},
		{"password ignored", Credential{Host: Set("example.com:8443"), Password: Set("other")}, false, true},
		{"password compared", Credential{Host: Set("example.com:8443"), Password: Set("other")}, true, false},
		{"password absent matches", Credential{Host: Set("example.com:8443")}, true, true},
	}
	for _, tt := range tests {
		if got := tt.want.Matches(&have, tt.matchPassword); got != tt.match {
			t.Errorf("%s: Matches = %v, want %v", tt.name, got, tt.match)
		}
	}
	// A stored credential without a path does not match a request with one.
	noPath := Credential{Protocol: Set("https"), Host: Set("h"), Username: Set("u")}
	if (&Credential{Path: Set("p")}).Matches(&noPath, false) {
		t.Error("a request with a path matched a credential without one")
	}
	// An empty stored username matches a request for the empty username only.
	emptyUser := Credential{Host: Set("h"), Username: Set("")}
	if !(&Credential{Username: Set("")}).Matches(&emptyUser, false) || (&Credential{Username: Set("u")}).Matches(&emptyUser, false) {
		t.Error("the empty username is not matched as a username")
	}
}

var validKey = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

func TestKey(t *testing.T) {
	base := Credential{Protocol: Set("https"), Host: Set("example.com:8443"), Username: Set("alice"), Password: Set("pw")}
	key := Key(&base)
	if !validKey.MatchString(key) || !regexp.MustCompile(`^https_example\.com-8443_[0-9a-f]{32}$`).MatchString(key) {
		t.Fatalf("Key = %q", key)
	}
	// The secrets, expiry and time are not part of the identity.
	same := base
	same.Password, same.RefreshToken, same.PasswordExpiry = Set("other"), "r", 5
	if Key(&same) != key {
		t.Error("the password changes the key")
	}
	// Every identity attribute is, and absent differs from empty.
	for name, c := range map[string]Credential{
		"protocol":   {Protocol: Set("http"), Host: base.Host, Username: base.Username},
		"host":       {Protocol: base.Protocol, Host: Set("example.com"), Username: base.Username},
		"path":       {Protocol: base.Protocol, Host: base.Host, Path: Set("x"), Username: base.Username},
		"empty path": {Protocol: base.Protocol, Host: base.Host, Path: Set(""), Username: base.Username},
		"username":   {Protocol: base.Protocol, Host: base.Host, Username: Set("bob")},
		"empty user": {Protocol: base.Protocol, Host: base.Host, Username: Set("")},
		"no host":    {Protocol: base.Protocol, Path: Set("example.com:8443"), Username: base.Username},
	} {
		if k := Key(&c); k == key || !validKey.MatchString(k) {
			t.Errorf("%s: Key = %q (base %q)", name, k, key)
		}
	}
	odd := Credential{Protocol: Set("git+ssh"), Host: Set("[::1]:22 ü_x"), Username: Set("u")}
	if k := Key(&odd); !validKey.MatchString(k) {
		t.Errorf("Key of odd names = %q, not a valid key", k)
	}
}

func TestEntryRoundTrip(t *testing.T) {
	for _, e := range []Entry{
		{Credential: Credential{Protocol: Set("https"), Host: Set("h"), Username: Set("u"), Password: Set("p")}, StoredAt: 1},
		{Credential: Credential{Protocol: Set("cert"), Path: Set("/etc/c.pem"), Username: Set(""), Password: Set("")}, StoredAt: -1},
		{Credential: Credential{Protocol: Set("https"), Host: Set(""), Path: Set(""), Username: Set("u,1:x"), Password: Set("p\xff;,:"),
			PasswordExpiry: 1700000000, RefreshToken: "refresh"}, StoredAt: 1_700_000_000_123_456_789},
	} {
		got, err := DecodeEntry(e.Encode())
		if err != nil || got != e {
			t.Errorf("DecodeEntry(Encode(%+v)) = %+v, %v", e, got, err)
		}
	}
	for _, bad := range []string{"", "git1;0:", "docker1;1:a,1:b,1:c",
		"git1;1:x,5:https,1:h,0:,1:u,1:p,0:,0:,1:1",   // unknown flag
		"git1;1:h,5:https,1:h,0:,1:u,1:p,2:-1,0:,1:1", // negative expiry
		"git1;1:h,5:https,1:h,0:,1:u,1:p,0:,0:,3:now", // bad time
	} {
		if got, err := DecodeEntry(bad); err == nil {
			t.Errorf("DecodeEntry(%q) = %+v, want an error", bad, got)
		}
	}
}
