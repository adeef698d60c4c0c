package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/securestore-go/securestore"
)

// repairCommand is "securestore repair"; its tests are in testdata/script/repair.txtar.
var repairCommand = &command{
	name:    "repair",
	summary: "recover a store whose write-ahead log is damaged",
	help: `Recover a store that does not open because its write-ahead log (the
-wal file next to it) is damaged. It keeps exactly what is provably good,
the transactions before the damage, and never guesses at the rest: it
says how many committed transactions it sets aside, and keeps the whole
damaged file next to the store (as ...-wal.damaged-TIME) for a person to
look at. A store whose log is not damaged is left unchanged.

It asks for confirmation at the terminal; without one, --yes confirms.
No other program may have the store open meanwhile. It needs no key or
passcode: it works on the database file, not on the records. Afterwards,
securestore doctor --check reads every record.`,
	setup: func(fs *flag.FlagSet, inv *invocation) runFunc {
		var yes bool
		fs.BoolVar(&yes, "yes", false, "repair without asking")
		return func(ctx context.Context, inv *invocation, _ []string) error {
			return runRepair(ctx, inv, yes)
		}
	},
}

func runRepair(ctx context.Context, inv *invocation, yes bool) error {
	cfg, group := inv.config(), inv.global.group
	plan, err := securestore.PlanRepair(ctx, cfg, group)
	if err != nil {
		return err
	}
	if !plan.Damaged {
		fmt.Fprintf(inv.stdout, "the store's write-ahead log is not damaged: nothing to repair\n")
		return nil
	}
	fmt.Fprintf(inv.stdout, "the store's write-ahead log is damaged: repair keeps %d transactions (%d frames) and sets aside %d frames, "+
		"at least %d of them committed transactions, which are lost\n", plan.KeptCommits, plan.KeptFrames, plan.DroppedFrames, plan.LostCommits)
	if !yes {
		ok, err := confirm("repair the store? [y/N] ")
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("repair: not confirmed; nothing changed")
		}
	}
	rep, err := securestore.Repair(ctx, cfg, group)
	if err != nil {
		return err
	}
	if !rep.Damaged {
		fmt.Fprintf(inv.stdout, "the write-ahead log is no longer damaged: nothing changed\n")
		return nil
	}
	fmt.Fprintf(inv.stdout, "repaired: kept %d transactions; set aside %d frames (at least %d committed transactions lost); "+
		"the damaged log is kept in %s\n", rep.KeptCommits, rep.DroppedFrames, rep.LostCommits, rep.DamagedCopy)
	return nil
}

// confirm asks a yes/no question at the terminal; without a terminal it
// fails with a usage error that names --yes.
func confirm(question string) (bool, error) {
	t, err := openTTY()
	if err != nil {
		return false, &usageError{command: "repair", msg: "no terminal to confirm on: run it at a terminal, or pass --yes"}
	}
	defer t.close()
	fmt.Fprint(t.out, question)
	line, err := bufio.NewReader(t.in).ReadString('\n')
	if err != nil && line == "" {
		return false, &inputError{msg: "repair: no answer typed: the terminal's input ended"}
	}
	a := strings.ToLower(strings.TrimSpace(line))
	return a == "y" || a == "yes", nil
}
