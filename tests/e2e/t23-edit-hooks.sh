#!/bin/sh
# The text of a refused crq edit / crq new is kept, reopened by the next
# run with the error on top, and dropped only when committed, emptied or
# discarded; a scripted editor that never fixes it stops after a few
# rounds.  The installed pre-commit hook checks what git will commit,
# whatever the index: git add + commit, git commit -a, git commit PATH.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
"$CRQ" new --title "Patch web" --service web >/dev/null
f=changes/000/CHG-000001.yaml
k=.git/CRQ_EDIT_CHG-000001.yaml
kept="$(pwd)/$k"

# editors: each counts its rounds in $HOME/rounds
cat >"$TMP/ed-bad" <<'EOT'
#!/bin/sh
echo x >>"$HOME/rounds"
grep -q '^# error' "$1" && exit 0
sed -i 's/^risk: .*//; s/^title: .*/title: My careful words\nrisk: extreme/' "$1"
EOT
cat >"$TMP/ed-reopen" <<'EOT'
#!/bin/sh
head -1 "$1" | grep -q "^# error: .*'risk' must be one of" || exit 3
grep -q '^title: My careful words' "$1" || exit 4
sed -i 's/^risk: .*/risk: low/' "$1"
EOT
cat >"$TMP/ed-grow" <<'EOT'
#!/bin/sh
echo x >>"$HOME/rounds"
echo "colour$(wc -l <"$HOME/rounds"): red" >>"$1"
EOT
cat >"$TMP/ed-same" <<'EOT'
#!/bin/sh
echo x >>"$HOME/rounds"
sed -i 's/^risk: .*/risk: extreme/' "$1"
EOT
cat >"$TMP/ed-fail" <<'EOT'
#!/bin/sh
sed -i 's/^title: .*/title: Half done/' "$1"
exit 3
EOT
printf '#!/bin/sh\n: >"$1"\n' >"$TMP/ed-empty"
printf '#!/bin/sh\ntrue\n' >"$TMP/ed-noop"
chmod +x "$TMP"/ed-*
rounds() { wc -l <"$HOME/rounds" | tr -d ' '; rm -f "$HOME/rounds"; }

before=$(state .)
# a refused edit keeps the text, the error on top
expect 1 "your text is kept in '$kept'" env EDITOR="$TMP/ed-bad" "$CRQ" edit CHG-000001
grep -qF "hint: 'crq edit CHG-000001' reopens it, 'crq edit CHG-000001 --discard' drops it" "$TMP/err" &&
	ok "the refusal says how to reopen and drop" || not_ok "hint: $(cat "$TMP/err")"
same "unchanged after the refusal: stopped at once" "$(rounds)" "2"
check "the user's words are kept" grep -q "^title: My careful words" $k
same "the kept text has the error on top" "$(head -1 $k | cut -c1-9)" "# error: "
# the next edit reopens it: saved unchanged, it is kept again
expect 1 "reopening the text kept in '$kept'" env EDITOR="$TMP/ed-noop" "$CRQ" edit CHG-000001
grep -q "^error: .*'risk' must be one of" "$TMP/err" && ok "the reopened text's error is repeated" ||
	not_ok "error: $(cat "$TMP/err")"
check "saved unchanged: still kept" grep -q "^title: My careful words" $k
same "refused edits left the repository unchanged" "$(state .)" "$before"
# the next edit sees it with the error on top; committed, it is removed
expect 0 "reopening the text kept in" env EDITOR="$TMP/ed-reopen" "$CRQ" edit CHG-000001
same "the kept text was committed" "$(git cat-file blob HEAD:$f | grep -E '^(title|risk):' | tr '\n' ' ')" \
	"title: My careful words risk: low "
same "committed: the kept file is removed" "$(ls $k 2>/dev/null)" ""
expect 1 "CHG-000001: nothing to change" env EDITOR="$TMP/ed-noop" "$CRQ" edit CHG-000001
same "and the next edit starts from the committed file" "$(ls $k 2>/dev/null)" ""

# --discard drops it explicitly, printing what it dropped
before=$(state .)
expect 1 "'risk' must be one of" env EDITOR="$TMP/ed-same" "$CRQ" edit CHG-000001
same "the same invalid text twice: stopped at once" "$(rounds)" "2"
cp $k "$TMP/kept"
expect 0 "dropped the text kept in '$kept'" "$CRQ" edit CHG-000001 --discard
same "--discard prints the dropped text" "$(cat "$TMP/out")" "$(cat "$TMP/kept")"
same "--discard removed it" "$(ls $k 2>/dev/null)" ""
expect 0 "CHG-000001: no kept text to discard" "$CRQ" edit --discard CHG-000001
expect 1 "is not a change id of this store" "$CRQ" edit ../../x --discard
expect 129 "unknown option '--drop'" "$CRQ" edit CHG-000001 --drop

# an editor that never fixes its text stops after 5 rounds
expect 1 "still refused after 5 rounds" env EDITOR="$TMP/ed-grow" "$CRQ" edit CHG-000001
grep -qF "your text is kept in '$kept'" "$TMP/err" && ok "the kept file is named" ||
	not_ok "path: $(cat "$TMP/err")"
