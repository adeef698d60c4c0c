module github.com/securestore-go/securestore/oauth2store

go 1.26.0

toolchain go1.26.8

// Built and tested against the library in this repository's working tree.
// A module of its own so that golang.org/x/oauth2 (and the module graph it
// brings, cloud.google.com/go/compute/metadata) stays out of the library's.
replace github.com/securestore-go/securestore => ../

require (
	github.com/securestore-go/securestore v0.0.0-00010101000000-000000000000
	golang.org/x/oauth2 v0.38.0
	golang.org/x/sys v0.50.0
)

require (
	filippo.io/age v1.3.2 // indirect
	filippo.io/hpke v0.4.0 // indirect
	github.com/dustin/go-humanize v1.1.0 // indirect
	github.com/ebitengine/purego v0.11.3 // indirect
	github.com/godbus/dbus/v5 v5.2.4 // indirect
	github.com/google/go-tpm v0.9.8 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/mattn/go-isatty v0.0.24 // indirect
	github.com/ncruces/go-strftime v1.1.0 // indirect
	github.com/remyoudompheng/bigfft v0.0.0-20230129092748-24d4a6f8daec // indirect
	golang.org/x/crypto v0.59.0 // indirect
	modernc.org/libc v1.80.1 // indirect
	modernc.org/mathutil v1.7.1 // indirect
	modernc.org/memory v1.12.1 // indirect
	modernc.org/sqlite v1.62.0 // indirect
)
