#!/bin/sh
# crq sync never skips a check and never loses work: git pushes (so the
# server's pre-receive hook runs on a local path, file:// and git://),
# decisions replay only onto what they decided on, policy steps replay
# as operations, uncommitted edits anywhere survive, a kill at any point
# loses no step, a skewed clock keeps verify clean, and steps that would
# change nothing are refused.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init seed >/dev/null
cd seed
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role requester --role change-manager --role admin >/dev/null
as alice member add carol@example.com --key "$(keyfor carol).pub" --name Carol \
	--role requester --role cab >/dev/null
as alice member add dave@example.com --key "$(keyfor dave).pub" --name Dave \
	--role requester >/dev/null
as alice new --title "Plan A" --service db --impact low --urgency low >/dev/null
as alice set CHG-000001 implementation_plan="plan A" backout_plan="restore" \
	test_plan="smoke" >/dev/null
as alice submit CHG-000001 >/dev/null
as bob assess CHG-000001 --risk low >/dev/null
cd ..
git clone -q --bare seed server.git
(cd server.git && "$CRQ" hook install >/dev/null)
git clone -q server.git a
git clone -q server.git b

# --- the server's hook runs on a local path ------------------------------
cd a
printf 'title: sneaky\n' >>changes/000/CHG-000001.yaml
git -c commit.gpgsign=false commit -q -am "not a crq step"
expect 1 "origin/main refused the push" "$CRQ" sync
grep -q "^remote: crq: " "$TMP/err" && ok "the pre-receive hook's words reach the user" || not_ok "hook words: $(cat "$TMP/err")"
same "nothing reached the server" "$(git -C ../server.git rev-parse main)" "$(git -C ../seed rev-parse HEAD)"
git reset -q --hard origin/main

# and on file://
git remote add viafile "file://$TMP/server.git"
printf 'title: sneaky\n' >>changes/000/CHG-000001.yaml
git -c commit.gpgsign=false commit -q -am "not a crq step"
expect 1 "viafile/main refused the push" "$CRQ" sync viafile
git reset -q --hard origin/main
git remote remove viafile

# and on git:// (git daemon)
mkdir "$TMP/srv"
ln -s "$TMP/server.git" "$TMP/srv/server.git"
serve server.git
git remote add viagit "$GITURL/server.git"
printf 'title: sneaky\n' >>changes/000/CHG-000001.yaml
git -c commit.gpgsign=false commit -q -am "not a crq step"
expect 1 "viagit/main refused the push" "$CRQ" sync viagit
grep -q "^remote: crq: " "$TMP/err" && ok "over git:// too" || not_ok "git:// hook words: $(cat "$TMP/err")"
git reset -q --hard origin/main
git remote remove viagit
same "nothing reached the server on any transport" "$(git -C ../server.git rev-parse main)" "$(git -C ../seed rev-parse HEAD)"

# and this clone's own pre-push hook is named as such
"$CRQ" hook install >/dev/null
printf 'title: sneaky\n' >>changes/000/CHG-000001.yaml
git -c commit.gpgsign=false commit -q --no-verify -am "not a crq step"
expect 1 "the push to origin/main was refused here, by this clone's pre-push hook" "$CRQ" sync
grep -q "hint: nothing was pushed; your branch is as it was; fix or drop the commits it names (git log origin/main..)" "$TMP/err" && ok "and says what to do" || not_ok "hint: $(cat "$TMP/err")"
git reset -q --hard origin/main
rm .git/hooks/pre-push .git/hooks/pre-commit .git/hooks/pre-merge-commit

# --- a clone left on the remote's default branch ----------------------------
git clone -q ../server.git "$TMP/other" 2>/dev/null
git -C "$TMP/other" checkout -q --orphan master 2>/dev/null
git -C "$TMP/other" rm -rq . 2>/dev/null
expect 128 "hint: the store is on origin/main: git checkout main" "$CRQ" -C "$TMP/other" list
rm -rf "$TMP/other"

