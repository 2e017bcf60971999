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
git config --global user.name "Alice Example"
git config --global user.email alice@example.com
git config --global init.defaultBranch main
PY=/usr/bin/python3
ntest=0
nfail=0

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
