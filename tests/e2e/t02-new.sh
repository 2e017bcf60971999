#!/bin/sh
# crq new: every way to give fields, and every refusal leaves the
# repository untouched.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s

expect 0 "" "$CRQ" new --title "Upgrade PostgreSQL" --service billing \
	--service billing-db --impact high --urgency medium --risk high \
	--window 2026-12-06T02:00:00Z/2026-12-06T05:00:00+01:00 \
	--set owner=bob@example.com --set "description=two
lines"
same "new prints the id alone" "$(cat "$TMP/out")" "CHG-000001"
f=changes/000/CHG-000001.yaml
same "file committed under its shard" "$(git ls-tree --name-only -r HEAD changes)" "$f"
same "commit changes one file" "$(git show --format= --name-only HEAD)" "$f"
same "subject names id, action and title" "$(git log -1 --format=%s)" \
	"CHG-000001: create — Upgrade PostgreSQL"
same "trailers" "$(git log -1 --format='%(trailers:key=Crq-Change,key=Crq-Action,key=Crq-To,valueonly,separator=%x2C)')" \
	"CHG-000001,create,draft"
cat >"$TMP/want" <<'EOT'
id: CHG-000001
title: Upgrade PostgreSQL
type: normal
state: draft
requester: alice@example.com
owner: bob@example.com
services:
  - billing
  - billing-db
impact: high
urgency: medium
priority: high
risk: high
description: |-
  two
  lines
window:
  start: '2026-12-06T02:00:00Z'
  end: '2026-12-06T05:00:00+01:00'
created: '2026-11-23T10:00:00Z'
updated: '2026-11-23T10:00:00Z'
entered:
  draft: '2026-11-23T10:00:00Z'
EOT
same "canonical file content (checked with git cat-file)" "$(git cat-file blob HEAD:$f)" "$(cat "$TMP/want")"
same "work tree file in step" "$(cat $f)" "$(cat "$TMP/want")"
same "index entry in step" "$(git ls-files -s $f | cut -d' ' -f2)" "$(git rev-parse HEAD:$f)"
fsck_clean .

# -F from a file and from stdin; flags override the file
cat >"$TMP/fields.yaml" <<'EOT'
title: From a file
type: emergency
incident: INC-1
services: [payments]
impact: low
urgency: high
EOT
expect 0 "" "$CRQ" new -F "$TMP/fields.yaml" --impact high
same "second id" "$(cat "$TMP/out")" "CHG-000002"
same "flag overrides file, priority computed" \
	"$(git cat-file blob HEAD:changes/000/CHG-000002.yaml | grep -E '^(impact|priority|type|incident):' | tr '\n' ' ')" \
	"type: emergency impact: high priority: critical incident: INC-1 "
expect 0 "" sh -c "printf 'title: stdin change\n' | '$CRQ' new -F -"
same "from stdin" "$(cat "$TMP/out")" "CHG-000003"

# a template makes a standard change
expect 0 "" "$CRQ" new --template os-patch --service web
same "standard change from template" \
	"$(git cat-file blob HEAD:changes/000/CHG-000004.yaml | grep -E '^(title|type|template|risk):' | tr '\n' ' ')" \
	"title: Monthly OS security patching type: standard template: os-patch risk: low "
fsck_clean .

