// Package machineid reads a stable identity of this machine (Linux's
// /etc/machine-id, the Windows MachineGuid, macOS's IOPlatformUUID, BSD's
// kern.hostuuid), to which the file protector binds its key file so that a
// copied store directory does not open on another machine.
package machineid

import (
	"bytes"
	"fmt"
)

// None is the binding of a key file made where no machine identity could
// be read (a container without /etc/machine-id, say). Such a file is not
// bound to anything; `securestore doctor` says so.
const None = "none"

// Source is one way of reading a stable identity of this machine.
type Source struct {
	Name string // recorded in the key file: "machine-id", "machine-guid", ...
	Read func() ([]byte, error)
}

// Platform returns this platform's sources, best first.
func Platform() []Source { return platformSources }

// Current returns the first identity that sources offer, or None.
func Current(sources []Source) (binding string, id []byte) {
	for _, s := range sources {
		if id, err := s.Read(); err == nil {
			return s.Name, id
		}
	}
	return None, nil
}

// Read reads the identity that binding names from sources: nothing for
// None, an error for a binding that sources do not have.
func Read(sources []Source, binding string) ([]byte, error) {
	if binding == None {
		return nil, nil
	}
	for _, s := range sources {
		if s.Name == binding {
			return s.Read()
		}
	}
	return nil, fmt.Errorf("this platform has no machine identity called %q", binding)
}

func nonEmpty(id []byte, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	id = bytes.TrimSpace(id)
	if len(id) == 0 {
		return nil, fmt.Errorf("empty machine identity")
	}
	return id, nil
}
