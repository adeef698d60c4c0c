//go:build unix

package tpm

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/google/go-tpm/tpm2"
)

// go-tpm v0.9.8 has no command structs for the dictionary-attack
// commands, so the tests send them as raw bytes (TPM 2.0 Part 3, 25.2 and
// 25.3), authorized by the lockout hierarchy with its (empty) password.

// daState is the TPM's dictionary-attack state, from TPM2_GetCapability.
type daState struct {
	failed, maxTries, recoveryTime, lockoutRecovery uint32
}

func readDAState(t testing.TB, ctx context.Context) daState {
	t.Helper()
	tc, _, err := openTPM(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	rsp, err := tpm2.GetCapability{
		Capability:    tpm2.TPMCapTPMProperties,
		Property:      uint32(tpm2.TPMPTLockoutCounter),
		PropertyCount: 4,
	}.Execute(tc)
	if err != nil {
		t.Fatalf("TPM2_GetCapability: %v", err)
	}
	props, err := rsp.CapabilityData.Data.TPMProperties()
	if err != nil {
		t.Fatal(err)
	}
	var s daState
	for _, p := range props.TPMProperty {
		switch p.Property {
		case tpm2.TPMPTLockoutCounter:
			s.failed = p.Value
		case tpm2.TPMPTMaxAuthFail:
			s.maxTries = p.Value
		case tpm2.TPMPTLockoutInterval:
			s.recoveryTime = p.Value
		case tpm2.TPMPTLockoutRecovery:
			s.lockoutRecovery = p.Value
		}
	}
	return s
}

// setDAParameters runs TPM2_DictionaryAttackParameters.
func setDAParameters(t testing.TB, ctx context.Context, s daState) {
	t.Helper()
	var params [12]byte
	binary.BigEndian.PutUint32(params[0:], s.maxTries)
	binary.BigEndian.PutUint32(params[4:], s.recoveryTime)
	binary.BigEndian.PutUint32(params[8:], s.lockoutRecovery)
	sendLockoutCommand(t, ctx, tpm2.TPMCCDictionaryAttackParameters, params[:])
}

// resetDALockout runs TPM2_DictionaryAttackLockReset: the failure count
// goes to zero and the lockout ends at once.
func resetDALockout(t testing.TB, ctx context.Context) {
	t.Helper()
	sendLockoutCommand(t, ctx, tpm2.TPMCCDictionaryAttackLockReset, nil)
}

// sendLockoutCommand sends a command whose one handle is TPM_RH_LOCKOUT,
// authorized with the empty password, and fails the test unless the TPM
// answers TPM_RC_SUCCESS.
func sendLockoutCommand(t testing.TB, ctx context.Context, cc tpm2.TPMCC, params []byte) {
	t.Helper()
	cmd := binary.BigEndian.AppendUint16(nil, uint16(tpm2.TPMSTSessions))
	cmd = binary.BigEndian.AppendUint32(cmd, 0) // size, below
	cmd = binary.BigEndian.AppendUint32(cmd, uint32(cc))
	cmd = binary.BigEndian.AppendUint32(cmd, uint32(tpm2.TPMRHLockout))
	// The authorization area: its size, then TPM_RS_PW, an empty nonce,
	// continueSession, an empty password.
	cmd = binary.BigEndian.AppendUint32(cmd, 9)
	cmd = binary.BigEndian.AppendUint32(cmd, uint32(tpm2.TPMRSPW))
	cmd = binary.BigEndian.AppendUint16(cmd, 0)
	cmd = append(cmd, 1)
	cmd = binary.BigEndian.AppendUint16(cmd, 0)
	cmd = append(cmd, params...)
	binary.BigEndian.PutUint32(cmd[2:], uint32(len(cmd)))
	tc, _, err := openTPM(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	rsp, err := tc.Send(cmd)
	if err != nil {
		t.Fatalf("command %v: %v", cc, err)
	}
	if len(rsp) < 10 {
		t.Fatalf("command %v: a %d-byte response", cc, len(rsp))
	}
	if rc := tpm2.TPMRC(binary.BigEndian.Uint32(rsp[6:])); rc != tpm2.TPMRCSuccess {
		t.Fatalf("command %v: %v", cc, rc)
	}
}
