package credential

import (
	"context"

	"github.com/securestore-go/securestore"
)

// WithStore opens the store that cfg names, calls use with it and closes
// it. It returns use's error, else Close's: after a successful set or
// delete the change is already durable, but a failing Close still means
// something is wrong. The two helpers and the securestore CLI all open
// their stores this way.
func WithStore(ctx context.Context, cfg securestore.Config, use func(*securestore.Store) error) error {
	s, err := securestore.Open(ctx, cfg)
	if err != nil {
		return err
	}
	err = use(s)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}