# --- a decision replays only onto the content it decided on --------------
cd ../b
expect 0 "" as bob approve CHG-000001 -m "plan A is fine"
cd ../a
expect 0 "" as alice set CHG-000001 implementation_plan="plan B, quite different"
expect 0 "" as alice sync
cd ../b
before=$(git rev-parse HEAD)
expect 1 "your approval of CHG-000001 was for content that changed upstream: review it again" as bob sync
same "b's branch kept the approval" "$(git rev-parse HEAD)" "$before"
same "the step is recorded under the crq ref" "$(git rev-parse refs/crq/sync/main)" "$before"
same "the server has plan B without bob's approval" "$(git -C ../server.git show main:changes/000/CHG-000001.yaml | grep -c 'by: bob@example.com')" "0"
expect 1 "your approval of CHG-000001 was for content" as bob sync
grep -q "^found a stopped crq sync" "$TMP/out" && ok "a second sync says what it found" || not_ok "found: $(cat "$TMP/out")"
expect 0 "" as bob sync --skip
grep -q "^dropping .* from the sync (kept at refs/crq/sync/main)" "$TMP/out" && ok "--skip says what it drops" || not_ok "skip: $(cat "$TMP/out")"
same "b now has plan B" "$(grep '^implementation_plan:' changes/000/CHG-000001.yaml)" "implementation_plan: plan B, quite different"
same "the skipped approval is still recoverable" "$(git cat-file -t refs/crq/sync/main)" "commit"
expect 0 "" as bob approve CHG-000001 -m "plan B reviewed"
expect 0 "" as bob sync
same "bob's new approval is on the server, signed by bob" "$(git -C ../server.git log -1 --format=%ce main)" "bob@example.com"
expect 1 "no crq sync is in progress" as bob sync --continue
expect 1 "no crq sync is in progress" as bob sync --abort
expect 129 "--skip and --abort together" as bob sync --skip --abort
expect 129 "unknown option '--force'" as bob sync --force

# an approval on unchanged content replays as bob's own
cd ../a
as alice sync >/dev/null
as alice new --title "Second" --impact low --urgency low >/dev/null
as alice set CHG-000002 implementation_plan=p backout_plan=b test_plan=t >/dev/null
as alice submit CHG-000002 >/dev/null
as alice sync >/dev/null
cd ../b
as bob sync >/dev/null
as bob assess CHG-000002 --risk low >/dev/null
as bob sync >/dev/null
cd ../a
as alice sync >/dev/null
as alice comment CHG-000002 -m "a comment changes no content" >/dev/null
as alice sync >/dev/null
cd ../b
expect 0 "" as bob approve CHG-000002
expect 0 "" as bob sync
grep -q "^replayed approve CHG-000002" "$TMP/out" && ok "an approval replays onto the same content" || not_ok "replay: $(cat "$TMP/out")"
same "signed by bob" "$(git -C ../server.git log -1 --format=%ce main)" "bob@example.com"
same "and it authorized the change" "$(git -C ../server.git show main:changes/000/CHG-000002.yaml | grep '^state:')" "state: authorized"
expect 0 "" "$CRQ" verify

