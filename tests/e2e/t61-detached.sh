#!/bin/sh
# A detached HEAD, as CI checks out a pull request and as a rebase
# leaves it: commands that read work on its commit; a step is refused
# with nothing written; verify there does not move what this clone
# remembers of its branch.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
"$CRQ" new --title "first" >/dev/null
"$CRQ" new --title "second" >/dev/null
expect 0 "" "$CRQ" verify
tip=$(git rev-parse HEAD)
git checkout -q --detach HEAD~1
expect 0 "" "$CRQ" list --format '%(id)'
same "list reads the detached commit" "$(cat "$TMP/out")" "CHG-000001"
expect 0 "" "$CRQ" show 1
check "show reads it" grep -q "^title: first" "$TMP/out"
expect 1 "no such change" "$CRQ" show 2
expect 0 "" "$CRQ" verify
expect 0 "" "$CRQ" verify HEAD
expect 0 "" "$CRQ" check --base HEAD~1 --json
same "check judges the detached commit" "$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["ok"], [c["id"] for c in d["changes"]])' "$TMP/out")" "True ['CHG-000001']"
expect 0 "" "$CRQ" log 1
check "log reads it" grep -q "create" "$TMP/out"
# a step needs a branch to move
before=$(git rev-parse HEAD)
expect 128 "HEAD is detached" "$CRQ" comment 1 -m "from a detached HEAD"
same "nothing was committed" "$(git rev-parse HEAD)" "$before"
same "the work tree is as it was" "$(git status --porcelain)" ""
same "the branch is where it was" "$(git rev-parse main)" "$tip"
expect 128 "HEAD is detached" "$CRQ" new --title "from a detached HEAD"
same "nothing was committed by new" "$(git rev-parse HEAD)" "$before"
printf 'comment CHG-000001 -m one\n' >"$TMP/batch"
"$CRQ" batch <"$TMP/batch" >"$TMP/out" 2>"$TMP/err"
same "batch refuses (exit)" "$?" "128"
check "batch says why" grep -q "HEAD is detached" "$TMP/err"
same "nothing was committed by batch" "$(git rev-parse HEAD)" "$before"
# no editor round for a step that cannot be taken: nothing kept to
# come back at the next edit
EDITOR="sed -i s/first/changed/" expect 128 "HEAD is detached" "$CRQ" edit 1
EDITOR="sed -i s/Fresh/Stale/" expect 128 "HEAD is detached" "$CRQ" new --title Fresh -e
same "no edit text kept" "$(ls .git | grep -c '^CRQ_')" "0"
# back on the branch: no rollback is seen (verify on the detached commit
# did not remember it as the branch's tip), and steps go on
git checkout -q main
expect 0 "" "$CRQ" verify
check "no rollback reported" sh -c "! grep -q rewrite '$TMP/out' '$TMP/err'"
expect 0 "" "$CRQ" comment 1 -m "on the branch"
EDITOR=true expect 0 "" "$CRQ" new --title Fresh -e
same "the new change has its own title" "$("$CRQ" list --format '%(title)' | tail -1)" "Fresh"
expect 0 "" "$CRQ" verify
fsck_clean .
# HEAD naming a ref that is no branch (a tag): refused, saying which
git tag -a -m t v1 HEAD
git symbolic-ref HEAD refs/tags/v1
expect 128 "HEAD points at 'refs/tags/v1'" "$CRQ" list
check "and what to do" grep -q "check out a branch first" "$TMP/err"
git symbolic-ref HEAD refs/heads/main
expect 0 "" "$CRQ" list
# a clone that has never verified, checked out detached (a CI job):
# verify and check --format github run, and pin no trust on first use
cd "$TMP"
git clone -q s ci
cd ci
git checkout -q --detach HEAD
expect 0 "" "$CRQ" verify --trust "$(git rev-list --max-parents=0 HEAD)"
expect 0 "" "$CRQ" check --base HEAD~1 --format github
check "nothing remembered as the branch's tip" test ! -e .git/crq/verified
expect 0 "" "$CRQ" verify
check "no trusted root pinned from a detached HEAD" test ! -e .git/crq/trust
done_testing
