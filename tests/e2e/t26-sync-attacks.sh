#!/bin/sh
# crq sync against what a teammate with push access, or bad luck, can
# do: trees with paths no checkout may write, a kill right after the
# push with new steps made before the next sync, an edit in the way of a
# sync that pushed already, a skipped create whose later steps must not
# land on another change, an assessment of content that changed,
# directories and files trading places, a damaged journal.
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
as alice set CHG-000001 implementation_plan="plan A" backout_plan=restore \
	test_plan=smoke >/dev/null
as alice submit CHG-000001 >/dev/null
mkdir lib && echo 'int x;' >lib/util.c && echo 'port=1' >config
git add lib config && git -c commit.gpgsign=false commit -q -m "code"
cd ..
git clone -q --bare seed server.git
expect 0 "" sh -c "cd server.git && '$CRQ' hook install"
grep -q "set receive.fsckObjects = true" "$TMP/out" && ok "hook install turns on git's own object checks" || not_ok "fsck: $(cat "$TMP/out")"
for x in a b c d; do git clone -q server.git $x; done
srv() { git -C "$TMP/server.git" "$@"; }

# --- trees with paths no checkout may write -------------------------------
cd d
blob=$(printf '#!/bin/sh\necho PWNED >"%s/pwned"\n' "$TMP" | git hash-object -w --stdin)
hooks=$(printf '100755 blob %s\tpost-commit\n' "$blob" | git mktree)
dotgit=$(printf '040000 tree %s\thooks\n' "$hooks" | git mktree)
evil=$( (git ls-tree HEAD; printf '040000 tree %s\t.git\n' "$dotgit") | git mktree)
c=$(git commit-tree -p HEAD -m "innocent code" "$evil")
git push -q origin "$c:refs/heads/main" 2>"$TMP/err" && not_ok "the server took a .git path" || ok "the server refuses a tree with a .git path"
grep -q "hasDotgit" "$TMP/err" && ok "git names why" || not_ok "why: $(cat "$TMP/err")"
# a server without those checks: the client still refuses to write it
git -C ../server.git config receive.fsckObjects false
git push -q origin "$c:refs/heads/main"
up=$(printf '100644 blob %s\tOUTSIDE.txt\n' "$blob" | git mktree)
dotdot=$( (git ls-tree "$evil"; printf '040000 tree %s\t..\n' "$up") | git mktree)
cd ../b
expect 1 "the remote's tree has a path no checkout may write: '.git/hooks/post-commit'" as bob sync
check "nothing written into .git" test ! -e .git/hooks/post-commit
cd ../c
as carol comment CHG-000001 -m hi >/dev/null
expect 1 "no checkout may write: '.git/hooks/post-commit'" as carol sync
check "nor while replaying" test ! -e .git/hooks/post-commit
cd ../d
git push -q origin "$(git commit-tree -p "$c" -m "more innocent code" "$dotdot"):refs/heads/main"
cd ../b
expect 1 "no checkout may write: '../OUTSIDE.txt'" as bob sync
check "nothing written outside the clone" test ! -e "$TMP/OUTSIDE.txt"
check "no hook ran" test ! -e "$TMP/pwned"
# put the server back
git -C ../server.git update-ref refs/heads/main "$(git -C ../seed rev-parse HEAD)"
git -C ../server.git config receive.fsckObjects true
for x in b c; do (cd ../$x && git fetch -q origin && git reset -q --hard origin/main && rm -f .git/crq/sync-state); done

# --- killed right after the push, a new step before the next sync ---------
cat >"$TMP/gitwrap" <<'EOF'
#!/bin/sh
git "$@"; rc=$?
case "$*" in *" push "*) kill -9 $PPID ;; esac
exit $rc
EOF
chmod +x "$TMP/gitwrap"
cd ../a
as alice comment CHG-000001 -m "from a" >/dev/null && as alice sync >/dev/null
cd ../b
as bob comment CHG-000001 -m "b one" >/dev/null
CRQ_GIT=$TMP/gitwrap as bob sync >/dev/null 2>&1
same "the sync was killed after its push" "$(grep '^phase' .git/crq/sync-state)" "phase push"
expect 0 "" as bob comment CHG-000001 -m "b two, after the kill"
expect 0 "" as bob sync
grep -q "newer step of yours replay onto it" "$TMP/out" && ok "the sync says what it found" || not_ok "found: $(cat "$TMP/out")"
same "b one on the server once" "$(srv log --format=%B main | grep -c '^b one$')" "1"
same "b two on the server once" "$(srv log --format=%B main | grep -c '^b two, after the kill$')" "1"
same "b agrees with the server" "$(git rev-parse HEAD)" "$(srv rev-parse main)"

