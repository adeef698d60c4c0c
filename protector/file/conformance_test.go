package file_test

import (
	"context"
	"testing"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/storetest"
)

// TestConformance runs the conformance suite over the file protector, the
// one protector every machine has.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(ctx context.Context, cfg securestore.Config) (*securestore.Store, error) {
		cfg.Protector = "file"
		return securestore.Open(ctx, cfg)
	})
}
