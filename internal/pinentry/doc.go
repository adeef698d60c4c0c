// Package pinentry asks the user for a passcode through GnuPG's pinentry
// program (pinentry-tty, pinentry-curses, pinentry-gnome3, pinentry-qt,
// pinentry-mac...), the prompt that gpg-agent and ssh tools use, so that a
// background process such as the securestore agent can reach the user on
// their terminal or desktop.
//
// Use a Pinentry (its zero value finds the program itself) and call
// AskPasscode with the text to show:
//
//	p := pinentry.Pinentry{TTY: "/dev/pts/3"}
//	pass, err := p.AskPasscode(ctx, pinentry.Prompt{
//		Description: "Unlock the store of example.app",
//		Prompt:      "Passcode:",
//	})
//	if err != nil { ... } // ErrCanceled, ErrTimeout, ErrNoPinentry, *ProtocolError...
//	defer pass.Free()
//
// The program is Pinentry.Program, else $SECURESTORE_PINENTRY, else
// "pinentry" on $PATH. It speaks the Assuan protocol on its stdin and
// stdout (libassuan's "Implementation" chapter): a greeting OK, then
// OPTION, SETTITLE, SETDESC, SETPROMPT, SETERROR, SETTIMEOUT and GETPIN,
// whose answer is the passcode in "D" lines with %XX escapes, then BYE.
//
// What the package guarantees:
//   - The passcode is read into, and decoded straight into, secmem buffers
//     (kept out of swap and core dumps, wiped when freed): it never becomes
//     a Go string, and the read buffer is wiped line by line. It is never
//     in argv or the environment of the program.
//   - Everything runs under the caller's context: the program is told the
//     remaining time (SETTIMEOUT, so that it restores the terminal itself),
//     and when the context ends it is interrupted, then killed with its
//     process group; AskPasscode never outlives ctx by more than a short
//     grace period.
//   - A hostile or broken program (malformed lines, lines over the
//     protocol's 1000 bytes, an endless passcode, a death mid-reply) gives
//     a *ProtocolError, never a hang or a partial passcode.
//
// Available tells whether a prompt can reach the user at all (a program,
// and a terminal or a display), for CanUseAuthentication. TTYName gives
// the terminal a client runs on, which it sends to the agent as the place
// to prompt (what gpg's users put in $GPG_TTY), and SessionEnv the
// display variables it sends.
package pinentry
