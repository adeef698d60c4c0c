// Package bench measures securestore against the secret stores Go users
// pick instead — zalando/go-keyring and secret-tool on gnome-keyring,
// 99designs/keyring's encrypted-file backend, pass — and against the
// physical floor (one AES-GCM seal, one 4 KB write and fsync), pair by pair
// in one run on one machine. cmd/storebench is the program; run.sh starts
// the services it needs and writes docs/BENCHMARKS.md's peers section.
//
// It is a module of its own so that the library's go.mod never lists the
// peers. Nothing here asserts a time: the harness measures and reports. It
// does check every value it reads, every list it takes and, in soak mode,
// every acknowledged write, and fails when one is wrong.
package bench
