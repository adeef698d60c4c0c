package securestore

import (
	"os"
	"strings"
	"testing"

	"github.com/securestore-go/securestore/protector"
)

// TestEveryProtectorDescribes: doctor shows every built-in protector's
// verdict, and the verdict's words are SECURITY.md's: each clause of it
// ("protects ...; not ...") names things that section names.
func TestEveryProtectorDescribes(t *testing.T) {
	security, err := os.ReadFile("docs/SECURITY.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.ToLower(string(security))
	for _, name := range defaultProtectors().Names() {
		if strings.HasPrefix(name, "test-") { // this package's test protectors
			continue
		}
		p, err := defaultProtectors().Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		d, ok := p.(protector.Describer)
		if !ok {
			t.Errorf("protector %q does not implement protector.Describer: doctor cannot say what it defends against", name)
			continue
		}
		v := d.Describe(protector.Scope{Dir: t.TempDir(), Store: "app:x"}).Verdict
		if !strings.Contains(v, "protects") || !strings.Contains(v, "not ") {
			t.Errorf("%s's verdict %q does not say both what it protects and what not", name, v)
		}
		if !strings.Contains(doc, "### `"+name+"`") {
			t.Errorf("SECURITY.md has no section on the %s protector", name)
		}
	}
}
