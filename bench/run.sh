#!/usr/bin/env bash
# bench/run.sh [--quick] [--soak DURATION]
# bench/run.sh --cli-only
#
# Measures securestore against the secret stores Go programs use instead,
# and writes the peers section of docs/BENCHMARKS.md (between its
# <!-- peers:begin --> and <!-- peers:end --> markers) from what the
# harness printed. It starts what the peers need and stops it afterwards:
#
#   - a private D-Bus session with a throwaway gnome-keyring, through
#     .ci/with-secret-service (go-keyring, secret-tool, and securestore's
#     secretservice protector);
#   - a throwaway gpg home with a passphrase-less key and its gpg-agent,
#     and a throwaway pass store initialised for that key (pass);
#   - a soak of several processes on one securestore store.
#
# The full run takes about 12 minutes on the 2-core test machine and
# leaves results/run.log, results/results.json and results/soak.json
# beside this script. --quick runs small stores with short budgets in a
# few minutes, to check that everything works; it writes its report to
# results/quick/BENCHMARKS-peers.md and leaves docs/ alone, since its
# numbers are too thin to quote. --soak sets the soak's duration
# (default 2m; 15s with --quick). --cli-only runs only the CLI get
# comparison (securestore get on a 10,000-item store against pass show,
# secret-tool lookup and /bin/true, a few minutes) and leaves its log and
# results in results/cli/, without a soak or a report.
#
# Needs: go, and the Debian packages pass gnupg tree libsecret-tools
# gnome-keyring dbus (apt-get install -y --no-install-recommends ...).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

quick=
soak=
clionly=
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --cli-only) clionly=1 ;;
    --soak) soak=$2; shift ;;
    --soak=*) soak=${1#--soak=} ;;
    *) echo "usage: bench/run.sh [--quick] [--soak DURATION] | --cli-only" >&2; exit 2 ;;
  esac
  shift
done
if [ -n "$clionly" ]; then
  out=$here/results/cli; runflags=(-cli-only)
elif [ -n "$quick" ]; then
  soak=${soak:-15s}; out=$here/results/quick; runflags=(-quick); soakflags=(-keys 2000)
else
  soak=${soak:-2m}; out=$here/results; runflags=(); soakflags=()
fi
for tool in go pass gpg gpg-agent gpgconf tree secret-tool gnome-keyring-daemon dbus-daemon; do
  command -v "$tool" >/dev/null || {
    echo "bench/run.sh: $tool is missing: apt-get install -y --no-install-recommends pass gnupg tree libsecret-tools gnome-keyring dbus" >&2
    exit 1
  }
done

tmp=$(mktemp -d -t storebench.XXXXXX)
stop() {
  status=$?
  set +e
  [ -n "${GNUPGHOME:-}" ] && gpgconf --kill gpg-agent 2>/dev/null
  rm -rf "$tmp"
  exit "$status"
}
trap stop EXIT
mkdir -p "$out" "$tmp/bin" "$tmp/work"

echo "== building storebench and securestore"
(cd "$here" && go build -o "$tmp/bin/storebench" ./cmd/storebench)
# Static, as README's install line builds it: a default build links libc
# dynamically (godbus imports net and os/user), and ld.so plus cgo's
# runtime start cost a short command such as get about a sixth of its time.
(cd "$root" && CGO_ENABLED=0 go build -o "$tmp/bin/securestore" ./cmd/securestore)
# The revision measured; "-dirty" when code differs from it (the report
# and the results this script writes do not count).
version=$(cd "$root" && git describe --always 2>/dev/null || echo unknown)
if [ -n "$(cd "$root" && git status --porcelain -- . ':!docs/BENCHMARKS.md' ':!bench/results' 2>/dev/null)" ]; then
  version=$version-dirty
fi

echo "== a throwaway gpg key, its agent, and a pass store for it"
export GNUPGHOME=$tmp/gnupg PASSWORD_STORE_DIR=$tmp/pass STOREBENCH_THROWAWAY_PASS=1
mkdir -m 700 "$GNUPGHOME"
# An empty passphrase (the key is unprotected): pass then decrypts with
# no prompt, as it does for a user whose agent has the key unlocked.
gpg --batch --quiet --passphrase '' --quick-gen-key 'storebench <storebench@example.invalid>' default default never 2>/dev/null
keyid=$(gpg --list-keys --with-colons storebench@example.invalid | awk -F: '$1 == "fpr" { print $10; exit }')
gpg-connect-agent /bye >/dev/null 2>&1
pass init "$keyid" >/dev/null

echo "== comparisons (stores under $tmp/work)"
"$root/.ci/with-secret-service" "$tmp/bin/storebench" run "${runflags[@]}" \
  -work "$tmp/work" -cli "$tmp/bin/securestore" -securestore-version "$version" \
  -out "$out/results.json" | tee "$out/run.log"
if [ -n "$clionly" ]; then
  exit 0
fi

echo "== soak ($soak)" | tee -a "$out/run.log"
"$tmp/bin/storebench" soak -duration "$soak" -procs 4 "${soakflags[@]}" -out "$out/soak.json" | tee -a "$out/run.log"

if [ -n "$quick" ]; then
  doc=$out/BENCHMARKS-peers.md
  : >"$doc"
else
  doc=$root/docs/BENCHMARKS.md
fi
"$tmp/bin/storebench" report -results "$out/results.json" -soak "$out/soak.json" -doc "$doc"
echo "== wrote $doc"
