package file

import (
	"os"
	"path/filepath"

	"github.com/securestore-go/securestore/internal/machineid"
	"github.com/securestore-go/securestore/protector"
)

// Describe implements protector.Describer: the key file, and what it defends
// against given the machine identity it is bound to.
func (fileProtector) Describe(scope protector.Scope) protector.Description {
	path := filepath.Join(scope.Dir, KeyFileName)
	d := protector.Description{
		Files: []string{path},
		Verdict: "key file on disk next to the data: protects a leaked database file and a copy to another machine; " +
			"not a thief who has your user account or disk",
	}
	if keyFileBinding(path) == machineid.None {
		d.Verdict = "key file on disk next to the data, bound to no machine identity: protects a leaked database file " +
			"only; not a copy of the whole directory, nor a thief who has your user account or disk"
	}
	return d
}

// keyFileBinding reads only the binding name from a key file's header
// ("" when the file is missing or unreadable).
func keyFileBinding(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	defer clear(data)
	if len(data) < 6 || string(data[:4]) != keyFileMagic || len(data) < 6+int(data[5]) {
		return ""
	}
	return string(data[6 : 6+int(data[5])])
}
