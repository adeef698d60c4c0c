//go:build unix

package securestore_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/internal/servicetest"
)

// TestTPMOutage: a store sealed to a TPM (a private swtpm) with the TPM
// stopped or hung does not open (ErrUnavailable, within the deadline),
// while a Store opened before keeps reading and writing; when the TPM is
// back, every item reads. A damaged or deleted blob is a clear error and,
// put back, loses nothing.
func TestTPMOutage(t *testing.T) {
	sim := servicetest.StartSWTPM(t)
	o := &outageStore{t: t, cfg: securestore.Config{App: "com.example.outage", Dir: filepath.Join(t.TempDir(), "store"), Protector: "tpm"}}
	st, err := o.open(30 * time.Second)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer st.Close()
	o.fill(st)

	o.testStopAndHang(st, sim, "swtpm")
	o.testBlobDamage()
}
