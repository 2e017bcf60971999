#!/bin/sh
# What a team (or a hostile process) does next to crq edit and the
# hooks: a concurrent step while the editor is open, a second editor of
# the same change, odd things at the kept file's path, an edit the state
# does not allow, a role granted again, a history whose policy was
# deleted and replaced, commits that delete the policy or move a change
# file.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role cab --role change-manager --role implementer >/dev/null
as alice member add dave@example.com --key "$(keyfor dave).pub" --name Dave \
	--role change-manager >/dev/null
as alice new --title "Patch web" --service web >/dev/null
f=changes/000/CHG-000001.yaml
kept=.git/CRQ_EDIT_CHG-000001.yaml
E=$TMP/ed
mkdir -p "$E"
cat >"$E/slow" <<EOF
#!/bin/sh
cp "\$1" "$TMP/buf"
touch "$TMP/in"
while [ ! -f "$TMP/go" ]; do sleep 0.1; done
sed "s/^type: .*/type: normal\\nrisk: low/" "$TMP/buf" >"\$1"
EOF
cat >"$E/risk" <<'EOF'
#!/bin/sh
sed -i '/^# /d' "$1"
grep -q '^risk:' "$1" || sed -i 's/^type: .*/type: normal\nrisk: low/' "$1"
EOF
printf '#!/bin/sh\nsed -i "s/^title: .*/title: retitled/" "$1"\n' >"$E/title"
chmod +x "$E"/*

# --- a step while the editor is open ---------------------------------------
EDITOR=$E/slow "$CRQ" edit CHG-000001 >"$TMP/a.out" 2>"$TMP/a.err" &
pa=$!
while [ ! -f "$TMP/in" ]; do sleep 0.1; done
# a second editor of the same change waits its turn
expect 1 "another crq is editing '$(pwd)/$kept' right now" env EDITOR="$E/title" "$CRQ" edit CHG-000001
as bob set CHG-000001 "title=B words" "services=[web, db]" >/dev/null
touch "$TMP/go"
wait $pa
rc=$?
same "the stale save is refused" "$rc" "1"
grep -q "CHG-000001 changed while this text was being edited (title, services): saving it as it is would undo that" "$TMP/a.err" && ok "it names what moved" || not_ok "moved: $(cat "$TMP/a.err")"
same "bob's step stands" "$(git cat-file blob HEAD:$f | grep '^title:')" "title: B words"
check "the text is kept" test -f $kept
# the next edit reopens it; saved again (the user has seen the news) it goes
expect 0 "" env EDITOR="$E/risk" "$CRQ" edit CHG-000001
same "the kept text was committed on the second save" "$(git cat-file blob HEAD:$f | grep -E '^risk:')" "risk: low"
check "the kept text and its base are gone" test ! -e $kept -a ! -e $kept.base

# --- odd things at the kept path ----------------------------------------------
python3 -c "import sys; open(sys.argv[1], 'w').write('title: x\ndescription: ' + 'x' * 1100000 + '\n')" $kept
expect 1 "is too large to be a change; it is not reopened" env EDITOR="$E/title" "$CRQ" edit CHG-000001
expect 0 "dropped what was kept" "$CRQ" edit CHG-000001 --discard
check "--discard removes it" test ! -e $kept
echo "title: From victim" >"$TMP/victim"
ln -s "$TMP/victim" $kept
expect 1 "is not a regular file; it is not reopened" env EDITOR="$E/title" "$CRQ" edit CHG-000001
expect 0 "" "$CRQ" edit CHG-000001 --discard
check "--discard removes the link, not what it points to" test ! -L $kept -a -f "$TMP/victim"
same "and does not print it" "$(cat "$TMP/out")" ""
mkdir $kept
expect 1 "is not a regular file" env EDITOR="$E/title" "$CRQ" edit CHG-000001
expect 0 "" "$CRQ" edit CHG-000001 --discard
check "an empty directory there is removed" test ! -e $kept

# a title with a terminal escape, made by hand with plain git and a
# member's key: verify refuses it
git checkout -q -b escape
sed -i "s/^title: .*/title: \"ok\\\\e]0;pwned\\\\a\"/" $f
git add $f
gitas alice "$(keyfor alice)" commit -q -S --no-verify -m "$(msg CHG-000001 edit draft draft)"
refused escape control-character
git checkout -q main
git branch -q -D escape

