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
//	securestore help [COMMAND]        show help; so does --help on any command
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
//	                    always-this-device-only
//	--protector NAME    "file" or "auto" (default $SECURESTORE_PROTECTOR)
//
// Exit status (exit.go): 0 success; 1 get found no item, or has found
// none; 2 bad usage or input (unknown command or flag, missing or extra
// argument, invalid name, unknown class or protector, value too large); 3
// the item is locked or needs a passcode; 4 any other failure (permissions,
// corrupt data, I/O); 5 a wrong passcode.
//
// # Code
//
// main.go runs a command line; flags.go parses the interspersed flags;
// commands.go holds the commands, value.go reads set's value, store.go
// turns the flags into the library's Config and Options, exit.go turns
// errors into messages and exit status, and help.go prints the help. The
// tests are testscript files in testdata/script.
package main
