package git

import (
	"context"
	"errors"
	"strings"
	"testing"
)

const credentialsFile = `https://alice:ghp_s3cretAlice@github.com
https://bob:glpat-s3cretBob@gitlab.example.com:8443
https://ci%40corp:p%40ss%3Aw0rd%2F@git.corp.example/team/repo.git

https://alice:older-s3cret@github.com
http://:token-only@192.168.1.10
`

func TestParseCredentialsFile(t *testing.T) {
	entries, errs := ParseCredentialsFile(credentialsFile)
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	want := []FileEntry{
		{Line: 1, Credential: Credential{Protocol: Set("https"), Host: Set("github.com"), Username: Set("alice"), Password: Set("ghp_s3cretAlice")}},
		{Line: 2, Credential: Credential{Protocol: Set("https"), Host: Set("gitlab.example.com:8443"), Username: Set("bob"), Password: Set("glpat-s3cretBob")}},
		{Line: 3, Credential: Credential{Protocol: Set("https"), Host: Set("git.corp.example"), Path: Set("team/repo.git"), Username: Set("ci@corp"), Password: Set("p@ss:w0rd/")}},
		{Line: 5, Credential: Credential{Protocol: Set("https"), Host: Set("github.com"), Username: Set("alice"), Password: Set("older-s3cret")}, ShadowedBy: 1},
		{Line: 6, Credential: Credential{Protocol: Set("http"), Host: Set("192.168.1.10"), Username: Set(""), Password: Set("token-only")}},
	}
	if len(entries) != len(want) {
		t.Fatalf("%d entries, want %d: %+v", len(entries), len(want), entries)
	}
	for i := range want {
		if entries[i] != want[i] {
			t.Errorf("entry %d = %+v\nwant %+v", i, entries[i], want[i])
		}
	}
}

func TestParseCredentialsFileErrors(t *testing.T) {
	data := "https://u:s3cret-one@h\r\n" + // CRLF is fine
		"not a url s3cret-two\n" +
		"https://h-without-user\n" +
		"https://only-user@h\n" +
		"https://u:s3cret%0Athree@h\n" +
		"https://u:" + strings.Repeat("s", 2100) + "@h\n" +
		"https://u:fine@h2"
	entries, errs := ParseCredentialsFile(data)
	if len(entries) != 2 {
		t.Errorf("%d good entries, want 2", len(entries))
	}
	wantLines := []int{2, 3, 4, 5, 6}
	if len(errs) != len(wantLines) {
		t.Fatalf("errors %v, want lines %v", errs, wantLines)
	}
	for i, err := range errs {
		var le *LineError
		if !errors.As(err, &le) || le.Line != wantLines[i] {
			t.Errorf("error %d = %v, want line %d", i, err, wantLines[i])
		}
		if msg := err.Error(); strings.Contains(msg, "s3cret") || strings.Contains(msg, "sss") || strings.Contains(msg, "only-user") {
			t.Errorf("error %q repeats the line", msg)
		}
	}
	if !strings.Contains(errs[4].Error(), "more than the 2048 bytes") {
		t.Errorf("too long: %v", errs[4])
	}
}

func TestImport(t *testing.T) {
	h := testHelper(t)
	store(t, h, "protocol=https\nhost=github.com\nusername=alice\npassword=from-the-helper\n")
	store(t, h, "protocol=https\nhost=keep.example\nusername=k\npassword=kept\n")
	entries, errs := ParseCredentialsFile(credentialsFile)
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	n, err := h.Import(context.Background(), entries)
	if err != nil || n != 4 {
		t.Fatalf("Import = %d, %v; want 4 stored", n, err)
	}
	tests := []struct{ req, want string }{
		// The file's first line for alice wins over the shadowed one and
		// replaces what the helper had.
		{"protocol=https\nhost=github.com\n", "username=alice\npassword=ghp_s3cretAlice\n"},
		{"protocol=https\nhost=gitlab.example.com:8443\n", "username=bob\npassword=glpat-s3cretBob\n"},
		{"protocol=https\nhost=git.corp.example\npath=team/repo.git\n", "username=ci@corp\npassword=p@ss:w0rd/\n"},
		{"protocol=http\nhost=192.168.1.10\nusername=\n", "username=\npassword=token-only\n"},
		{"protocol=https\nhost=keep.example\n", "username=k\npassword=kept\n"},
	}
	for _, tt := range tests {
		if got := get(t, h, tt.req); got != tt.want {
			t.Errorf("get %q = %q, want %q", tt.req, got, tt.want)
		}
	}
	// The file's order is kept: of two users of one host, the upper line
	// is what get returns without a username.
	h2 := testHelper(t)
	entries, _ = ParseCredentialsFile("https://first:1@h\nhttps://second:2@h\n")
	if _, err := h2.Import(context.Background(), entries); err != nil {
		t.Fatal(err)
	}
	if got := get(t, h2, "protocol=https\nhost=h\n"); got != "username=first\npassword=1\n" {
		t.Errorf("get after import = %q, want the first line's user", got)
	}
}