# --- policy steps replay as operations -----------------------------------
cd ../a
as alice sync >/dev/null
expect 0 "" as alice member remove dave@example.com
expect 0 "" as alice sync
cd ../b
as bob sync >/dev/null
expect 0 "" as bob role grant carol@example.com implementer
cd ../a
expect 0 "" as alice role grant bob@example.com reviewer
expect 0 "" as alice sync
cd ../b
expect 0 "" as bob sync
grep -q "^replayed policy: grant implementer to carol@example.com" "$TMP/out" && ok "the grant replays as a grant" || not_ok "grant: $(cat "$TMP/out")"
policy=$(git -C ../server.git show main:.crq/policy.yaml)
printf '%s\n' "$policy" | grep -q "dave@example.com" && not_ok "dave came back" || ok "the removal upstream stands"
printf '%s\n' "$policy" | "$PY" -c '
import sys, yaml
p = yaml.safe_load(sys.stdin)
m = {x["email"]: x for x in p["members"]}
roles = lambda e: sorted(r if isinstance(r, str) else r["role"] for r in m[e]["roles"])
assert "implementer" in roles("carol@example.com"), roles("carol@example.com")
assert "reviewer" in roles("bob@example.com"), roles("bob@example.com")
' && ok "both grants are in the policy" || not_ok "grants lost"
# two admins change one member two ways: the sync stops naming both steps
cd ../a
as alice sync >/dev/null
expect 0 "" as alice member remove carol@example.com
expect 0 "" as alice sync
cd ../b
expect 0 "" as bob role revoke carol@example.com cab
expect 1 "and upstream's" as bob sync
grep -q "remove member carol@example.com" "$TMP/err" && ok "the conflict names the upstream step" || not_ok "conflict: $(cat "$TMP/err")"
grep -q "revoke cab from carol@example.com" "$TMP/err" && ok "the conflict names the local step" || not_ok "conflict: $(cat "$TMP/err")"
expect 0 "" as bob sync --abort
grep -q "^aborted the sync" "$TMP/out" && ok "--abort says so" || not_ok "abort: $(cat "$TMP/out")"
git reset -q --keep origin/main 2>/dev/null || git reset -q --hard origin/main
as bob sync >/dev/null 2>&1

# --- empty steps are refused ----------------------------------------------
cd ../a
as alice sync >/dev/null
head=$(git rev-parse HEAD)
as alice new --title "Draft" >/dev/null
head=$(git rev-parse HEAD)
expect 1 "CHG-000003: nothing to change" as alice set CHG-000003 title=Draft
expect 0 "" as bob schedule CHG-000002 --start 2026-12-10T10:00:00Z --end 2026-12-10T11:00:00Z
head=$(git rev-parse HEAD)
same "the first schedule is a step" "$(git log -1 --format=%ce)" "bob@example.com"
expect 1 "CHG-000002: nothing to change" as bob schedule CHG-000002 --start 2026-12-10T10:00:00Z --end 2026-12-10T11:00:00Z
expect 1 "CHG-000002: nothing to change" as bob schedule CHG-000002 --start 2026-12-10T11:00:00+01:00 --end 2026-12-10T12:00:00+01:00
expect 1 "nothing to change" as alice role grant bob@example.com reviewer
same "no commit for any of them" "$(git rev-parse HEAD)" "$head"
as bob sync >/dev/null
expect 0 "" as alice comment CHG-000002 -m "a comment is a step"
same "a comment is one commit" "$(git rev-list --count $head..HEAD)" "1"
# an empty step made by an older crq (with plain git) is dropped by sync
msg CHG-000002 comment submitted submitted >"$TMP/m"
git -c user.email=alice@example.com commit -q --allow-empty -S -F "$TMP/m"
sed -i 's/Crq-Action: comment/Crq-Action: schedule/' "$TMP/m"
git commit -q --amend --allow-empty -S -F "$TMP/m"
(cd ../b && as bob sync >/dev/null 2>&1; as bob comment CHG-000002 -m "moves upstream" >/dev/null && as bob sync >/dev/null)
expect 0 "" as alice sync
grep -q "it changed nothing" "$TMP/out" && ok "the old empty step is dropped, not a stop" || not_ok "empty: $(cat "$TMP/out")"