# --- an edit in the way of a sync that pushed already ---------------------
cat >"$TMP/gitwrap2" <<EOF
#!/bin/sh
git "\$@"; rc=\$?
case "\$*" in *" push "*) echo "# mine" >>"$TMP/b/changes/000/CHG-000001.yaml" ;; esac
exit \$rc
EOF
chmod +x "$TMP/gitwrap2"
(cd ../a && as alice sync >/dev/null && as alice set CHG-000001 backout_plan="a again" >/dev/null && as alice sync >/dev/null)
as bob set CHG-000001 test_plan="b three" >/dev/null
expect 1 "crq sync pushed" env CRQ_GIT="$TMP/gitwrap2" \
	GIT_AUTHOR_NAME=bob GIT_AUTHOR_EMAIL=bob@example.com \
	GIT_COMMITTER_NAME=bob GIT_COMMITTER_EMAIL=bob@example.com \
	"$CRQ" -c user.signingkey="$(keyfor bob)" sync
grep -q "'changes/000/CHG-000001.yaml' has uncommitted changes that crq sync would overwrite" "$TMP/err" && ok "names the file in the way" || not_ok "in the way: $(cat "$TMP/err")"
same "the edit was not overwritten" "$(tail -1 changes/000/CHG-000001.yaml)" "# mine"
git checkout -q -- changes/000/CHG-000001.yaml
as bob comment CHG-000001 -m "b four" >/dev/null
expect 0 "" as bob sync
same "b's edit on the server" "$(srv show main:changes/000/CHG-000001.yaml | grep '^test_plan:')" "test_plan: b three"
same "made once" "$(srv log --format=%s main | grep -c 'CHG-000001: edit')" "3"
same "b four on the server once" "$(srv log --format=%B main | grep -c '^b four$')" "1"
same "no journal left" "$(ls .git/crq/sync-state 2>/dev/null)" ""

# --- a skipped create takes its later steps with it ------------------------
cd ../c
as carol sync >/dev/null 2>&1
as carol new --title "Carol's change" >/dev/null
as carol set CHG-000002 implementation_plan="carol's plan" >/dev/null
as carol comment CHG-000002 -m "carol: note on MY change" >/dev/null
cd ../a
as alice sync >/dev/null
as alice new --title "Alice's change" >/dev/null
as alice role revoke carol@example.com requester >/dev/null
as alice sync >/dev/null
cd ../c
expect 1 "may not create changes" as carol sync
expect 0 "" as carol sync --skip
grep -q "(edit CHG-000002): the change's create was skipped" "$TMP/out" && ok "its edit goes with it" || not_ok "edit: $(cat "$TMP/out")"
grep -q "(comment CHG-000002): the change's create was skipped" "$TMP/out" && ok "its comment goes with it" || not_ok "comment: $(cat "$TMP/out")"
same "alice's change is untouched" "$(srv show main:changes/000/CHG-000002.yaml | grep -c "carol")" "0"
same "no note of carol's on it" "$(srv log --format=%B main | grep -c 'note on MY change')" "0"
check "carol's steps are kept" git cat-file -e refs/crq/sync/main

# --- an assessment holds for the content it assessed -------------------------
cd ../a
as alice role grant carol@example.com requester >/dev/null
as alice new --title "Replica" --impact low --urgency low >/dev/null
as alice set CHG-000003 implementation_plan="restart one replica" backout_plan=b test_plan=t >/dev/null
as alice submit CHG-000003 >/dev/null
as alice sync >/dev/null
cd ../b
as bob sync >/dev/null
as bob assess CHG-000003 --risk low >/dev/null
cd ../a
as alice set CHG-000003 implementation_plan="drop the database and restore from tape" >/dev/null
as alice sync >/dev/null
cd ../b
expect 1 "your assess of CHG-000003 was taken on content that changed upstream: look at it again" as bob sync
same "the server has no risk on the new plan" "$(srv show main:changes/000/CHG-000003.yaml | grep -c '^risk:')" "0"
expect 0 "" as bob sync --skip
expect 0 "" as bob assess CHG-000003 --risk high
expect 0 "" as bob sync
same "the new assessment is on the server" "$(srv show main:changes/000/CHG-000003.yaml | grep '^risk:')" "risk: high"

# --- directories and files trade places ----------------------------------
cd ../d
git fetch -q origin && git reset -q --hard origin/main
git rm -q -r lib config
echo 'lib is a file now' >lib
mkdir config && echo 'port=2' >config/main.conf
git add lib config
git -c commit.gpgsign=false commit -q -m "swap"
git push -q origin HEAD:main
cd ../b
as bob comment CHG-000003 -m "b swaps" >/dev/null
expect 0 "" as bob sync
same "the directory became a file" "$(cat lib)" "lib is a file now"
same "the file became a directory" "$(cat config/main.conf)" "port=2"
same "git agrees: clean" "$(git status --porcelain)" ""

# --- a damaged journal ---------------------------------------------------------
echo "garbage" >.git/crq/sync-state
expect 128 "is damaged" as bob sync
expect 0 "" as bob sync --abort
grep -q "removed the damaged journal" "$TMP/out" && ok "--abort removes it" || not_ok "abort: $(cat "$TMP/out")"
expect 0 "" as bob sync

for x in a b c; do
	(cd ../$x && as alice sync >/dev/null 2>&1)
	expect 0 "" "$CRQ" -C "$TMP/$x" verify
done
# b and c fetched the hostile trees: their object stores hold them
check "git fsck clean in a" git -C "$TMP/a" fsck --strict --no-progress
done_testing
