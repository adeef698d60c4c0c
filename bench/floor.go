package bench

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"os"
	"path/filepath"
)

// The physical floor: what one Get and one Set cannot avoid costing. A
// Get at least decrypts the value (one AEAD open, the same work as a
// seal); a durable Set at least writes and syncs one block.

// AESGCM seals one ValueSize value with AES-256-GCM: the crypto floor.
type AESGCM struct {
	aead  cipher.AEAD
	value []byte
	out   []byte
	n     uint64
}

// NewAESGCM makes a sealer with a random key.
func NewAESGCM() (*AESGCM, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &AESGCM{aead: aead, value: []byte(Value("floor")), out: make([]byte, 0, ValueSize+aead.Overhead())}, nil
}

// Seal seals the value once, under a fresh (counter) nonce.
func (a *AESGCM) Seal() {
	var nonce [12]byte
	a.n++
	binary.BigEndian.PutUint64(nonce[4:], a.n)
	a.out = a.aead.Seal(a.out[:0], nonce[:], a.value, nil)
}

// Fsync writes 4 KB at offset 0 of a file and fsyncs it: the disk floor,
// in the directory of the store it is compared with, so on the same disk.
// After the first write the block exists, and later writes overwrite it,
// as SQLite overwrites its WAL once it is checkpointed.
type Fsync struct {
	f   *os.File
	buf []byte
}

// NewFsync creates the probe file in dir.
func NewFsync(dir string) (*Fsync, error) {
	f, err := os.OpenFile(filepath.Join(dir, "fsync-probe.dat"), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	p := &Fsync{f: f, buf: make([]byte, 4096)}
	if err := p.Once(); err != nil {
		f.Close()
		return nil, err
	}
	return p, nil
}

// Once is one 4 KB write and fsync.
func (p *Fsync) Once() error {
	p.buf[0]++
	if _, err := p.f.WriteAt(p.buf, 0); err != nil {
		return err
	}
	return p.f.Sync()
}

// Close closes and removes the probe file.
func (p *Fsync) Close() error {
	err := p.f.Close()
	if rerr := os.Remove(p.f.Name()); err == nil {
		err = rerr
	}
	return err
}
