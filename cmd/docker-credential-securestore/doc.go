// Command docker-credential-securestore is a docker credential helper that
// keeps registry credentials encrypted in a securestore store instead of
// base64 in ~/.docker/config.json.
//
// Install it and name it in ~/.docker/config.json:
//
//	go install github.com/securestore-go/securestore/cmd/docker-credential-securestore@latest
//	{ "credsStore": "securestore" }
//
// Docker then runs "docker-credential-securestore store|get|erase|list":
// store reads {"ServerURL","Username","Secret"} as JSON on standard
// input; get and erase read a server URL; get prints the JSON object;
// list prints a JSON object of server URL → username; version prints the
// version. Errors go to standard output with exit status 1, as docker
// expects; a missing credential is exactly "credentials not found in
// native keychain".
//
// Server URLs are normalised as docker-credential-helpers does: with or
// without http:// or https://, with or without a trailing slash, they name
// one registry (host, port and path), so docker logout erases what docker
// login stored. Items live in app "docker-credential", service "docker";
// package cmd/internal/credential/docker documents the keys and values.
//
// The helper never prompts and never prints a secret but in get's
// answer. When the store is locked behind a passcode it fails with a
// message that says how to unlock it. A credential longer than an item
// holds (2048 bytes once encoded) is refused, never cut short. store and
// erase return only once the change is durable.
//
// To move credentials out of ~/.docker/config.json, run
// "securestore import-docker-config ~/.docker/config.json".
package main
