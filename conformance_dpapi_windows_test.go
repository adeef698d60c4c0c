package securestore_test

import (
	"context"
	"testing"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/storetest"
)

// TestConformanceDPAPI runs the conformance suite over the dpapi
// protector, with the real DPAPI (on Windows, or under Wine in CI).
func TestConformanceDPAPI(t *testing.T) {
	storetest.Run(t, func(ctx context.Context, cfg securestore.Config) (*securestore.Store, error) {
		cfg.Protector = "dpapi"
		return securestore.Open(ctx, cfg)
	})
}
