#!/bin/sh
# crq sync: two clones of one store, both busy; steps are replayed on
# the remote's, a colliding new id is renumbered, nothing is lost, and
# a step that no longer applies stops the sync with the branch intact.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init seed >/dev/null
cd seed
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role requester --role change-manager >/dev/null
as alice new --title "Shared" >/dev/null
cd ..
git clone -q --bare seed server.git
git clone -q server.git a
git clone -q server.git b

(cd a && as alice new --title "From A" >/dev/null && as alice set CHG-000002 risk=low >/dev/null)
(cd b && as bob new --title "From B" >/dev/null && as bob comment CHG-000001 -m "B was here" >/dev/null)
cd a
expect 0 "" "$CRQ" sync
grep -q "^pushed 2 steps to origin/main ([0-9a-f]*\.\.$(git rev-parse --short=10 HEAD))$" "$TMP/out" && ok "a pushes first" || not_ok "a: $(cat "$TMP/out")"
cd ../b
expect 0 "" as bob sync
grep -q "^renumbered CHG-000002 to CHG-000003: the id was taken upstream" "$TMP/out" && ok "b's new change renumbered" || not_ok "b: $(cat "$TMP/out")"
grep -q "^pushed to origin/main" "$TMP/out" && ok "b pushes after replaying" || not_ok "b push: $(cat "$TMP/out")"
same "b's change lives at its new id" "$(git cat-file blob HEAD:changes/000/CHG-000003.yaml | grep '^title:')" "title: From B"
same "a's change kept its id" "$(git cat-file blob HEAD:changes/000/CHG-000002.yaml | grep '^title:')" "title: From A"
same "b's comment is on the shared branch" "$(git log --format=%b | grep -c '^B was here$')" "1"
same "the work tree follows" "$(grep '^title:' changes/000/CHG-000003.yaml)" "title: From B"
expect 0 "" "$CRQ" verify
cd ../a
expect 0 "" "$CRQ" sync
grep -q "^fast-forwarded main from [0-9a-f]* to $(git rev-parse --short=10 HEAD) (2 steps)$" "$TMP/out" && ok "a takes the remote" || not_ok "a2: $(cat "$TMP/out")"
expect 0 "" "$CRQ" verify
same "both clones agree" "$(git rev-parse HEAD)" "$(git -C ../b rev-parse HEAD)"
same "ids unique on the shared branch" "$(git -C "$TMP/server.git" ls-tree -r --name-only main changes | sort | uniq -d | wc -l)" "0"

# a clone two people use: alice's sync may not sign bob's local step
(cd ../b && as bob comment CHG-000001 -m "bob's own" >/dev/null)
(cd ../a && as alice comment CHG-000001 -m "moves the remote" >/dev/null && "$CRQ" sync >/dev/null)
cd ../b
before=$(git rev-parse HEAD)
expect 1 "is bob@example.com's: only its author can sign it again" as alice sync
same "the branch is where it was" "$(git rev-parse HEAD)" "$before"
expect 0 "" as bob sync
same "bob's step went out signed by bob" "$(git -C "$TMP/server.git" log -1 --format=%ce main)" "bob@example.com"
cd ../a
"$CRQ" sync >/dev/null

# a step that no longer applies: b edits a change a has cancelled
(cd ../b && as bob set CHG-000002 risk=medium >/dev/null)
as alice cancel CHG-000002 >/dev/null
expect 0 "" "$CRQ" sync
cd ../b
before=$(git rev-parse HEAD)
expect 1 "cannot edit CHG-000002: it is cancelled" as bob sync
grep -q "nothing was pushed and your branch is as it was" "$TMP/err" && ok "the sync stops and explains" || not_ok "stop: $(cat "$TMP/err")"
same "b's branch and step are intact" "$(git rev-parse HEAD)" "$before"
same "the server has a's cancel, not b's edit" "$(git -C "$TMP/server.git" show main:changes/000/CHG-000002.yaml | grep -E '^(state|risk):' | tr '\n' ' ')" "state: cancelled risk: low "

# refusals before anything moves
before=$(git rev-parse HEAD)
expect 128 "no remote 'nowhere'" "$CRQ" sync nowhere
echo "# mine" >>changes/000/CHG-000001.yaml
expect 1 "'changes/000/CHG-000001.yaml' has uncommitted changes; commit or stash them before crq sync" "$CRQ" sync
git checkout -q -- changes/000/CHG-000001.yaml
expect 129 "crq sync works in a checked-out store" "$CRQ" -C "$TMP/server.git" sync
expect 129 "too many arguments" "$CRQ" sync a b
same "refused syncs moved nothing" "$(git rev-parse HEAD)" "$before"

# merging instead of syncing: two clones took the same new id
cd ../a
as alice new --title "A again" >/dev/null
git reset -q --hard
cd ../b
git reset -q --hard origin/main 2>/dev/null
as bob new --title "B again" >/dev/null
cd ../a
"$CRQ" sync >/dev/null 2>&1
cd ../b
git fetch -q origin
git -c user.name=bob -c user.email=bob@example.com merge -q --no-ff -X theirs -m "merge" origin/main >/dev/null 2>&1
expect 1 "" "$CRQ" verify
grep -q "both-sides: both sides created 'changes/000/CHG-000004.yaml': one id, two changes" "$TMP/out" && ok "a duplicate id by merge is refused" || not_ok "dup: $(cat "$TMP/out")"
grep -q "hint: run crq sync" "$TMP/out" && ok "the refusal points at crq sync" || not_ok "hint: $(cat "$TMP/out")"
git reset -q --hard ORIG_HEAD
fsck_clean .
done_testing
