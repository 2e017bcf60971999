# Shared set-up for the end-to-end tests: a throwaway HOME with a fixed
# identity, fixed dates, and helpers that check exit codes and messages.
# Every test drives the real binary ($CRQ) and checks with real git.
set -u
: "${CRQ:?CRQ must point at the crq binary}"
case $CRQ in /*) ;; *) CRQ=$(pwd)/$CRQ ;; esac
TOP=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/crq-e2e.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
export HOME="$TMP/home"
mkdir -p "$HOME"
export GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_DATE="2026-11-23T10:00:00Z"
export GIT_COMMITTER_DATE="2026-11-23T10:00:00Z"
export LC_ALL=C TZ=UTC
unset GIT_DIR GIT_WORK_TREE GIT_EDITOR VISUAL EDITOR CRQ_DATADIR
# CI=true makes crq verify demand a trusted root from outside the
# history; tests that check that set it themselves
unset CI
git config --global user.name "Alice Example"
git config --global user.email alice@example.com
git config --global init.defaultBranch main
# every crq step is a signed commit: alice's key, and one per member
mkdir -p "$HOME/.ssh" "$TMP/keys"
ssh-keygen -q -t ed25519 -N '' -C alice -f "$HOME/.ssh/id_ed25519" </dev/null
git config --global gpg.format ssh
git config --global user.signingkey "$HOME/.ssh/id_ed25519"
PY=/usr/bin/python3
ntest=0
nfail=0

# keyfor NAME: the private key file of NAME (alice: the global one)
keyfor() {
	if [ "$1" = alice ]; then
		echo "$HOME/.ssh/id_ed25519"
		return
	fi
	[ -f "$TMP/keys/$1" ] ||
		ssh-keygen -q -t ed25519 -N '' -C "$1" -f "$TMP/keys/$1" </dev/null
	echo "$TMP/keys/$1"
}

# as NAME crq-args...: run crq as NAME@example.com with NAME's key
as() {
	who=$1
	shift
	k=$(keyfor "$who")
	env GIT_AUTHOR_NAME="$who" GIT_AUTHOR_EMAIL="$who@example.com" \
		GIT_COMMITTER_NAME="$who" GIT_COMMITTER_EMAIL="$who@example.com" \
		"$CRQ" -c user.signingkey="$k" "$@"
}

# verify_all DIR: stock git verify-commit accepts every commit on HEAD
# with the allowed-signers file crq writes from the policy
verify_all() {
	"$CRQ" -C "$1" policy allowed-signers >"$TMP/allowed" || { not_ok "allowed-signers"; return; }
	bad=0
	for c in $(git -C "$1" rev-list HEAD); do
		git -C "$1" -c gpg.ssh.allowedSignersFile="$TMP/allowed" \
			verify-commit "$c" >/dev/null 2>"$TMP/verr" || { bad=$((bad + 1)); sed 's/^/#   /' "$TMP/verr" | head -3; }
	done
	if [ $bad = 0 ]; then
		ok "git verify-commit accepts all $(git -C "$1" rev-list --count HEAD) commits in $(basename "$1")"
	else
		not_ok "git verify-commit refused $bad commits in $1"
	fi
}

# gitas NAME KEY args...: plain git as NAME, signing with KEY
gitas() {
	who=$1 key=$2
	shift 2
	git -c user.name="$who" -c user.email="$who@example.com" \
		-c gpg.format=ssh -c user.signingkey="$key" "$@"
}

# msg ID ACTION FROM TO: a crq step's message, written by hand
msg() { printf '%s: %s \342\200\224 x\n\nCrq-Change: %s\nCrq-Action: %s\nCrq-From: %s\nCrq-To: %s\n' "$1" "$2" "$1" "$2" "$3" "$4"; }

# refused BRANCH RULE [COMMIT]: crq verify of BRANCH exits 1 and names
# COMMIT (its tip when not given) and RULE
refused() {
	"$CRQ" verify "$1" >"$TMP/vout" 2>"$TMP/verr"
	rc=$?
	at=$(git rev-parse "${3:-$1}")
	if [ $rc = 1 ] && grep -q "^$at .* $2: " "$TMP/vout"; then
		ok "refused: $1 ($2)"
	else
		not_ok "$1: wanted rule $2 at $at, exit $rc"
		sed 's/^/#   /' "$TMP/vout" "$TMP/verr"
	fi
}

ok() { ntest=$((ntest + 1)); echo "ok $ntest - $*"; }
not_ok() { ntest=$((ntest + 1)); nfail=$((nfail + 1)); echo "not ok $ntest - $*"; }

# expect CODE "stderr substring" cmd...: run, check exit code and message
expect() {
	want=$1 msg=$2
	shift 2
	"$@" >"$TMP/out" 2>"$TMP/err"
	got=$?
	if [ "$got" != "$want" ]; then
		not_ok "$* exited $got, wanted $want"
		sed 's/^/#   /' "$TMP/err"
		return 1
	fi
	if [ -n "$msg" ] && ! grep -qF -- "$msg" "$TMP/err"; then
		not_ok "$*: stderr lacks '$msg'"
		sed 's/^/#   /' "$TMP/err"
		return 1
	fi
	ok "$* -> $want${msg:+ ($msg)}"
}

# check "description" cmd...: the command must succeed
check() {
	d=$1
	shift
	if "$@" >/dev/null 2>"$TMP/cerr"; then
		ok "$d"
	else
		not_ok "$d"
		sed 's/^/#   /' "$TMP/cerr"
	fi
}

# same "description" A B: strings must be equal
same() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1: got '$2', wanted '$3'"
	fi
}

# The repository must be intact and the work tree clean.
fsck_clean() {
	if git -C "$1" fsck --strict --no-progress >"$TMP/fsck" 2>&1 &&
	   [ -z "$(git -C "$1" status --porcelain)" ]; then
		ok "git fsck clean, work tree clean in $(basename "$1")"
	else
		not_ok "git fsck / status in $1"
		sed 's/^/#   /' "$TMP/fsck"
		git -C "$1" status --porcelain | sed 's/^/#   /'
	fi
}

# Snapshot of every ref and the index: to prove "nothing half-written".
state() {
	git -C "$1" for-each-ref --format='%(refname) %(objectname)'
	git -C "$1" ls-files -s
	git -C "$1" rev-list --all --count
}

done_testing() {
	echo "1..$ntest"
	[ "$nfail" = 0 ] || { echo "# $nfail failed"; exit 1; }
	exit 0
}

# serve REPO: git daemon on 127.0.0.1 (the real git protocol, pushes
# allowed) for the repositories under $TMP/srv, ready for REPO; sets
# GITURL to git://127.0.0.1:PORT; stopped when the test ends
stop_daemon() { [ -f "$TMP/daemon.pid" ] && kill "$(cat "$TMP/daemon.pid")" 2>/dev/null; rm -f "$TMP/daemon.pid"; }
serve() {
	port=$((20000 + $$ % 20000))
	tries=0
	while :; do
		git daemon --export-all --enable=receive-pack --base-path="$TMP/srv" \
			--listen=127.0.0.1 --port=$port --reuseaddr --detach \
			--pid-file="$TMP/daemon.pid" "$TMP/srv" 2>/dev/null
		i=0
		while [ $i -lt 50 ] && ! git ls-remote "git://127.0.0.1:$port/$1" >/dev/null 2>&1; do
			i=$((i + 1))
			sleep 0.1
		done
		[ $i -lt 50 ] && break
		stop_daemon
		tries=$((tries + 1))
		[ $tries -ge 5 ] && { not_ok "git daemon did not start"; break; }
		port=$((port + 1 + $$ % 7))
	done
	GITURL=git://127.0.0.1:$port
	trap 'stop_daemon; [ -n "${KEEP:-}" ] || rm -rf "$TMP"' EXIT
}