# --- an edit the state does not allow: refused before the editor ----------
as alice set CHG-000001 implementation_plan=p backout_plan=b test_plan=t impact=low >/dev/null
as alice submit CHG-000001 >/dev/null
as bob assess CHG-000001 --risk low >/dev/null
as dave approve CHG-000001 >/dev/null
printf '#!/bin/sh\ntouch "%s/editor-ran"\n' "$TMP" >"$E/spy"
chmod +x "$E/spy"
expect 1 "cannot edit CHG-000001: it is authorized" env EDITOR="$E/spy" "$CRQ" edit CHG-000001
check "the editor never opened" test ! -e "$TMP/editor-ran"
check "nothing kept" test ! -e $kept

# --- text that would reach other members' terminals ----------------------
n=$(git rev-list --count HEAD)
expect 1 "'description' holds a control character (U+001B)" as alice new --title x --set "description=$(printf 'ok\033]0;pwned\007')"
expect 1 "a task of CHG-000001 holds a control character (U+0007)" as alice task add CHG-000001 --title "$(printf 'ring\007')"
same "no commit for either" "$(git rev-list --count HEAD)" "$n"

# --- a role granted again -----------------------------------------------------
n=$(git rev-list --count HEAD)
expect 1 "bob@example.com already holds cab: nothing to change" as alice role grant bob@example.com cab
same "no commit, wherever the role is in the list" "$(git rev-list --count HEAD)" "$n"
expect 129 "--until '2027-13-01' is not a day" as alice role grant bob@example.com cab --until 2027-13-01

# --- the pre-commit hook: the policy and the layout ---------------------------
"$CRQ" hook install >/dev/null
check "pre-merge-commit installed" test -x .git/hooks/pre-merge-commit
git rm -q .crq/policy.yaml
git -c commit.gpgsign=false commit -q -m "no policy" 2>"$TMP/err" && not_ok "the policy's deletion was committed" || ok "the policy's deletion is refused"
grep -q "the policy cannot be deleted" "$TMP/err" && ok "and says why" || not_ok "why: $(cat "$TMP/err")"
git reset -q --hard
mkdir -p changes/000/sub
git mv $f changes/000/sub/CHG-000001.yaml
git -c commit.gpgsign=false commit -q -m "moved" 2>"$TMP/err" && not_ok "a moved change file was committed" || ok "a change file out of place is refused"
grep -q "CHG-000001 lives at 'changes/000/CHG-000001.yaml', not here" "$TMP/err" && ok "and says where it lives" || not_ok "where: $(cat "$TMP/err")"
git reset -q --hard

# --- a first verify of a history whose policy was replaced ---------------------
cp .crq/policy.yaml "$TMP/pol"
git checkout -q -b nopol
git rm -q .crq/policy.yaml
gitas alice "$(keyfor alice)" commit -q -S --no-verify -m "remove policy"
sed "s/alice@example.com/mallory@example.com/" "$TMP/pol" >.crq/policy.yaml
git add -A
gitas mallory "$(keyfor mallory)" commit -q -S --no-verify -m "policy: new"
rm -f .git/crq/trust
git config --unset crq.trust 2>/dev/null
expect 1 "" "$CRQ" verify
grep -q "policy-invalid: the policy was deleted" "$TMP/out" && ok "the first verify pins the store's first commit, not the replacement" || not_ok "pin: $(cat "$TMP/out")"
same "the pinned root is the store's first commit" "$(cut -c1-12 .git/crq/trust)" "$(git rev-list --max-parents=0 HEAD | cut -c1-12)"
git checkout -q main
done_testing
