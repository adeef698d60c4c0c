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
// device key sealed to a real TPM 2.0 (swtpm, started by .ci/with-swtpm).
func TestConformanceTPM(t *testing.T) {
	servicetest.SharedTPM(t)
	storetest.Run(t, func(ctx context.Context, cfg securestore.Config) (*securestore.Store, error) {
		cfg.Protector = "tpm"
		return securestore.Open(ctx, cfg)
	})
}
