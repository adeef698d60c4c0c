package protector

import (
	"bytes"
	"fmt"
)

// bindingNone marks a key file made where no machine identity could be
// read (a container without /etc/machine-id, say). Such a file is not
// bound to anything; `securestore doctor` says so.
const bindingNone = "none"

// machineIDSource is one way of reading a stable identity of this machine.
type machineIDSource struct {
	name string
	read func() ([]byte, error)
}

// currentMachineID returns the first machine identity this platform offers,
// or bindingNone.
func currentMachineID() (binding string, id []byte) {
	for _, s := range machineIDSources {
		if id, err := s.read(); err == nil {
			return s.name, id
		}
	}
	return bindingNone, nil
}

// readMachineID reads the identity a key file was bound to.
func readMachineID(binding string) ([]byte, error) {
	if binding == bindingNone {
		return nil, nil
	}
	for _, s := range machineIDSources {
		if s.name == binding {
			return s.read()
		}
	}
	return nil, fmt.Errorf("this platform has no machine identity called %q", binding)
}

// MachineBinding names the machine identity a new key file is bound to here
// ("machine-id", "none", ...), for `securestore doctor`.
func MachineBinding() string {
	b, _ := currentMachineID()
	return b
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
