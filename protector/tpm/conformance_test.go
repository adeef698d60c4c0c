//go:build unix

package tpm_test

import (
	"context"
	"testing"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/internal/servicetest"
	"github.com/securestore-go/securestore/storetest"
)

// TestConformanceTPM runs the whole conformance suite with every store's
// device key sealed to a real TPM 2.0. It runs on a private swtpm, not the
// one the whole test run shares: the suite tries wrong passcodes, which the
// TPM counts now that passcodes are bound to it, and would lock out the
// shared simulator (3 tries on swtpm); here the limit is raised instead.
func TestConformanceTPM(t *testing.T) {
	sim := servicetest.StartSWTPM(t)
	sim.SetDAParameters(1000, 1, 1)
	storetest.Run(t, func(ctx context.Context, cfg securestore.Config) (*securestore.Store, error) {
		cfg.Protector = "tpm"
		return securestore.Open(ctx, cfg)
	})
}