# --- uncommitted edits anywhere in the work tree survive ------------------
cd "$TMP"
mkdir code && cd code
git init -q
printf 'int main(void)\n{\n\treturn 0;\n}\n\n\n/* end */\n' >app.c
git add app.c
git -c commit.gpgsign=false commit -q -m "code"
"$CRQ" init . >/dev/null
git clone -q --bare . ../code.git
git remote add origin ../code.git
git fetch -q origin
git branch -q -u origin/main
git clone -q ../code.git ../code2
sed -i '1i /* my edit */' app.c
echo 'scratch' >notes.txt
(cd ../code2 && as alice new --title "from code2" >/dev/null && "$CRQ" sync >/dev/null)
as alice new --title "here" >/dev/null
expect 0 "" "$CRQ" sync
same "the uncommitted code edit survives a replaying sync" "$(head -1 app.c)" "/* my edit */"
same "the untracked file survives" "$(cat notes.txt)" "scratch"
# ... and every other command that writes
printf '#!/bin/sh\nsed -i "s/^title: .*/title: edited here/" "$1"\n' >"$TMP/ed-title"
chmod +x "$TMP/ed-title"
id=$(git ls-tree -r --name-only HEAD changes | sed -n '$s,.*/,,; $s,\.yaml,,p')
as alice set "$id" risk=low >/dev/null &&
	EDITOR="$TMP/ed-title" as alice edit "$id" >/dev/null &&
	as alice comment "$id" -m "busy" >/dev/null &&
	as alice new --title "another" >/dev/null &&
	as alice cancel "$id" >/dev/null &&
	ok "set, edit, comment, new, cancel next to the edit" || not_ok "a command failed next to an uncommitted edit"
same "the code edit survives them all" "$(head -1 app.c)" "/* my edit */"
same "git sees only the user's own edit" "$(git status --porcelain)" " M app.c
?? notes.txt"
expect 0 "" "$CRQ" sync
# upstream changes app.c: the sync refuses to overwrite the edit
(cd ../code2 && "$CRQ" sync >/dev/null && echo 'int x;' >>app.c && git -c commit.gpgsign=false commit -q -am "code2 code" && git push -q origin main)
before=$(git rev-parse HEAD)
expect 1 "'app.c' has uncommitted changes that crq sync would overwrite" "$CRQ" sync
same "the edit is intact" "$(head -1 app.c)" "/* my edit */"
same "the branch did not move" "$(git rev-parse HEAD)" "$before"
git stash -q
expect 0 "" "$CRQ" sync
grep -q "^fast-forwarded main from" "$TMP/out" && ok "after stashing it fast-forwards" || not_ok "ff: $(cat "$TMP/out")"
git stash pop -q >/dev/null
same "and the edit comes back" "$(head -1 app.c)" "/* my edit */"
same "next to the code it fast-forwarded to" "$(tail -1 app.c)" "int x;"

# --- a skewed clock ---------------------------------------------------------
cd "$TMP/b"
as bob sync >/dev/null 2>&1
tip=$(git log -1 --format=%ct)
behind=$(date -u -d "@$((tip - 35))" +%Y-%m-%dT%H:%M:%SZ)
GIT_COMMITTER_DATE=$behind GIT_AUTHOR_DATE=$behind as bob comment CHG-000002 -m "35 s behind" >/dev/null 2>"$TMP/err"
[ "$(git log -1 --format=%ct)" -ge "$tip" ] && ok "a step is never dated before its parent" || not_ok "dated back"
far=$(date -u -d "@$((tip - 3600))" +%Y-%m-%dT%H:%M:%SZ)
GIT_COMMITTER_DATE=$far GIT_AUTHOR_DATE=$far as bob comment CHG-000002 -m "an hour behind" >/dev/null 2>"$TMP/err"
grep -q "warning: your clock is 3600s behind the branch" "$TMP/err" && ok "an hour behind is said" || not_ok "warning: $(cat "$TMP/err")"
(cd ../a && as alice sync >/dev/null 2>&1 && as alice comment CHG-000002 -m "a, on time" >/dev/null && as alice sync >/dev/null)
GIT_COMMITTER_DATE=$behind GIT_AUTHOR_DATE=$behind expect 0 "" as bob sync
expect 0 "" "$CRQ" verify
(cd ../a && as alice sync >/dev/null && "$CRQ" verify >/dev/null 2>&1) && ok "verify clean in a too" || not_ok "verify in a"

fsck_clean "$TMP/a"
fsck_clean "$TMP/b"
done_testing
