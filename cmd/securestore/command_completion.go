package main

import (
	"context"
	"fmt"
	"strings"
)

// completionCommand is "securestore completion SHELL"; its tests are in
// testdata/script/completion.txtar, which sources the bash script in a
// real bash.
var completionCommand = &command{
	name:    "completion",
	args:    []string{"SHELL"},
	actions: []string{"bash", "zsh", "fish"},
	summary: "print a shell completion script for bash, zsh or fish",
	help: `Print a script that completes securestore's commands, flags and, for
get, has, delete and set, the keys of the store (from "securestore list",
with the --app, --group, --service and --dir already typed). Load it with:

    bash:  source <(securestore completion bash)     (e.g. in ~/.bashrc)
    zsh:   source <(securestore completion zsh)      (e.g. in ~/.zshrc)
    fish:  securestore completion fish | source      (or save it to
           ~/.config/fish/completions/securestore.fish)

Completion lists key names, never values.`,
}

// The run function lists the commands, so it is set here rather than in
// the literal, which commands itself lists.
func init() { completionCommand.setup = noFlags(runCompletion) }

func runCompletion(_ context.Context, inv *invocation, args []string) error {
	script := map[string]string{
		"bash": bashCompletion,
		"zsh":  "autoload -U +X bashcompinit && bashcompinit\n" + bashCompletion,
		"fish": fishCompletion,
	}[args[0]]
	_, err := fmt.Fprint(inv.stdout, strings.ReplaceAll(script, "@COMMANDS@", strings.Join(commandNames(), " ")))
	return err
}

// commandNames are the commands, and help, for completion.
func commandNames() []string {
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	return append(names, "help")
}

// bashCompletion completes the command name, then keys for the commands
// that take one, else flags. The store flags typed so far are passed on
// to "securestore list", so that the keys are those of the store the
// command line names.
const bashCompletion = `# securestore completion for bash (and zsh through bashcompinit)
_securestore() {
    local cur=${COMP_WORDS[COMP_CWORD]} cmd="" i w
    local -a store=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case $w in
        --app|--group|--service|--dir|-app|-group|-service|-dir)
            store+=("$w" "${COMP_WORDS[i+1]}"); ((i++)) ;;
        --app=*|--group=*|--service=*|--dir=*) store+=("$w") ;;
        -*) ;;
        *) [[ -z $cmd ]] && cmd=$w ;;
        esac
    done
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "--app --dir --service --group --accessible --protector --help" -- "$cur"))
        return
    fi
    case $cmd in
    "") COMPREPLY=($(compgen -W "@COMMANDS@" -- "$cur")) ;;
    get|has|delete|set)
        local IFS=$'\n'
        COMPREPLY=($(compgen -W "$(securestore "${store[@]}" list 2>/dev/null)" -- "$cur")) ;;
    help) COMPREPLY=($(compgen -W "@COMMANDS@" -- "$cur")) ;;
    completion) COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")) ;;
    passcode) COMPREPLY=($(compgen -W "set change remove" -- "$cur")) ;;
    esac
}
complete -o default -F _securestore securestore
`

// fishCompletion is the same for fish.
const fishCompletion = `# securestore completion for fish
complete -c securestore -f
complete -c securestore -n '__fish_use_subcommand' -a '@COMMANDS@'
complete -c securestore -n '__fish_seen_subcommand_from get has delete set' -a '(securestore list 2>/dev/null)'
complete -c securestore -n '__fish_seen_subcommand_from help' -a '@COMMANDS@'
complete -c securestore -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'
complete -c securestore -n '__fish_seen_subcommand_from passcode' -a 'set change remove'
complete -c securestore -l app -r
complete -c securestore -l dir -r
complete -c securestore -l service -r
complete -c securestore -l group -r
complete -c securestore -l accessible -r
complete -c securestore -l protector -r
`