same "5 rounds, not thousands" "$(rounds)" "5"
check "the last text is kept" grep -q "^colour5: red" $k
# emptying the file gives up and drops it
expect 1 "aborting: the text is empty" env EDITOR="$TMP/ed-empty" "$CRQ" edit CHG-000001
same "emptied: the kept file is dropped" "$(ls $k 2>/dev/null)" ""
# a failing editor stops; what it wrote is kept, nothing else is
expect 1 "the editor '$TMP/ed-fail' failed" env EDITOR="$TMP/ed-fail" "$CRQ" edit CHG-000001
check "the failed editor's text is kept" grep -q "^title: Half done" $k
same "with the failure on top" "$(head -1 $k)" "# error: the editor failed on this text"
expect 1 "the editor 'false' failed" env EDITOR=false "$CRQ" edit CHG-000001
check "a failing editor never drops kept text" grep -q "^title: Half done" $k
expect 0 "" "$CRQ" edit CHG-000001 --discard
expect 1 "the editor 'false' failed" env EDITOR=false "$CRQ" edit CHG-000001
same "nothing of the user's: nothing kept" "$(ls $k 2>/dev/null)" ""
same "refused edits left the repository unchanged" "$(state .)" "$before"
fsck_clean .

# crq new --edit: the same
n=.git/CRQ_NEW.yaml
cat >"$TMP/ed-new" <<'EOT'
#!/bin/sh
grep -q '^# error' "$1" && exit 0
printf 'title: Kept new\nrisk: extreme\n' >"$1"
EOT
cat >"$TMP/ed-new-fix" <<'EOT'
#!/bin/sh
head -1 "$1" | grep -q "^# error: .*'risk'" || exit 3
sed -i 's/extreme/low/' "$1"
EOT
chmod +x "$TMP"/ed-new*
expect 1 "hint: 'crq new --edit' reopens it" env EDITOR="$TMP/ed-new" "$CRQ" new --edit
check "crq new keeps the refused text" grep -q "^title: Kept new" $n
expect 0 "reopening the text kept in" env EDITOR="$TMP/ed-new-fix" "$CRQ" new --edit --title Other
same "the kept text became the change" "$(git log -1 --format=%s)" "CHG-000002: create — Kept new"
same "created: the kept file is removed" "$(ls $n 2>/dev/null)" ""
expect 1 "still refused after 5 rounds" env EDITOR="$TMP/ed-grow" "$CRQ" new --edit --title Grow
rm -f "$HOME/rounds"
expect 1 "aborting: the text is empty" env EDITOR="$TMP/ed-empty" "$CRQ" new --edit
same "emptied: dropped" "$(ls $n 2>/dev/null)" ""

# the pre-commit hook checks what will be committed, whatever the index
expect 0 "" "$CRQ" hook install
g() { git -c user.name=x -c user.email=x@example.com "$@"; }
bad() { printf 'title: no\n' >>$f; }
bad
expect 1 "$f:" g commit -a -m "hand edit, -a"
grep -q "commit refused: " "$TMP/err" && ok "git commit -a: refused" || not_ok "-a: $(cat "$TMP/err")"
expect 1 "$f:" g commit -m "hand edit, path" $f
same "git commit PATH: refused, nothing committed" "$(git log -1 --format=%s)" "CHG-000002: create — Kept new"
mkdir -p sub && cd sub
expect 1 "$f:" g commit -m "from a subdirectory" ../$f
expect 1 "$f:" g commit -a -m "from a subdirectory, -a"
cd ..
git add $f
expect 1 "$f:" g commit -m "hand edit, staged"
# what is staged is what counts: a valid staged file, an invalid work tree
git reset -q -- $f
same "the index holds the committed file" "$(git diff --cached --name-only)" ""
echo notes >README && git add README
expect 0 "" g commit -q -m "README only, the invalid file unstaged"
expect 1 "$f:" g commit -a -m "now with -a"
git checkout -q -- $f
# valid hand edits pass whichever way they are committed (the hook
# only validates files; signing is verify's business)
sed -i 's/^title: .*/title: Hand edit one/' $f
expect 0 "" g commit -q -a -m "valid, -a"
sed -i 's/^title: .*/title: Hand edit two/' $f
expect 0 "" g commit -q -m "valid, path" $f
sed -i 's/^title: .*/title: Hand edit three/' $f
git add $f
expect 0 "" g commit -q -m "valid, staged"
same "three valid commits landed" "$(git log -3 --format=%s | tr '\n' ' ')" \
	"valid, staged valid, path valid, -a "
# an invalid policy too, and GIT_INDEX_FILE set by hand (relative: to
# the top of the work tree, as git reads it)
printf 'bogus: [\n' >>.crq/policy.yaml
expect 1 ".crq/policy.yaml:" g commit -a -m "broken policy"
git checkout -q -- .crq/policy.yaml
cp .git/index "$TMP/idx-ok"
bad && GIT_INDEX_FILE=.git/idx-bad git add $f && git checkout -q -- $f
expect 1 "$f:" env GIT_INDEX_FILE=.git/idx-bad "$CRQ" hook pre-commit
cd sub
expect 1 "$f:" env GIT_INDEX_FILE=.git/idx-bad "$CRQ" hook pre-commit
cd ..
expect 0 "" env GIT_INDEX_FILE="$TMP/idx-ok" "$CRQ" hook pre-commit
expect 0 "" "$CRQ" hook pre-commit
rm .git/idx-bad
rmdir sub
fsck_clean .
done_testing
