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
grep -q "^2 commits checked, 0 violations" "$TMP/err" && ok "first run checks everything after the trusted root" || not_ok "first: $(cat "$TMP/err")"
same "root pinned" "$(cat .git/crq/trust)" "$(git rev-list --max-parents=0 HEAD)"
same "clean tip remembered, with its high-water time" "$(cut -d' ' -f1,2 .git/crq/verified)" "$(git rev-parse HEAD) $(git log -1 --format=%ct HEAD)"
expect 0 "" "$CRQ" verify
grep -q "^0 commits checked, 0 violations" "$TMP/err" && ok "nothing new: nothing checked" || not_ok "second: $(cat "$TMP/err")"
for i in 1 2 3; do "$CRQ" comment CHG-000001 -m "c$i" >/dev/null; "$CRQ" set CHG-000001 description=d$i >/dev/null; done
expect 0 "" "$CRQ" verify
# the three edits and the three comments (steps even where the fixed
# clock left the file as it was)
grep -q "^6 commits checked, 0 violations" "$TMP/err" && ok "only the new commits are checked" || not_ok "third: $(cat "$TMP/err")"

# a rollback of verified history is reported
keep=$(git rev-parse HEAD)
git reset -q --hard HEAD~2
expect 1 "1 violation" "$CRQ" verify
grep -q "^$keep - rewrite: the last verified tip is no longer in the history" "$TMP/out" && ok "rollback reported" || not_ok "rollback: $(cat "$TMP/out")"
git reset -q --hard "$keep"
expect 0 "" "$CRQ" verify

# a history that does not descend from the pinned root (a re-rooted one)
git -c user.name=x -c user.email=x@example.com commit-tree -m other \
	"$(git rev-parse HEAD^{tree})" >.git/crq/trust
rm -f .git/crq/verified
expect 1 "1 violation" "$CRQ" verify
grep -q " - root: the history does not descend from the trusted root $(cat .git/crq/trust)" "$TMP/out" && ok "a different root is reported" || not_ok "root: $(cat "$TMP/out")"
git rev-list --max-parents=0 HEAD >.git/crq/trust
rm -f .git/crq/verified

# --trust: start from a trusted commit (its own checks are skipped)
mid=$(git rev-parse HEAD~4)
expect 0 "" "$CRQ" verify --trust "$mid" HEAD
n=$(sed -n 's/^\([0-9]*\) commits checked, 0 violations$/\1/p' "$TMP/err")
[ -n "$n" ] && [ "$n" -lt 6 ] && ok "--trust starts at the trusted commit ($n checked)" || not_ok "trust: $(cat "$TMP/err")"
expect 0 "" "$CRQ" -c crq.trust="$mid" verify
expect 128 "cannot resolve trusted commit 'nope'" "$CRQ" verify --trust nope

# emergency reviews: late ones and ones still owed are reported
rm -f .git/crq/verified
as alice member add erin@example.com --key "$(keyfor erin).pub" --name Erin \
	--role ecab --role implementer --role reviewer >/dev/null
for n in 2 3; do
	as alice new --title "Hotfix $n" --type emergency --set incident=INC-$n \
		--set implementation_plan=p --set backout_plan=b >/dev/null
	as alice submit CHG-00000$n >/dev/null
	as erin approve CHG-00000$n >/dev/null
	as erin start CHG-00000$n >/dev/null
	as erin complete CHG-00000$n --close-code successful >/dev/null
done
expect 0 "" "$CRQ" verify
GIT_COMMITTER_DATE=2026-11-27T00:00:00Z GIT_AUTHOR_DATE=2026-11-27T00:00:00Z as erin review CHG-000002 -m late >/dev/null
expect 1 "" env GIT_COMMITTER_DATE=2026-11-27T00:00:00Z "$CRQ" verify
# a late review is a legal step (crq takes it): no violation, the
# deadline it missed stays in the history for the audit
grep -q " CHG-000002 " "$TMP/out" && not_ok "late: $(cat "$TMP/out")" || ok "a late review is no violation"
grep -q " CHG-000003 review-overdue: the emergency review was due 2026-11-26T10:00:00Z" "$TMP/out" && ok "owed review reported" || not_ok "owed: $(cat "$TMP/out")"

# a policy that wants a linear history refuses merges
"$CRQ" policy show --json | $PY -c '
import json, sys, yaml
p = json.load(sys.stdin)
p["linear_history"] = True
print(yaml.safe_dump(p, sort_keys=False), end="")' >"$TMP/linear.yaml"
expect 0 "" "$CRQ" policy apply "$TMP/linear.yaml"
git checkout -q -b side
git -c user.name=x -c user.email=x@example.com commit -q --allow-empty -m "code"
git checkout -q main
git -c user.name=x -c user.email=x@example.com merge -q --no-ff -m "merge side" side
expect 1 "" env GIT_COMMITTER_DATE=2026-11-24T00:00:00Z "$CRQ" verify
grep -q "^$(git rev-parse HEAD) - linear-history: " "$TMP/out" && ok "merge refused under linear_history" || not_ok "linear: $(cat "$TMP/out")"
fsck_clean .
done_testing
