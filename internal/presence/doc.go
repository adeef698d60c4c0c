// Package presence keeps the proofs that the user is present, for items set
// with requireAuthentication (Expo's SecureStore SDK 43+): such an item is
// read only after the user entered the passcode, or within a reuse window
// after they did, as LAContext's touchIDAuthenticationAllowableReuseDuration
// allows on iOS.
//
// A Ledger records a Proof when the user proves presence (Record) and
// answers whether one is still fresh for a store or item (Fresh). It is
// pure bookkeeping under an injected clock: asking the user is
// internal/pinentry's, and holding the key that exists only while a proof
// is fresh is the agent's, which uses Expiry to know when to drop it.
//
//	l := presence.NewLedger(nil) // time.Now
//	l.Record(presence.Scope{Store: ref, Item: key})
//	if l.Fresh(presence.Scope{Store: ref, Item: key}, window) { ... no prompt ... }
//	l.Forget(ref) // the store locked: every proof for it is gone
//
// A proof for a whole store (Item "") covers each of its items. A window
// of 0 means no reuse: every read asks. Windows longer than MaxWindow are
// cut to it. Freshness is judged on both the monotonic and the wall clock,
// and a clock that went backwards makes a proof stale: a suspended machine
// (whose monotonic clock stands still) or a reset clock never extends a
// window.
package presence
