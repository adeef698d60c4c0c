// Command git-credential-securestore is a git credential helper that keeps
// credentials encrypted in a securestore store instead of in plain text.
//
// Install it and tell git to use it:
//
//	go install github.com/securestore-go/securestore/cmd/git-credential-securestore@latest
//	git config --global credential.helper securestore
//
// Git then runs "git-credential-securestore get", "store" or "erase" with
// the credential on standard input, in git's key=value format. Items live
// in the store of app "git-credential", service "git"; another app keeps
// another set of credentials:
//
//	git config --global credential.https://work.example.com.helper 'securestore --app work'
//
// The semantics are those of git's own credential-store (matching on
// protocol, host with port, path and username; several users per host;
// erase of what matches), with password_expiry_utc and
// oauth_refresh_token kept; package cmd/internal/credential/git documents
// them, and the item keys and values.
//
// The helper never prompts and never writes a secret to standard error.
// When the store is locked behind a passcode it fails with a message that
// says how to unlock it, and git goes on to its next helper or its own
// prompt. A credential longer than an item holds (2048 bytes once
// encoded) is refused with a message, never cut short. "store" and "erase"
// return only once the change is durable.
//
// To move credentials from ~/.git-credentials, run
// "securestore import-git-credentials ~/.git-credentials".
package main
