package securestore

import (
	"context"

	"github.com/securestore-go/securestore/internal/exportfile"
	"github.com/securestore-go/securestore/internal/passcode"
	"github.com/securestore-go/securestore/internal/testonly"
)

// kdfCosts are what a store's slow key derivations cost: a guesser pays
// them per guess. Each Store holds its own, so that tests can make theirs
// cheap without touching any other store or a benchmark beside them.
type kdfCosts struct {
	passcode            passcode.Params // Argon2id for a new passcode
	exportWorkFactor    int             // scrypt log2(N) for an export's passphrase
	importMaxWorkFactor int             // the largest scrypt log2(N) an import accepts
}

var fullCosts = kdfCosts{
	passcode:            passcode.Default,
	exportWorkFactor:    exportfile.DefaultWorkFactor,
	importMaxWorkFactor: exportfile.DefaultMaxWorkFactor,
}

// testOnlyCheapCosts keep test suites that set many passcodes and export
// many times fast; what they test does not depend on the cost.
var testOnlyCheapCosts = kdfCosts{
	passcode:            passcode.TestOnlyCheap(),
	exportWorkFactor:    10,
	importMaxWorkFactor: 10,
}

// kdfCostsFor returns the costs of a store opened with ctx: full, unless a
// test asked for cheap ones (internal/testonly).
func kdfCostsFor(ctx context.Context) kdfCosts {
	if testonly.CheapKDFs(ctx) {
		return testOnlyCheapCosts
	}
	return fullCosts
}
