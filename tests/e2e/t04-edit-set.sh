#!/bin/sh
# crq set and crq edit: typed values, protected fields, the editor loop
# that never loses text, and uncommitted user edits that are never
# overwritten.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
"$CRQ" new --title "Patch web" --service web >/dev/null
f=changes/000/CHG-000001.yaml
export GIT_COMMITTER_DATE="2026-11-24T08:30:00Z"

expect 0 "" "$CRQ" set CHG-000001 risk=medium impact=low urgency=high \
	"services=[web, db]" window.start=2026-12-01T10:00:00Z \
	window.end=2026-12-01T11:00:00Z "title=yes: really" \
	"links=[{type: doc, ref: runbook}]"
same "one commit per set" "$(git rev-list --count HEAD)" "3"
same "set commit subject" "$(git log -1 --format=%s)" "CHG-000001: edit — yes: really"
same "typed values written canonically (git cat-file)" \
	"$(git cat-file blob HEAD:$f | sed -n '2p;6,19p' | tr '\n' '|')" \
	"title: 'yes: really'|services:|  - web|  - db|impact: low|urgency: high|priority: medium|risk: medium|window:|  start: '2026-12-01T10:00:00Z'|  end: '2026-12-01T11:00:00Z'|links:|  - type: doc|    ref: runbook|created: '2026-11-23T10:00:00Z'|"
same "updated moves, created stays" "$(git cat-file blob HEAD:$f | grep -E '^(created|updated):' | tr '\n' ' ')" \
	"created: '2026-11-23T10:00:00Z' updated: '2026-11-24T08:30:00Z' "
same "PyYAML reads the string as a string" \
	"$($PY -c 'import yaml,sys; print(repr(yaml.safe_load(open(sys.argv[1]))["title"]))' $f)" "'yes: really'"
expect 0 "" "$CRQ" set CHG-000001 links=
check "empty value removes the field" sh -c "! git cat-file blob HEAD:$f | grep -q links"
expect 1 "CHG-000001: nothing to change" "$CRQ" set CHG-000001 risk=medium
same "no-op set makes no commit" "$(git rev-list --count HEAD)" "4"
fsck_clean .

before=$(state .)
expect 1 "'risk' must be one of: low, medium, high" "$CRQ" set CHG-000001 risk=extreme
expect 1 "unknown field 'colour'" "$CRQ" set CHG-000001 colour=red
expect 1 "unknown field 'window.middle'" "$CRQ" set CHG-000001 window.middle=x
expect 1 "field 'state' is set by crq, not by hand" "$CRQ" set CHG-000001 state=closed
expect 1 "field 'approvals' is set by crq" "$CRQ" set CHG-000001 "approvals=[]"
expect 1 "ambiguous plain scalar" "$CRQ" set CHG-000001 "links=[{type: doc, ref: no}]"
expect 1 "must be one of: commit, pr" "$CRQ" set CHG-000001 "links=[{type: maybe, ref: r}]"
expect 1 "value of 'services'" "$CRQ" set CHG-000001 "services=[web"
expect 1 "no such change 'CHG-000042'" "$CRQ" set CHG-000042 risk=low
expect 129 "'risk' is not KEY=VALUE" "$CRQ" set CHG-000001 risk
expect 129 "nothing to set" "$CRQ" set CHG-000001
expect 129 "'risk' given twice" "$CRQ" set CHG-000001 risk=low risk=high
same "refused sets left the repository unchanged" "$(state .)" "$before"

# uncommitted edits to the file are never overwritten
echo "# my note" >>$f
before=$(state .)
expect 1 "has uncommitted changes" "$CRQ" set CHG-000001 risk=low
check "the user's edit is still there" grep -q "# my note" $f
same "refused: refs and index unchanged" "$(state .)" "$before"
git checkout -q -- $f
echo "staged" >>$f && git add $f && git checkout -q -- $f 2>/dev/null
expect 1 "has uncommitted changes" "$CRQ" set CHG-000001 risk=low
git reset -q -- $f && git checkout -q -- $f
rm $f
expect 1 "has uncommitted changes" "$CRQ" set CHG-000001 risk=low
git checkout -q -- $f
# an unrelated staged file is kept staged
echo hi >notes.txt && git add notes.txt
expect 0 "" "$CRQ" set CHG-000001 risk=low
same "other staged work survives" "$(git diff --cached --name-only)" "notes.txt"
git rm -q --cached notes.txt && rm notes.txt
# an untracked file where the next change will go
mkdir -p changes/000 && echo junk >changes/000/CHG-000002.yaml
expect 1 "'changes/000/CHG-000002.yaml' has uncommitted changes" "$CRQ" new --title x
rm changes/000/CHG-000002.yaml
fsck_clean .

# crq edit: accepted edit, no-op edit, refused edit reopened, give up
printf '#!/bin/sh\nsed -i "s/^title: .*/title: Edited title/" "$1"\n' >"$TMP/ed-ok"
printf '#!/bin/sh\ntrue\n' >"$TMP/ed-noop"
cat >"$TMP/ed-fix" <<'EOT'
#!/bin/sh
if grep -q '^# error: .*risk' "$1"; then sed -i 's/^risk: .*/risk: high/' "$1"
else sed -i 's/^risk: .*/risk: extreme/' "$1"; fi
EOT
cat >"$TMP/ed-giveup" <<'EOT'
#!/bin/sh
grep -q '^# error' "$1" && exit 0
sed -i 's/^risk: .*/risk: extreme/; s/^title: .*/title: My careful words/' "$1"
EOT
printf '#!/bin/sh\nsed -i "s/^state: .*/state: closed/" "$1"\n' >"$TMP/ed-state"
chmod +x "$TMP"/ed-*
expect 0 "" env EDITOR="$TMP/ed-ok" "$CRQ" edit CHG-000001
same "edit committed" "$(git log -1 --format=%s)" "CHG-000001: edit — Edited title"
expect 1 "CHG-000001: nothing to change" env EDITOR="$TMP/ed-noop" "$CRQ" edit CHG-000001
n=$(git rev-list --count HEAD)
expect 0 "'risk' must be one of" env EDITOR="$TMP/ed-fix" "$CRQ" edit CHG-000001
same "reopened editor fixed it" "$(git cat-file blob HEAD:$f | grep '^risk:')" "risk: high"
same "one commit for the edit" "$(git rev-list --count HEAD)" "$((n + 1))"
before=$(state .)
expect 1 "your text is kept in" env EDITOR="$TMP/ed-giveup" "$CRQ" edit CHG-000001
check "the user's words survive" grep -q "My careful words" .git/CRQ_EDIT_CHG-000001.yaml
expect 1 "field 'state' is set by crq" env GIT_EDITOR="$TMP/ed-state" EDITOR=false "$CRQ" edit CHG-000001
same "refused edits left the repository unchanged" "$(state .)" "$before"
expect 1 "no such change" env EDITOR="$TMP/ed-ok" "$CRQ" edit CHG-000077
expect 129 "which change?" "$CRQ" edit
fsck_clean .
done_testing
