//go:build linux || freebsd || openbsd || netbsd

package main

import (
	"context"

	"github.com/securestore-go/securestore/protector/secretservice"
)

// secretServiceSource is import-keyring's source: the Secret Service's
// default collection.
type secretServiceSource struct{ items *secretservice.Items }

// openKeyringSource connects to the Secret Service; ctx bounds every call.
func openKeyringSource(ctx context.Context) (keyringSource, error) {
	items, err := secretservice.OpenItems(ctx)
	if err != nil {
		return nil, err
	}
	return secretServiceSource{items}, nil
}

func (s secretServiceSource) search(attrs map[string]string) ([]keyringItem, error) {
	found, err := s.items.Search(attrs)
	if err != nil {
		return nil, err
	}
	items := make([]keyringItem, 0, len(found))
	for _, f := range found {
		items = append(items, keyringItem{id: f.Path, attributes: f.Attributes})
	}
	return items, nil
}

func (s secretServiceSource) secret(item keyringItem) ([]byte, error) {
	return s.items.Secret(secretservice.Item{Path: item.id})
}

func (s secretServiceSource) remove(item keyringItem) error {
	return s.items.Delete(secretservice.Item{Path: item.id})
}

func (s secretServiceSource) close() { s.items.Close() }
