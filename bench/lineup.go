package bench

import (
	"context"
	"errors"
	"path/filepath"
)

// lineup is every store of a run. A peer that cannot run here (no Secret
// Service, no pass store) is nil and recorded as skipped, with why.
type lineup struct {
	ssFile, ssSS   *Securestore
	cliFile, cliSS *SecurestoreCLI
	goKeyring      *GoKeyring
	secretTool     *SecretTool
	keyringFile    *KeyringFile
	pass           *Pass
}

// pair is a peer and the securestore store it is compared with: the one
// with the same kind of root of trust (the Secret Service peers against
// securestore's secretservice protector, the file peers against its file
// protector), as a user choosing between them would configure it.
type pair struct{ base, peer Store }

func newLineup(ctx context.Context, h *harness) (*lineup, error) {
	l := &lineup{}
	var err error
	l.ssFile, err = OpenSecurestore(ctx, filepath.Join(h.cfg.WorkDir, "securestore-file"), "file")
	if err != nil {
		return nil, err
	}
	if err := needThrowawaySecretService(); err != nil {
		h.skip("securestore/secretservice, go-keyring, secret-tool", "everything", err.Error())
	} else {
		if l.ssSS, err = OpenSecurestore(ctx, filepath.Join(h.cfg.WorkDir, "securestore-secretservice"), "secretservice"); err != nil {
			h.skip("securestore/secretservice", "everything", err.Error())
		}
		if l.goKeyring, err = NewGoKeyring(h.s.KeyringMaxItems); err != nil {
			h.skip("go-keyring", "everything", err.Error())
		}
		if l.secretTool, err = NewSecretTool(h.s.KeyringMaxItems); err != nil {
			h.skip("secret-tool", "everything", err.Error())
		}
	}
	if l.keyringFile, err = OpenKeyringFile(filepath.Join(h.cfg.WorkDir, "99designs-file")); err != nil {
		h.skip("99designs-file", "everything", err.Error())
	}
	if l.pass, err = NewPass(); err != nil {
		h.skip("pass", "everything", err.Error())
	}
	if h.cfg.CLI == "" {
		h.skip("securestore-cli", "the CLI get comparison", "no securestore binary given (-cli)")
	} else {
		l.cliFile = NewSecurestoreCLI(h.cfg.CLI, l.ssFile)
		if l.ssSS != nil {
			l.cliSS = NewSecurestoreCLI(h.cfg.CLI, l.ssSS)
		}
	}
	return l, nil
}

// stores are every store of the lineup, in the order they are filled.
func (l *lineup) stores() []Store {
	var s []Store
	add := func(ok bool, st Store) {
		if ok {
			s = append(s, st)
		}
	}
	add(true, l.ssFile)
	add(l.ssSS != nil, l.ssSS)
	add(l.goKeyring != nil, l.goKeyring)
	add(l.secretTool != nil, l.secretTool)
	add(l.keyringFile != nil, l.keyringFile)
	add(l.pass != nil, l.pass)
	add(l.cliFile != nil, l.cliFile)
	add(l.cliSS != nil, l.cliSS)
	return s
}

// pairs are the item and list comparisons. The first compares
// securestore's two protectors, which only differ at Open.
func (l *lineup) pairs() []pair {
	var p []pair
	if l.ssSS != nil {
		p = append(p, pair{l.ssFile, l.ssSS})
		if l.goKeyring != nil {
			p = append(p, pair{l.ssSS, l.goKeyring})
		}
		if l.secretTool != nil {
			p = append(p, pair{l.ssSS, l.secretTool})
		}
	}
	if l.keyringFile != nil {
		p = append(p, pair{l.ssFile, l.keyringFile})
	}
	if l.pass != nil {
		p = append(p, pair{l.ssFile, l.pass})
	}
	return p
}

// cliStores are the contenders of the CLI get comparison, securestore's
// first.
func (l *lineup) cliStores() []Store {
	var s []Store
	if l.cliFile != nil {
		s = append(s, l.cliFile)
	}
	if l.cliSS != nil {
		s = append(s, l.cliSS)
	}
	if len(s) == 0 {
		return nil
	}
	if l.pass != nil {
		s = append(s, l.pass)
	}
	if l.secretTool != nil {
		s = append(s, l.secretTool)
	}
	return s
}

func (l *lineup) close() error {
	var errs []error
	for _, s := range l.stores() {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
