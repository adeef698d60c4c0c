//go:build unix

package servicetest

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/google/go-tpm/tpm2"
)

// The TPM's dictionary-attack protection on a private simulator: tests
// that try wrong passcodes set its limits, read its failure count and
// reset its lockout. The commands go over the simulator's TCP command
// channel (the TCG reference simulator's protocol, which swtpm speaks:
// u32 TPM_SEND_COMMAND ‖ u8 locality ‖ u32 length ‖ command, answered by
// u32 length ‖ response ‖ u32 0), each on a connection of its own, closed
// after the answer: swtpm serves one connection at a time, and the code
// under test needs its turn. go-tpm v0.9.8 has no command structs for
// TPM2_DictionaryAttackParameters or TPM2_DictionaryAttackLockReset, so
// those are raw bytes (TPM 2.0 Part 3, 25.2 and 25.3), authorized by the
// lockout hierarchy's empty password.

// simConn is a go-tpm transport to the simulator at addr.
type simConn struct{ addr string }

func (s simConn) Send(cmd []byte) ([]byte, error) {
	c, err := net.DialTimeout("tcp", s.addr, 10*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
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

// DAFailures returns the TPM's count of failed authorizations
// (TPM_PT_LOCKOUT_COUNTER).
func (s *SWTPM) DAFailures() uint32 {
	s.t.Helper()
	rsp, err := tpm2.GetCapability{
		Capability:    tpm2.TPMCapTPMProperties,
		Property:      uint32(tpm2.TPMPTLockoutCounter),
		PropertyCount: 1,
	}.Execute(simConn{s.Addr})
	if err != nil {
		s.t.Fatalf("TPM2_GetCapability: %v", err)
	}
	props, err := rsp.CapabilityData.Data.TPMProperties()
	if err != nil || len(props.TPMProperty) == 0 || props.TPMProperty[0].Property != tpm2.TPMPTLockoutCounter {
		s.t.Fatalf("TPM2_GetCapability: %+v, %v", props, err)
	}
	return props.TPMProperty[0].Value
}

// SetDAParameters runs TPM2_DictionaryAttackParameters: after maxTries
// failures the TPM locks out; it forgets one failure per recovery seconds.
func (s *SWTPM) SetDAParameters(maxTries, recovery, lockoutRecovery uint32) {
	s.t.Helper()
	var p [12]byte
	binary.BigEndian.PutUint32(p[0:], maxTries)
	binary.BigEndian.PutUint32(p[4:], recovery)
	binary.BigEndian.PutUint32(p[8:], lockoutRecovery)
	s.lockoutCommand(tpm2.TPMCCDictionaryAttackParameters, p[:])
}

// ResetDALockout runs TPM2_DictionaryAttackLockReset (what
// `tpm2_dictionarylockout --clear-lockout` sends): the failure count goes
// to zero and a lockout ends at once.
func (s *SWTPM) ResetDALockout() {
	s.t.Helper()
	s.lockoutCommand(tpm2.TPMCCDictionaryAttackLockReset, nil)
}

func (s *SWTPM) lockoutCommand(cc tpm2.TPMCC, params []byte) {
	s.t.Helper()
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
	rsp, err := simConn{s.Addr}.Send(cmd)
	if err == nil && len(rsp) < 10 {
		err = fmt.Errorf("a %d-byte response", len(rsp))
	}
	if err != nil {
		s.t.Fatalf("command %v: %v", cc, err)
	}
	if rc := tpm2.TPMRC(binary.BigEndian.Uint32(rsp[6:])); rc != tpm2.TPMRCSuccess {
		s.t.Fatalf("command %v: %v", cc, rc)
	}
}
