#!/bin/sh
# Approving in a pull request: approve steps made on a PR branch ride in
# with a merge commit and verify; what a merge brings in is checked like
# any other step, and a merge that would lose a step is refused.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role cab >/dev/null
as alice member add carol@example.com --key "$(keyfor carol).pub" --name Carol \
	--role cab >/dev/null
as alice new --title "Upgrade DB" --service db \
	--set implementation_plan=a --set backout_plan=b --set test_plan=c >/dev/null
as alice submit CHG-000001 >/dev/null
as bob assess CHG-000001 --risk medium --impact low >/dev/null
git branch -q base

# the PR: approvers check out the branch and approve there
git checkout -q -b pr-approve
expect 0 "" as bob approve CHG-000001 --role change-manager
expect 0 "" as carol approve CHG-000001
same "authorized on the PR branch" "$(head -1 "$TMP/out")" "CHG-000001: assessed -> authorized"
expect 0 "" "$CRQ" check --base main
git checkout -q main
git -c user.name=alice -c user.email=alice@example.com merge -q --no-ff -m "Merge pull request #1" pr-approve
expect 0 "" "$CRQ" verify
grep -q " 0 violations" "$TMP/err" && ok "the merged PR approvals verify on main" || not_ok "merge verify: $(cat "$TMP/err")"
same "main is authorized" "$(git cat-file blob HEAD:changes/000/CHG-000001.yaml | grep '^state:')" "state: authorized"

# a PR carrying an illegal step: the merge brings it in, verify finds it
git checkout -q -B pr-bad base
sed -i 's/^title: Upgrade DB$/title: Sneaky/' changes/000/CHG-000001.yaml
git commit -q -am "CHG-000001: edit — x

Crq-Change: CHG-000001
Crq-Action: edit
Crq-From: assessed
Crq-To: assessed"
bad=$(git rev-parse HEAD)
git checkout -q -B main-bad base
git -c user.name=alice -c user.email=alice@example.com merge -q --no-ff -m "Merge pull request #2" pr-bad
expect 1 "" "$CRQ" verify main-bad
grep -q "^$bad CHG-000001 unsigned: " "$TMP/out" && ok "a bad step inside a merged PR is found" || not_ok "side: $(cat "$TMP/out")"

# both sides changed the change: taking one side would lose a step
git checkout -q -B main-both base
as alice set CHG-000001 description=on-main >/dev/null
git -c user.name=alice -c user.email=alice@example.com merge -q --no-ff -X theirs -m "Merge pull request #3" pr-approve >/dev/null 2>&1
expect 1 "" "$CRQ" verify main-both
grep -q " CHG-000001 both-sides: both sides changed 'changes/000/CHG-000001.yaml' since they parted" "$TMP/out" && ok "a merge that loses a step is refused" || not_ok "both: $(cat "$TMP/out")"
git checkout -q main
fsck_clean .
done_testing
