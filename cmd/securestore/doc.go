// Command securestore keeps small secrets (tokens, API keys, passwords)
// encrypted on this device, in a separate store for each app, with the
// securestore library (Expo's SecureStore for Go).
//
// Usage:
//
//	securestore [flags] set KEY       store the value read from standard input
//	securestore [flags] get KEY       print the value, followed by a newline
//	securestore [flags] delete KEY    delete the item (absent is not an error)
//	securestore [flags] has KEY       exit 0 if the item exists, 1 if not
//	securestore [flags] list          print the keys of the service, sorted
//	securestore [flags] passcode set|change|remove
//	                                  set, change or remove the app's passcode
//	securestore [flags] export FILE   write every item to FILE, encrypted
//	                                  with a passphrase ("-": stdout)
//	securestore [flags] import FILE   restore an export ("-": stdin)
//	securestore [flags] doctor        how the store is protected, its files, item counts;
//	                                  --check also reads and authenticates every record
//	securestore [flags] repair        recover a store whose write-ahead log is damaged
//	securestore [flags] migrate --to NAME
//	                                  move the device key to another protector
//	securestore help [COMMAND]        show help; so does --help on any command
//	securestore version               the module version (also --version)
//	securestore completion bash|zsh|fish
//	                                  a shell completion script
//	securestore man DIR               write the manual pages into DIR
//
//	securestore import-git-credentials FILE   move ~/.git-credentials into the
//	                                          git credential helper's store
//	securestore import-docker-config FILE     move the credentials of
//	                                          ~/.docker/config.json into the docker
//	                                          credential helper's store
//	securestore run -- CMD [ARG...]           run CMD with the items that its
//	                                          environment refers to
//	                                          (securestore://SERVICE/KEY)
//	securestore import-keyring SERVICE        move go-keyring's, keytar's and
//	                                          secret-tool's items out of the
//	                                          Secret Service
//	securestore import-pass                   copy a pass store's entries in
//	securestore sync create|join|approve|revoke|status|run
//	                                          sync --synchronizable items through
//	                                          etcd: runs the program
//	                                          securestore-sync (cmd/securestore-sync)
//
// For example:
//
//	echo "$TOKEN" | securestore --app com.example.deploy set token
//	securestore get token --app com.example.deploy
//	securestore --app com.example.deploy list
//
// The value is read from standard input with one trailing newline ("\n" or
// "\r\n") removed, or typed at a prompt without echo when standard input is
// a terminal. It is never taken from the command line, where other users
// could see it in the process list, and it never appears in a message. get
// -n prints the value without the newline.
//
// Once the app has a passcode, every class but always and
// always-this-device-only needs it: get and set of such an item ask for the
// passcode, unlock the store for that one command, and lock it again;
// export and import unlock first. Passcodes, and export passphrases, are
// typed at the terminal (/dev/tty, or CONIN$ on Windows) without echo, or
// read by scripts from the file descriptor that --passcode-fd (or
// --passphrase-fd) names, one per line in the order the command asks:
//
//	securestore passcode set --passcode-fd 3 3<new-passcode
//	securestore get token --passcode-fd 3 3<passcode
//	securestore export backup.age --passcode-fd 3 --passphrase-fd 4 3<passcode 4<passphrase
//
// They never come from the command line or the environment. On a terminal,
// a long export or import shows its progress on standard error.
//
// Flags go before or after the command; "--" ends them:
//
//	--app NAME          the app (default $SECURESTORE_APP, else "default")
//	--dir DIR           the store directory (default $SECURESTORE_DIR)
//	--service NAME      the items' service (default "app")
//	--group NAME        use the shared access group NAME (the command entitles
//	                    itself to it) instead of the app's own store
//	--accessible CLASS  set only: when-unlocked (default), after-first-unlock,
//	                    always, when-unlocked-this-device-only,
//	                    when-passcode-set-this-device-only,
//	                    after-first-unlock-this-device-only,
//	                    always-this-device-only (the always ones need no
//	                    passcode; the this-device-only ones are skipped by
//	                    an import on another device)
//	--protector NAME    "auto", or a protector doctor lists: "file", "dpapi",
//	                    "keychain", ... (default $SECURESTORE_PROTECTOR)
//	--passcode-fd N     get, set, passcode, export, import: read passcodes
//	                    from file descriptor N instead of the terminal
//	--passphrase-fd N   export, import: read the passphrase from N
//	--force             export: replace FILE if it exists
//
// doctor --json, list --json and has --json print JSON in the schema of
// docs/CLI-JSON.md. migrate never touches items, and a crash in the
// middle of it loses nothing.
//
// get, has, list, export and doctor only read: they create no directory,
// store file or key for an app without a store (get, list and export say
// so with exit status 1; has is silent, like grep -q). An empty --app,
// --service, --group or --dir is refused; a KEY is at most 1024 bytes and
// --app and --group 200. set stores values up to 2048 bytes, Expo's limit,
// unless --max-value-bytes or $SECURESTORE_MAX_VALUE_BYTES says more.
// The CLI prints no colour, so NO_COLOR has nothing to turn off.
//
// Exit status (exit.go): 0 success; 1 get found no item, or has found
// none, or the app has no store (get, list, export), or migrate found no
// store; 2 bad usage or input (unknown command
// or flag, missing or extra argument, invalid name, unknown class or
// protector, value too large, an import file with entries that are not
// credentials, a passcode or passphrase empty, mistyped or with nowhere to
// ask for it, an export FILE that exists); 3 the item is locked (no
// terminal or --passcode-fd to unlock with) or needs a passcode that is
// not set; 4 any other failure (permissions, corrupt data, a damaged
// export, I/O, an unavailable protector; doctor found a problem); 5 a
// wrong passcode, or a wrong passphrase for an export.
//
// # Code
//
// main.go runs a command line; commands.go holds the ordered list of
// commands and what they share (argument counts, usage lines); each
// command is in its own file, command_NAME.go: its help, its own flags
// and its run function, with its tests in testdata/script/NAME.txtar
// (the cross-cutting ones, such as usage, flags and terminal, have their
// own). flags.go parses the interspersed global flags; value.go reads
// set's value; progress.go is export's and import's progress line;
// secret.go reads passcodes and passphrases (from the terminal, tty*.go,
// or a file descriptor); unlock.go unlocks a locked store for one
// command; credentials_import.go is what the two credential import
// commands share (the credential formats are in cmd/internal/credential);
// store.go turns the flags into the library's Config and Options; exit.go
// turns errors into messages and exit status; help.go prints the help.
// main_test.go adds the programs withfd (secrets on file descriptors) and
// ttytype (typing at a real pseudo-terminal) that the testscripts use.
package main
