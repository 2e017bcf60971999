#!/bin/sh
# make demo: walk one change through crq in a throwaway repository and
# show what happened, checked with git itself.
# usage: examples/demo.sh PATH/TO/crq
set -eu
CRQ=$1
case $CRQ in /*) ;; *) CRQ=$(pwd)/$CRQ ;; esac
DEMO=$(mktemp -d "${TMPDIR:-/tmp}/crq-demo.XXXXXX")
trap 'rm -rf "$DEMO"' EXIT
export HOME="$DEMO/home" GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
git config --global user.name "Alice Example"
git config --global user.email alice@example.com

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }

cd "$DEMO"
run "$CRQ" init store
cd store
say "$CRQ new --title 'Upgrade PostgreSQL 14 to 15 on billing' ..."
id=$("$CRQ" new --title "Upgrade PostgreSQL 14 to 15 on billing" \
	--service billing --service billing-db --impact high --urgency medium \
	--risk high --window 2026-12-06T02:00:00Z/2026-12-06T05:00:00Z)
echo "$id"
run "$CRQ" set "$id" "implementation_plan=pg_upgrade --link on the primary, then rebuild replicas" \
	"backout_plan=Promote the untouched replica still on 14" \
	"test_plan=Billing smoke tests and nightly reconciliation"
say "$CRQ new --template os-patch --service web-frontend"
id2=$("$CRQ" new --template os-patch --service web-frontend)
echo "$id2"
run "$CRQ" show "$id"
run "$CRQ" list
run "$CRQ" list --risk high --format '%(id) %(priority) %(window.start) %(services)'
say "$CRQ show --json $id2 | head -n 8"
"$CRQ" show --json "$id2" | head -n 8
say "$CRQ set $id risk=extreme      # refused: not a level"
"$CRQ" set "$id" risk=extreme || echo "(exit $?)"
say "printf 'title: no\n' | $CRQ validate --kind change -   # refused: ambiguous"
printf 'title: no\n' | "$CRQ" validate --kind change - || echo "(exit $?)"
run git log --format='%h %s' 
run git show --stat --format='%B' HEAD~1
run git fsck --strict --no-progress
echo
echo "demo ok: every step above is a commit in $DEMO/store (removed on exit)"
