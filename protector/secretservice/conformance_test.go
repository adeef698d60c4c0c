//go:build linux || freebsd || openbsd || netbsd

package secretservice_test

import (
	"context"
	"testing"

	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/internal/servicetest"
	"github.com/securestore-go/securestore/storetest"
)

// TestConformanceSecretService runs the whole conformance suite with every
// store's device key kept by a real Secret Service (gnome-keyring, started
// by .ci/with-secret-service).
func TestConformanceSecretService(t *testing.T) {
	servicetest.SharedSecretService(t)
	storetest.Run(t, func(ctx context.Context, cfg securestore.Config) (*securestore.Store, error) {
		cfg.Protector = "secretservice"
		return securestore.Open(ctx, cfg)
	})
}