# refusals: exit code, message, and nothing written
before=$(state .)
expect 1 "'type' must be one of: standard, normal, emergency" "$CRQ" new --title x --type big
expect 1 "is not an RFC 3339 date-time" "$CRQ" new --title x --window 2026-12-06/2026-12-07
expect 129 "--window wants START/END" "$CRQ" new --title x --window 2026-12-06
expect 1 "unknown field 'colour'" "$CRQ" new --title x --set colour=red
expect 1 "field 'state' is set by crq, not by hand" "$CRQ" new --title x --set state=closed
expect 1 "field 'priority' is set by crq" "$CRQ" new --title x --set priority=low
expect 1 "missing required field 'incident'" "$CRQ" new --title x --type emergency
expect 1 "no such template 'nope'" "$CRQ" new --template nope
expect 1 "bad template name '../x'" "$CRQ" new --template ../x
printf 'title: no\n' >"$TMP/amb.yaml"
expect 1 "amb.yaml:1:8: ambiguous plain scalar 'no'" "$CRQ" new -F "$TMP/amb.yaml"
grep -q "quote it" "$TMP/err" && ok "ambiguity message says to quote" || not_ok "quote hint"
printf 'title: [unclosed\n' >"$TMP/bad.yaml"
expect 1 "bad.yaml:2:1" "$CRQ" new -F "$TMP/bad.yaml"
printf 'title: &a x\n' >"$TMP/anchor.yaml"
expect 1 "anchor.yaml:1:8: anchors are not allowed" "$CRQ" new -F "$TMP/anchor.yaml"
printf -- '- a\n- b\n' >"$TMP/list.yaml"
expect 1 "expected a mapping" "$CRQ" new -F "$TMP/list.yaml"
expect 1 "cannot open '$TMP/missing.yaml'" "$CRQ" new -F "$TMP/missing.yaml"
expect 129 "a title is required" "$CRQ" new </dev/null
expect 129 "unknown option '--colour'" "$CRQ" new --colour red
expect 129 "option '--title' needs a value" "$CRQ" new --title
expect 129 "unexpected argument 'x'" "$CRQ" new x
same "refusals left the repository unchanged" "$(state .)" "$before"
fsck_clean .

# the editor path: a skeleton, the user's text kept on refusal
cat >"$TMP/ed1" <<'EOT'
#!/bin/sh
# first round: an invalid risk; second round: fix it
n=$(cat "$HOME/round" 2>/dev/null || echo 0)
n=$((n + 1)); echo $n >"$HOME/round"
if [ $n = 1 ]; then
	grep -q '^title:' "$1" || exit 3
	printf 'title: Edited change\nrisk: extreme\n' >"$1"
else
	grep -q '^# error: .*risk' "$1" || exit 4
	sed -i 's/extreme/low/' "$1"
fi
EOT
chmod +x "$TMP/ed1"
expect 0 "'risk' must be one of" env EDITOR="$TMP/ed1" "$CRQ" new --edit
same "editor round trip creates the change" "$(cat "$TMP/out")" "CHG-000005"
same "editor text is kept until accepted, then removed" "$(ls .git/CRQ_NEW.yaml 2>/dev/null)" ""
printf '#!/bin/sh\nprintf "title: Kept\\nrisk: extreme\\n" >"$1"\n' >"$TMP/ed2"
printf '#!/bin/sh\ntrue\n' >"$TMP/ed3"
chmod +x "$TMP/ed2" "$TMP/ed3"
before=$(state .)
# first editor writes a bad value; then the user gives up by saving unchanged
cat >"$TMP/ed4" <<'EOT'
#!/bin/sh
if grep -q '^# error' "$1"; then exit 0; fi
printf 'title: Kept text\nrisk: extreme\n' >"$1"
EOT
chmod +x "$TMP/ed4"
expect 1 "your text is kept in" env EDITOR="$TMP/ed4" "$CRQ" new --edit
check "user's text survives a refusal" grep -q "title: Kept text" .git/CRQ_NEW.yaml
printf '#!/bin/sh\nprintf "title: \\"\\"\\n" >"$1"\n' >"$TMP/ed5"
chmod +x "$TMP/ed5"
expect 1 "aborting: the title is empty" env EDITOR="$TMP/ed5" "$CRQ" new --edit
expect 1 "the editor" env EDITOR=false "$CRQ" new --edit
same "editor refusals left the repository unchanged" "$(state .)" "$before"

# no --title on a terminal: the editor opens on a commented skeleton
cat >"$TMP/ed-tty" <<'EOT'
#!/bin/sh
grep -q "^# Describe the new change request" "$1" || exit 5
grep -q "^risk: high" "$1" || exit 6
sed -i "s/^title: .*/title: From a terminal/" "$1"
EOT
chmod +x "$TMP/ed-tty"
if command -v script >/dev/null 2>&1; then
	expect 0 "" script -qec "env EDITOR='$TMP/ed-tty' '$CRQ' new --risk high" /dev/null
	same "terminal session printed the new id" "$(tr -d '\r' <"$TMP/out")" "CHG-000006"
	same "skeleton answer committed" "$(git log -1 --format=%s)" "CHG-000006: create — From a terminal"
fi
done_testing
