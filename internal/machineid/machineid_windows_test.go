package machineid

import (
	"bytes"
	"testing"
)

// TestMachineGUID: the file protector binds its key file to the registry's
// MachineGuid, which Windows (and Wine's wineboot) writes once per
// installation. A key file bound to "none" would open anywhere.
func TestMachineGUID(t *testing.T) {
	binding, id := Current(Platform())
	if binding != "machine-guid" || len(id) == 0 {
		t.Fatalf("machine identity = %q (%d bytes), want machine-guid", binding, len(id))
	}
	again, err := Read(Platform(), binding)
	if err != nil || !bytes.Equal(again, id) {
		t.Fatalf("reading machine-guid again = %q, %v", again, err)
	}
}
