// Package securestore encrypts small secrets (login tokens, API keys,
// passwords) and stores them on this device, one separate store per
// application, with the API and semantics of Expo's SecureStore
// (expo-secure-store, SDK 38) for Go programs on desktops, servers and CI
// machines.
//
// Open a store for your application, then set, get and delete items:
//
//	s, err := securestore.Open(ctx, securestore.Config{App: "com.example.notes"})
//	if err != nil { ... }
//	defer s.Close()
//	err = s.SetItem(ctx, "token", token, nil)
//	token, err := s.GetItem(ctx, "token", nil)
//	if errors.Is(err, securestore.ErrNotFound) { ... } // Expo's null
//	err = s.DeleteItem(ctx, "token", nil)
//
// Expo's SecureStore setItemAsync, getItemAsync and deleteItemAsync are SetItem,
// GetItem and DeleteItem; Go is synchronous, so the context carries
// cancellation and deadlines, and a rejected promise is a returned error
// that wraps one of the Err* sentinels (test with errors.Is). No error ever
// holds a value. AppendItem is GetItem into a buffer the caller keeps, for
// a caller that wants to wipe the value after use or read without
// allocating.
//
// # Rules
//
// Keys, services, apps and access groups are one or more of A-Z a-z 0-9
// . _ - (else ErrInvalidKey). A value is any string up to
// Config.MaxValueBytes bytes (2048 by default; ErrValueTooLarge above it,
// and the old value stays). An item's identity is (app or access group,
// service, key): an item is invisible under another service, to another
// app, and between an app's own store and its access groups. A nil return
// from SetItem or DeleteItem means the change is on disk and survives a
// crash. A Store is safe for concurrent use, and many processes may open
// the same store at once.
//
// # Protection
//
// Values and names are encrypted (XChaCha20-Poly1305) under keys derived
// from or wrapped by a random device key, which a protector (package
// protector) keeps at rest: see docs/SECURITY.md for what each protector
// defends against and docs/FORMAT.md for the bytes on disk.
//
// To test your own backend or protector against the full set of rules,
// run the conformance suite in package storetest.
package securestore
