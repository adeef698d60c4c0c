package exportfile

import (
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
)

// Encrypt returns a writer that encrypts to passphrase with scrypt's work
// factor workFactor (log2 N; DefaultWorkFactor outside tests). Close
// finishes the file.
func Encrypt(w io.Writer, passphrase []byte, workFactor int) (io.WriteCloser, error) {
	if len(passphrase) == 0 {
		return nil, errors.New("the passphrase is empty")
	}
	recipient, err := age.NewScryptRecipient(string(passphrase))
	if err != nil {
		return nil, err
	}
	recipient.SetWorkFactor(workFactor)
	return age.Encrypt(w, recipient)
}

// Decrypt returns the plaintext of an export encrypted to passphrase,
// refusing a work factor above maxWorkFactor (DefaultMaxWorkFactor outside
// tests). A passphrase that does not open it fails with
// ErrWrongPassphrase, a file that is not an age file with *FormatError.
func Decrypt(r io.Reader, passphrase []byte, maxWorkFactor int) (io.Reader, error) {
	identity, err := age.NewScryptIdentity(string(passphrase))
	if err != nil {
		return nil, err
	}
	identity.SetMaxWorkFactor(maxWorkFactor)
	ar, err := age.Decrypt(r, identity)
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		return nil, ErrWrongPassphrase
	}
	if err != nil {
		return nil, &FormatError{Reason: fmt.Sprintf("not a securestore export: %v", err)}
	}
	return ar, nil
}
