//go:build linux || freebsd || openbsd || netbsd

package secretservice

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/securestore-go/securestore/internal/wait"
	"github.com/securestore-go/securestore/protector"
)

// The freedesktop.org Secret Service API, as much of it as the
// secretservice protector uses.
const (
	ssBusName       = "org.freedesktop.secrets"
	ssServicePath   = dbus.ObjectPath("/org/freedesktop/secrets")
	ssIfService     = "org.freedesktop.Secret.Service"
	ssIfCollection  = "org.freedesktop.Secret.Collection"
	ssIfItem        = "org.freedesktop.Secret.Item"
	ssIfSession     = "org.freedesktop.Secret.Session"
	ssIfPrompt      = "org.freedesktop.Secret.Prompt"
	ssIfProperties  = "org.freedesktop.DBus.Properties"
	ssNoPrompt      = dbus.ObjectPath("/") // "no prompt needed", "no such alias"
	ssAlgorithmDH   = "dh-ietf1024-sha256-aes128-cbc-pkcs7"
	ssAlgorithmNone = "plain"
)

// ssSecret is the API's Secret struct, (oayays) on the wire.
type ssSecret struct {
	Session     dbus.ObjectPath
	Parameters  []byte // the IV of an encrypted session; empty for plain
	Value       []byte
	ContentType string
}

// ssClient is one private connection to the Secret Service, made for one
// Wrap, Unwrap or Available and closed after it. A private connection
// (rather than godbus's shared one) follows $DBUS_SESSION_BUS_ADDRESS as it
// is now, and dies with the operation's context: ctx ending closes the
// connection, which ends any call, authentication or prompt wait in
// progress. The service drops the connection's sessions and prompts when
// it closes.
type ssClient struct {
	ctx  context.Context
	conn *dbus.Conn
	svc  dbus.BusObject
}

// sessionBusAddress finds the session bus without ever starting one:
// godbus would otherwise run dbus-launch, which needs X and may hang.
func sessionBusAddress() (string, error) {
	if a := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); a != "" && a != "autolaunch:" {
		return a, nil
	}
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = fmt.Sprintf("/run/user/%d", os.Getuid())
	}
	p := filepath.Join(dir, "bus")
	if fi, err := os.Stat(p); err == nil && fi.Mode().Type() == fs.ModeSocket {
		return "unix:path=" + dbus.EscapeBusAddressValue(p), nil
	}
	return "", fmt.Errorf("secretservice protector: no D-Bus session bus ($DBUS_SESSION_BUS_ADDRESS is unset and %s is not a socket): %w",
		p, protector.ErrUnavailable)
}

func dialSecretService(ctx context.Context) (*ssClient, error) {
	addr, err := sessionBusAddress()
	if err != nil {
		return nil, err
	}
	conn, err := dbus.Connect(addr, dbus.WithContext(ctx))
	if err != nil {
		return nil, ssErr(ctx, "connect to the D-Bus session bus", err)
	}
	return &ssClient{ctx: ctx, conn: conn, svc: conn.Object(ssBusName, ssServicePath)}, nil
}

func (c *ssClient) close() { c.conn.Close() }

func (c *ssClient) obj(path dbus.ObjectPath) dbus.BusObject { return c.conn.Object(ssBusName, path) }

// call makes one method call bounded by the client's context, sending it
// again if the service fails it for a moment (see again).
func (c *ssClient) call(o dbus.BusObject, method string, args ...any) *dbus.Call {
	for attempt := 0; ; attempt++ {
		call := o.CallWithContext(c.ctx, method, 0, args...)
		if !isDBusError(call.Err, ssErrUnknownMethod) || !c.again(attempt) {
			return call
		}
	}
}

// ssErrUnknownMethod is how gnome-keyring fails a call it had no time
// for; see transientRetries.
const ssErrUnknownMethod = "org.freedesktop.DBus.Error.UnknownMethod"

// transientRetries are the pauses before asking the Secret Service again
// when it gave, for a moment, an answer that it takes back a moment
// later. With many clients at once, gnome-keyring 42 now and then
//   - fails a method that it implements with UnknownMethod ("SearchItems
//     is not implemented": its handler gave up before doing anything, so
//     sending the call again is safe; CreateItem is made idempotent by
//     its replace flag), and
//   - answers ReadAlias("default") with "no such alias" for the login
//     collection that it named before and names again after.
//
// Both were seen in CI, a few runs in a hundred. A service that really
// lacks the method or the alias still fails, 150 ms later.
var transientRetries = []time.Duration{10 * time.Millisecond, 40 * time.Millisecond, 100 * time.Millisecond}

// again waits before the next try of a call that failed for a moment,
// and reports whether to make it: not after the last retry, nor once the
// client's context has ended.
func (c *ssClient) again(attempt int) bool {
	return attempt < len(transientRetries) && wait.For(c.ctx, transientRetries[attempt]) == nil
}

func (c *ssClient) property(o dbus.BusObject, iface, name string, out any) error {
	var v dbus.Variant
	if err := c.call(o, ssIfProperties+".Get", iface, name).Store(&v); err != nil {
		return err
	}
	return dbus.Store([]any{v.Value()}, out)
}

