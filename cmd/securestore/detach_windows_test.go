package main

import "golang.org/x/sys/windows"

// detachFromTerminal detaches the process from its console, so CONIN$
// cannot be opened. The standard streams, pipes from testscript, stay.
func detachFromTerminal() {
	windows.NewLazySystemDLL("kernel32.dll").NewProc("FreeConsole").Call()
}
