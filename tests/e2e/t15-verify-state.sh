#!/bin/sh
# crq verify remembers: the pinned root, the last clean tip (later runs
# check only what is new), rollbacks and rewrites; --trust.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
"$CRQ" new --title "One" >/dev/null
"$CRQ" set CHG-000001 risk=low >/dev/null
expect 0 "" "$CRQ" verify
grep -q "^3 commits checked, 0 violations" "$TMP/err" && ok "first run checks everything" || not_ok "first: $(cat "$TMP/err")"
same "root pinned" "$(cat .git/crq/trust)" "$(git rev-list --max-parents=0 HEAD)"
same "clean tip remembered" "$(cat .git/crq/verified)" "$(git rev-parse HEAD)"
expect 0 "" "$CRQ" verify
grep -q "^0 commits checked, 0 violations" "$TMP/err" && ok "nothing new: nothing checked" || not_ok "second: $(cat "$TMP/err")"
for i in 1 2 3; do "$CRQ" comment CHG-000001 -m "c$i" >/dev/null; "$CRQ" set CHG-000001 description=d$i >/dev/null; done
expect 0 "" "$CRQ" verify
# the three edits; the comments changed no file (fixed clock) and touch nothing
grep -q "^3 commits checked, 0 violations" "$TMP/err" && ok "only the new commits are checked" || not_ok "third: $(cat "$TMP/err")"

# a rollback of verified history is reported
keep=$(git rev-parse HEAD)
git reset -q --hard HEAD~2
expect 1 "1 violation" "$CRQ" verify
grep -q "^$keep - rewrite: the last verified tip is no longer in the history" "$TMP/out" && ok "rollback reported" || not_ok "rollback: $(cat "$TMP/out")"
git reset -q --hard "$keep"
expect 0 "" "$CRQ" verify

# a history that starts somewhere else than the pinned root
git rev-parse HEAD >.git/crq/trust
rm -f .git/crq/verified
expect 1 "1 violation" "$CRQ" verify
grep -q " - root: the history starts at another commit than the pinned root" "$TMP/out" && ok "a different root is reported" || not_ok "root: $(cat "$TMP/out")"
git rev-list --max-parents=0 HEAD >.git/crq/trust
rm -f .git/crq/verified

# --trust: start from a trusted commit (its own checks are skipped)
mid=$(git rev-parse HEAD~4)
expect 0 "" "$CRQ" verify --trust "$mid" HEAD
n=$(sed -n 's/^\([0-9]*\) commits checked, 0 violations$/\1/p' "$TMP/err")
[ -n "$n" ] && [ "$n" -lt 6 ] && ok "--trust starts at the trusted commit ($n checked)" || not_ok "trust: $(cat "$TMP/err")"
expect 0 "" "$CRQ" -c crq.trust="$mid" verify
expect 128 "cannot resolve trusted commit 'nope'" "$CRQ" verify --trust nope
fsck_clean .
done_testing