// defaultCollection returns the collection behind the "default" alias (the
// "login" keyring of GNOME, KWallet's default wallet, ...).
func (c *ssClient) defaultCollection() (dbus.ObjectPath, error) {
	for attempt := 0; ; attempt++ {
		var coll dbus.ObjectPath
		if err := c.call(c.svc, ssIfService+".ReadAlias", "default").Store(&coll); err != nil {
			return "", ssErr(c.ctx, "read the default collection", err)
		}
		if coll != ssNoPrompt {
			return coll, nil
		}
		if !c.again(attempt) {
			if err := c.ctx.Err(); err != nil {
				return "", ssErr(c.ctx, "read the default collection", err)
			}
			return "", fmt.Errorf("secretservice protector: the Secret Service has no default collection "+
				"(create a default keyring in your keyring app): %w", protector.ErrUnavailable)
		}
	}
}

// ensureUnlocked unlocks the objects that are locked, through the service's
// prompt if it wants one. A dismissed prompt, one that cannot be shown
// (headless) and one not answered before the deadline are protector.ErrLocked.
func (c *ssClient) ensureUnlocked(objs []dbus.ObjectPath) error {
	var unlocked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	if err := c.call(c.svc, ssIfService+".Unlock", objs).Store(&unlocked, &prompt); err != nil {
		return ssErr(c.ctx, "unlock the keyring", err)
	}
	if prompt == ssNoPrompt {
		if len(unlocked) < len(objs) {
			return fmt.Errorf("secretservice protector: the keyring stays locked: %w", protector.ErrLocked)
		}
		return nil
	}
	dismissed, err := c.prompt(prompt)
	if err != nil {
		return fmt.Errorf("secretservice protector: the keyring is locked and was not unlocked: %v: %w", err, protector.ErrLocked)
	}
	if dismissed {
		return fmt.Errorf("secretservice protector: the keyring is locked and its unlock prompt was dismissed "+
			"(or could not be shown: no desktop session?); unlock it and try again: %w", protector.ErrLocked)
	}
	return nil
}

// prompt shows a prompt and waits, within the context, for its Completed
// signal. The match is added before Prompt is called so that a prompt that
// completes at once (a headless service dismisses immediately) is not
// missed.
func (c *ssClient) prompt(path dbus.ObjectPath) (dismissed bool, err error) {
	signals := make(chan *dbus.Signal, 8)
	c.conn.Signal(signals)
	defer c.conn.RemoveSignal(signals)
	match := []dbus.MatchOption{
		dbus.WithMatchObjectPath(path),
		dbus.WithMatchInterface(ssIfPrompt),
		dbus.WithMatchMember("Completed"),
	}
	if err := c.conn.AddMatchSignalContext(c.ctx, match...); err != nil {
		return false, ssErr(c.ctx, "watch the prompt", err)
	}
	if err := c.call(c.obj(path), ssIfPrompt+".Prompt", "").Err; err != nil {
		return false, ssErr(c.ctx, "show the prompt", err)
	}
	for {
		select {
		case s, ok := <-signals:
			if !ok {
				return false, ssErr(c.ctx, "wait for the prompt", dbus.ErrClosed)
			}
			if s.Path != path || s.Name != ssIfPrompt+".Completed" || len(s.Body) < 1 {
				continue
			}
			d, _ := s.Body[0].(bool)
			return d, nil
		case <-c.ctx.Done():
			return false, fmt.Errorf("no answer before the deadline: %w", c.ctx.Err())
		}
	}
}

// ssErr turns a D-Bus failure into a protector error: a locked object is
// protector.ErrLocked, anything else (no bus, no service, a timeout, a service
// error) is protector.ErrUnavailable. The service's message is kept; it never holds
// a secret of ours.
func ssErr(ctx context.Context, what string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("secretservice protector: %s: no answer before the deadline (%v): %w", what, ctxErr, protector.ErrUnavailable)
	}
	if isDBusError(err, "org.freedesktop.Secret.Error.IsLocked") {
		return fmt.Errorf("secretservice protector: %s: the keyring is locked: %w", what, protector.ErrLocked)
	}
	return fmt.Errorf("secretservice protector: %s: %v: %w", what, err, protector.ErrUnavailable)
}

// isDBusError reports whether err is the D-Bus error called name.
func isDBusError(err error, name string) bool {
	var de dbus.Error
	return errors.As(err, &de) && de.Name == name
}

// ssSession is an open Secret Service session: the object path that names
// it in calls, and the AES key of an encrypted one (nil for plain; the
// zero ssSession is a plain session).
//
// The key is derived in the background: the second half of the key
// agreement is a 1024-bit modular exponentiation, which runs while the
// caller's next call (the GetSecret or CreateItem that needs the key) is
// on the wire. encode, decode and close wait for it.
type ssSession struct {
	path    dbus.ObjectPath
	pending chan struct{} // closed once key and keyErr are set; nil: set already
	key     []byte
	keyErr  error
}

