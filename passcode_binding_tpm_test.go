//go:build unix

package securestore_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-tpm/tpm2"
	"github.com/securestore-go/securestore"
	"github.com/securestore-go/securestore/internal/servicetest"
	"github.com/securestore-go/securestore/internal/testonly"
	"github.com/securestore-go/securestore/protector"
)

// TestTPMPasscodeBinding: a passcode set on a tpm store is bound to the
// TPM. On a private swtpm (wrong passcodes count towards its lockout, which
// must not reach the simulator the other tests share):
//   - every wrong Unlock, on the store or on a copy of its files on the same
//     machine, raises the TPM's own failure counter;
//   - after the TPM's maxTries failures, the right passcode gets ErrLocked
//     wrapping protector.ErrLockedOut, and the store stays locked;
//   - after the lockout is reset (TPM2_DictionaryAttackLockReset, what
//     `tpm2_dictionarylockout --clear-lockout` sends), the right passcode
//     unlocks the store and its copy;
//   - with the TPM gone, even a process that holds the device key cannot
//     tell a right passcode from a wrong one.
func TestTPMPasscodeBinding(t *testing.T) {
	sim := servicetest.StartSWTPM(t)
	const maxTries = 3
	daSetParameters(t, sim.Addr, maxTries, 3600, 3600)
	ctx := testonly.WithCheapKDFs(servicetest.Ctx(t, 2*time.Minute))
	dir := filepath.Join(t.TempDir(), "store")
	open := func(dir string) *securestore.Store {
		t.Helper()
		s, err := securestore.Open(ctx, securestore.Config{App: "com.example.tpmpin", Dir: dir, Protector: "tpm"})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	wu := &securestore.Options{KeychainAccessible: securestore.WhenUnlocked}
	s := open(dir)
	if err := s.SetItem(ctx, "pin-protected", "v", wu); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPasscode(ctx, nil, []byte("1234")); err != nil {
		t.Fatalf("SetPasscode on a tpm store: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The backup thief's copy, on the same machine.
	copyDir := filepath.Join(t.TempDir(), "copy")
	copyFiles(t, dir, copyDir)
	s, c := open(dir), open(copyDir)
	if n := daFailures(t, sim.Addr); n != 0 {
		t.Fatalf("the TPM counts %d failures before any guess", n)
	}

	guess := func(st *securestore.Store, pc string, wantFailures uint32) {
		t.Helper()
		if err := st.Unlock(ctx, []byte(pc)); !errors.Is(err, securestore.ErrWrongPasscode) {
			t.Fatalf("Unlock(%s) = %v; want ErrWrongPasscode", pc, err)
		}
		if n := daFailures(t, sim.Addr); n != wantFailures {
			t.Fatalf("after a wrong passcode the TPM counts %d failures; want %d", n, wantFailures)
		}
	}
	guess(s, "0000", 1)
	guess(c, "1111", 2) // a guess on the copy is the TPM's to check, and to count

	guess(s, "2222", maxTries)
	for _, st := range []*securestore.Store{c, s} {
		err := st.Unlock(ctx, []byte("1234"))
		if !errors.Is(err, securestore.ErrLocked) || !errors.Is(err, protector.ErrLockedOut) || errors.Is(err, securestore.ErrWrongPasscode) {
			t.Fatalf("the right passcode in the TPM's lockout = %v; want ErrLocked wrapping protector.ErrLockedOut", err)
		}
		if !st.Locked() {
			t.Fatal("the store unlocked during the TPM's lockout")
		}
		t.Logf("in lockout, Unlock says: %v", err)
	}

	daLockReset(t, sim.Addr)
	if n := daFailures(t, sim.Addr); n != 0 {
		t.Fatalf("after the lockout's reset the TPM counts %d failures", n)
	}
	for _, st := range []*securestore.Store{s, c} {
		if err := st.Unlock(ctx, []byte("1234")); err != nil {
			t.Fatalf("the right passcode after the lockout's reset: %v", err)
		}
		if v, err := st.GetItem(ctx, "pin-protected", wu); err != nil || v != "v" {
			t.Fatalf("GetItem after Unlock = %q, %v", v, err)
		}
	}

	// Without the TPM, a right and a wrong passcode fail alike: the device
	// key, which this process holds, is not enough to check a guess.
	c.Lock()
	sim.Stop()
	for _, pc := range []string{"1234", "5555"} {
		err := c.Unlock(ctx, []byte(pc))
		if !errors.Is(err, protector.ErrUnavailable) || errors.Is(err, securestore.ErrWrongPasscode) {
			t.Fatalf("Unlock(%s) with the TPM stopped = %v; want protector.ErrUnavailable and no verdict", pc, err)
		}
	}
	sim.Start()
	// A TPM that was not shut down in order counts that as one more
	// failure when it starts (TPM 2.0 Part 1, dictionary attack
	// protection); reset it rather than depend on it.
	daLockReset(t, sim.Addr)
	if err := c.Unlock(ctx, []byte("1234")); err != nil {
		t.Fatalf("the right passcode with the TPM back: %v", err)
	}
}

func copyFiles(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// The dictionary-attack commands, sent over the simulator's TCP command
// channel (the protocol of the TCG reference simulator, which swtpm speaks:
// u32 TPM_SEND_COMMAND ‖ u8 locality ‖ u32 length ‖ command, answered by
// u32 length ‖ response ‖ u32 0). go-tpm v0.9.8 has no command structs for
// TPM2_DictionaryAttackParameters or ...LockReset, so those are raw bytes
// (TPM 2.0 Part 3, 25.2 and 25.3), authorized by the lockout hierarchy's
// empty password.

// simConn sends each command on a connection of its own, closed after
// the answer: swtpm serves one connection at a time, and the store's
// protector needs its turn.
type simConn struct{ addr string }

func dialSim(_ *testing.T, addr string) simConn { return simConn{addr} }

func (s simConn) Send(cmd []byte) ([]byte, error) {
	c, err := net.DialTimeout("tcp", s.addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return simSend(c, cmd)
}

func simSend(c net.Conn, cmd []byte) ([]byte, error) {
	if err := c.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		return nil, err
	}
	msg := binary.BigEndian.AppendUint32(nil, 8) // TPM_SEND_COMMAND
	msg = append(msg, 0)
	msg = binary.BigEndian.AppendUint32(msg, uint32(len(cmd)))
	if _, err := c.Write(append(msg, cmd...)); err != nil {
		return nil, err
	}
	var n [4]byte
	if _, err := io.ReadFull(c, n[:]); err != nil {
		return nil, err
	}
	rsp := make([]byte, binary.BigEndian.Uint32(n[:]))
	if _, err := io.ReadFull(c, rsp); err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(c, n[:]); err != nil {
		return nil, err
	}
	return rsp, nil
}

// daFailures is the TPM's count of failed authorizations (TPM_PT_LOCKOUT_COUNTER).
func daFailures(t *testing.T, addr string) uint32 {
	t.Helper()
	rsp, err := tpm2.GetCapability{
		Capability:    tpm2.TPMCapTPMProperties,
		Property:      uint32(tpm2.TPMPTLockoutCounter),
		PropertyCount: 1,
	}.Execute(dialSim(t, addr))
	if err != nil {
		t.Fatalf("TPM2_GetCapability: %v", err)
	}
	props, err := rsp.CapabilityData.Data.TPMProperties()
	if err != nil || len(props.TPMProperty) == 0 || props.TPMProperty[0].Property != tpm2.TPMPTLockoutCounter {
		t.Fatalf("TPM2_GetCapability: %+v, %v", props, err)
	}
	return props.TPMProperty[0].Value
}

func daSetParameters(t *testing.T, addr string, maxTries, recoverySeconds, lockoutRecoverySeconds uint32) {
	t.Helper()
	var p [12]byte
	binary.BigEndian.PutUint32(p[0:], maxTries)
	binary.BigEndian.PutUint32(p[4:], recoverySeconds)
	binary.BigEndian.PutUint32(p[8:], lockoutRecoverySeconds)
	daLockoutCommand(t, addr, tpm2.TPMCCDictionaryAttackParameters, p[:])
}

func daLockReset(t *testing.T, addr string) {
	t.Helper()
	daLockoutCommand(t, addr, tpm2.TPMCCDictionaryAttackLockReset, nil)
}

func daLockoutCommand(t *testing.T, addr string, cc tpm2.TPMCC, params []byte) {
	t.Helper()
	cmd := binary.BigEndian.AppendUint16(nil, uint16(tpm2.TPMSTSessions))
	cmd = binary.BigEndian.AppendUint32(cmd, 0) // size, below
	cmd = binary.BigEndian.AppendUint32(cmd, uint32(cc))
	cmd = binary.BigEndian.AppendUint32(cmd, uint32(tpm2.TPMRHLockout))
	// Authorization area: size, TPM_RS_PW, empty nonce, continueSession, empty password.
	cmd = binary.BigEndian.AppendUint32(cmd, 9)
	cmd = binary.BigEndian.AppendUint32(cmd, uint32(tpm2.TPMRSPW))
	cmd = binary.BigEndian.AppendUint16(cmd, 0)
	cmd = append(cmd, 1)
	cmd = binary.BigEndian.AppendUint16(cmd, 0)
	cmd = append(cmd, params...)
	binary.BigEndian.PutUint32(cmd[2:], uint32(len(cmd)))
	rsp, err := dialSim(t, addr).Send(cmd)
	if err == nil && len(rsp) < 10 {
		err = fmt.Errorf("a %d-byte response", len(rsp))
	}
	if err != nil {
		t.Fatalf("command %v: %v", cc, err)
	}
	if rc := tpm2.TPMRC(binary.BigEndian.Uint32(rsp[6:])); rc != tpm2.TPMRCSuccess {
		t.Fatalf("command %v: %v", cc, rc)
	}
}