// sessionKey waits for the session's key (nil for a plain session).
func (s *ssSession) sessionKey() ([]byte, error) {
	if s.pending != nil {
		<-s.pending
	}
	return s.key, s.keyErr
}

// ssKeyPair is our half of a session's key agreement, being drawn in the
// background so that its modular exponentiation overlaps the connection's
// set-up.
type ssKeyPair struct {
	done chan struct{}
	kp   *dhKeyPair
	err  error
}

func drawKeyPair() *ssKeyPair {
	k := &ssKeyPair{done: make(chan struct{})}
	go func() {
		defer close(k.done)
		k.kp, k.err = newDHKeyPair()
	}()
	return k
}

// discard wipes the key pair once it is drawn, for a caller that will not
// open the session after all.
func (k *ssKeyPair) discard() {
	<-k.done
	if k.kp != nil {
		k.kp.wipe()
	}
}

// openSessionWith opens the encrypted session, or a plain one only when
// the service says it does not support the encrypted one, with our half
// of the key agreement already being drawn (drawKeyPair). It owns k: the
// private exponent is wiped once the session key is derived, or on any
// failure.
func (c *ssClient) openSessionWith(k *ssKeyPair) (*ssSession, error) {
	<-k.done
	if k.err != nil {
		return nil, k.err
	}
	kp := k.kp
	var out dbus.Variant
	var path dbus.ObjectPath
	err := c.call(c.svc, ssIfService+".OpenSession", ssAlgorithmDH, dbus.MakeVariant(kp.pub)).Store(&out, &path)
	if isDBusError(err, "org.freedesktop.DBus.Error.NotSupported") {
		kp.wipe()
		err = c.call(c.svc, ssIfService+".OpenSession", ssAlgorithmNone, dbus.MakeVariant("")).Store(&out, &path)
		if err != nil {
			return nil, ssErr(c.ctx, "open a session", err)
		}
		return &ssSession{path: path}, nil
	}
	if err != nil {
		kp.wipe()
		return nil, ssErr(c.ctx, "open an encrypted session", err)
	}
	peer, ok := out.Value().([]byte)
	if !ok {
		kp.wipe()
		return nil, fmt.Errorf("secretservice protector: the service answered OpenSession with a %s, not a public key: %w",
			out.Signature(), protector.ErrUnavailable)
	}
	s := &ssSession{path: path, pending: make(chan struct{})}
	go func() {
		defer close(s.pending)
		defer kp.wipe()
		key, err := kp.sessionKey(peer)
		if err != nil {
			s.keyErr = fmt.Errorf("secretservice protector: %v: %w", err, protector.ErrUnavailable)
			return
		}
		s.key = key
	}()
	return s, nil
}

// close ends the session (best effort: the service also ends it with the
// connection) and wipes its key. It waits for the answer, although the
// connection closes next: in the one benchmark run of a version that sent
// Close and hung up at once, gnome-keyring 42.1 aborted on a call from a
// client it had already dropped. A round trip is cheap insurance.
func (s *ssSession) close(c *ssClient) {
	c.call(c.obj(s.path), ssIfSession+".Close")
	s.sessionKey()
	clear(s.key)
}

// encode makes the Secret that carries plaintext in this session.
func (s *ssSession) encode(plaintext []byte) (ssSecret, error) {
	key, err := s.sessionKey()
	if err != nil {
		return ssSecret{}, err
	}
	sec := ssSecret{Session: s.path, ContentType: "application/octet-stream"}
	if key == nil {
		sec.Parameters, sec.Value = []byte{}, plaintext
		return sec, nil
	}
	iv, ct, err := sessionEncrypt(key, plaintext)
	if err != nil {
		return ssSecret{}, err
	}
	sec.Parameters, sec.Value = iv, ct
	return sec, nil
}

// decode recovers the plaintext of a Secret received in this session.
// The session's own failure (a bad key agreement) is returned as it is,
// so that it is not mistaken for a secret that does not decrypt.
func (s *ssSession) decode(sec ssSecret) ([]byte, error) {
	key, err := s.sessionKey()
	if err != nil {
		return nil, err
	}
	if key == nil {
		// A copy: the caller wipes the received bytes.
		return bytes.Clone(sec.Value), nil
	}
	return sessionDecrypt(key, sec.Parameters, sec.Value)
}

// ssStarted is a call sent without waiting for its reply, with what it
// takes to send it again.
type ssStarted struct {
	o      dbus.BusObject
	method string
	args   []any
	call   *dbus.Call
}

// start sends a call without waiting for its reply, so that calls that do
// not depend on each other share a round trip; the reply is read with
// reply. The client's context bounds it like any call.
func (c *ssClient) start(o dbus.BusObject, method string, args ...any) *ssStarted {
	return &ssStarted{o, method, args, o.GoWithContext(c.ctx, method, 0, nil, args...)}
}

// reply waits for a started call's reply; one that the service failed for
// a moment is sent again, as call does.
func (c *ssClient) reply(s *ssStarted) *dbus.Call {
	call := <-s.call.Done
	if isDBusError(call.Err, ssErrUnknownMethod) && c.again(0) {
		return c.call(s.o, s.method, s.args...)
	}
	return call
}
