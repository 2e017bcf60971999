#!/bin/sh
# crq new --from ID copies a change's plan fields into a new draft, and
# crq show ID | crq new -F - makes one from a shown change: what crq
# sets itself (id, state, requester, approvals, records of the steps)
# is left out, and -F says which.  Checked with PyYAML and jsonschema on
# the files git holds, not with crq.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob --role cab --role change-manager \
	--role implementer --role reviewer >/dev/null
as alice member add carol@example.com --key "$(keyfor carol).pub" --name Carol --role cab --role security >/dev/null
as alice member add dave@example.com --key "$(keyfor dave).pub" --name Dave --role security >/dev/null
as alice member add frank@example.com --key "$(keyfor frank).pub" --name Frank --role ops >/dev/null

# blob ID: the committed file of change ID
blob() { git cat-file blob "HEAD:changes/000/$1.yaml"; }
# pyy ID EXPR: EXPR over d, the committed file of ID read by PyYAML
pyy() { blob "$1" | $PY -c "import sys, yaml; d = yaml.safe_load(sys.stdin); r = ($2); print(r)" 2>&1; }
# valid ID: the committed file of ID passes the change schema (jsonschema)
valid() {
	blob "$1" | $PY -c '
import sys, yaml, jsonschema
s = __import__("json").load(open(sys.argv[1]))
jsonschema.validate(yaml.safe_load(sys.stdin), s)' "$TOP/schemas/change.schema.json" 2>"$TMP/verr" &&
		ok "$1 is valid by the change schema (jsonschema)" ||
		{ not_ok "$1 is not valid by the change schema"; sed 's/^/#   /' "$TMP/verr"; }
}
PLAN="title type owner services impact urgency risk description justification implementation_plan backout_plan test_plan"
# same_plan A B: the plan fields of A and B are equal (PyYAML)
same_plan() {
	same "$3" "$(blob "$1" | $PY -c "import sys, yaml; d = yaml.safe_load(sys.stdin); print([d.get(k) for k in '$PLAN'.split()])")" \
		"$(blob "$2" | $PY -c "import sys, yaml; d = yaml.safe_load(sys.stdin); print([d.get(k) for k in '$PLAN'.split()])")"
}

# ===== the source: walked to closed, with every kind of field =========
src=CHG-000001
expect 0 "" as alice new --title "Upgrade DB to 16" --service db --service billing \
	--impact high --urgency high --window 2026-11-23T10:10:00Z/2026-11-23T11:00:00Z \
	--set owner=bob@example.com --set "description=Two
lines" --set justification=EOL --set implementation_plan=pg_upgrade \
	--set backout_plan="Promote the replica" --set test_plan="Smoke tests" \
	--set "tasks=[{title: Check replicas, owner: bob@example.com, phase: verify, due: '2026-11-24T10:00:00Z'}]" \
	--set "links=[{type: pr, ref: '17'}]"
expect 0 "" as alice submit $src
expect 0 "" as bob assess $src --risk high
expect 0 "" as bob approve $src
expect 0 "" as carol approve $src --role cab
expect 0 "" as dave approve $src
expect 0 "" as bob schedule $src --start 2026-11-23T10:10:00Z --end 2026-11-23T11:00:00Z \
	--implementer bob@example.com
expect 0 "" as frank task done $src 2
expect 0 "" as bob task done $src 1
expect 0 "" as bob start $src
expect 0 "" as bob complete $src --close-code successful
expect 0 "" as bob review $src -m "went fine"
expect 0 "" as bob close $src
same "the source is closed, with approvals, a rule's task, a review" \
	"$(pyy $src 'd["state"], len(d["approvals"]), [t.get("rule") for t in d["tasks"]], d["review"]["summary"], d["implementer"], d["close_code"]')" \
	"('closed', 3, [None, 'high-risk-security'], 'went fine', 'bob@example.com', 'successful')"

# ===== --from a closed change =========================================
before=$(git rev-parse HEAD)
expect 0 "" as bob new --from $src
new=$(cat "$TMP/out")
same "--from prints the new id alone" "$new" "CHG-000002"
same "--from says nothing on stderr" "$(cat "$TMP/err")" ""
same "one commit on top" "$(git rev-list --count $before..HEAD)" "1"
same "the commit writes the new file only" "$(git show --format= --name-only HEAD)" "changes/000/$new.yaml"
same "a create step" "$(git log -1 --format='%(trailers:key=Crq-Action,key=Crq-To,valueonly,separator=%x20)')" "create draft"
same_plan $new $src "--from copies every plan field (PyYAML, both files)"
same "the copy's own: new id, draft, requester is who ran it, its time" \
	"$(pyy $new 'd["id"], d["state"], d["requester"], d["created"], d["entered"]')" \
	"('CHG-000002', 'draft', 'bob@example.com', '2026-11-23T10:00:00Z', {'draft': '2026-11-23T10:00:00Z'})"
same "crq-owned and that change's own fields are not copied" \
	"$(pyy $new 'sorted(k for k in ["approvals", "extra_approvals", "window", "implementer", "close_code", "review", "review_due", "links", "incident", "deployments", "escalations", "template"] if k in d)')" \
	"[]"
same "tasks: the person's definition only (no due, no done, no rule's task)" \
	"$(pyy $new 'd["tasks"]')" \
	"[{'title': 'Check replicas', 'owner': 'bob@example.com', 'phase': 'verify'}]"
same "priority computed again from impact and urgency" "$(pyy $new 'd["priority"]')" "$(pyy $src 'd["priority"]')"
valid $new
same "the source is untouched" "$(git diff --name-only $before HEAD)" "changes/000/$new.yaml"

# ids as people type them
expect 0 "" as bob new --from 1
a=$(cat "$TMP/out")
expect 0 "" as bob new --from chg-000001
b=$(cat "$TMP/out")
same "--from 1 and --from chg-000001 are new changes" "$a $b" "CHG-000003 CHG-000004"
same "--from 1 copies what --from CHG-000001 did" \
	"$(blob $a | grep -v '^id:')" "$(blob $new | grep -v '^id:')"
same "--from chg-000001 too" "$(blob $b | grep -v '^id:')" "$(blob $new | grep -v '^id:')"

# options override the copy
expect 0 "" as bob new --from $src --title "Upgrade DB to 17" --risk low --service web \
	--urgency low --set owner=carol@example.com --set description= \
	--window 2026-12-06T02:00:00Z/2026-12-06T05:00:00Z
o=$(cat "$TMP/out")
same "overrides win, the rest is copied" \
	"$(pyy $o 'd["title"], d["risk"], d["services"], d["urgency"], d["owner"], "description" in d, d["window"]["start"], d["implementation_plan"], d["impact"]')" \
	"('Upgrade DB to 17', 'low', ['web'], 'low', 'carol@example.com', False, '2026-12-06T02:00:00Z', 'pg_upgrade', 'high')"
valid $o

# refusals: one line, exit as crq show's, nothing written
before=$(state .)
"$CRQ" show 99 2>"$TMP/showerr" >/dev/null
expect 1 "no such change '99'" as bob new --from 99
same "an unknown id: one line, as crq show says it" "$(cat "$TMP/err")" "$(cat "$TMP/showerr")"
same "one line" "$(wc -l <"$TMP/err")" "1"
expect 1 "'abc' is not a change id of this store" as bob new --from abc
expect 129 "option '--from' needs a value" as bob new --from
expect 129 "--from and --file cannot be combined" as bob new --from 1 -F "$TMP/none.yaml"
expect 1 "field 'state' is set by crq, not by hand" as bob new --from 1 --set state=closed
expect 1 "'risk' must be one of" as bob new --from 1 --risk extreme
expect 1 "carol@example.com may not create" as carol new --from 1
same "refusals left the repository unchanged" "$(state .)" "$before"

# ===== --from an authorized change ====================================
expect 0 "" as alice new --title "Rotate keys" --service web --impact medium --urgency low \
	--set implementation_plan=a --set backout_plan=b --set test_plan=c
auth=$(cat "$TMP/out")
expect 0 "" as alice submit $auth
expect 0 "" as bob assess $auth --risk medium
expect 0 "" as bob approve $auth --role change-manager
expect 0 "" as carol approve $auth --role cab
same "the second source is authorized with two approvals" "$(pyy $auth 'd["state"], len(d["approvals"])')" "('authorized', 2)"
expect 0 "" as alice new --from $auth
c=$(cat "$TMP/out")
same_plan $c $auth "--from an authorized change copies its plan"
same "no approvals, a draft again, requester alice" \
	"$(pyy $c '"approvals" in d, d["state"], d["requester"], d["risk"]')" "(False, 'draft', 'alice@example.com', 'medium')"
expect 0 "" as bob submit $c
same "the copy goes through the workflow on its own" "$(cat "$TMP/out")" "$c: draft -> submitted"

# ===== standard and emergency sources ==================================
expect 0 "" as alice new --template os-patch --service web
std=$(cat "$TMP/out")
expect 0 "" as alice new --from $std
s2=$(cat "$TMP/out")
same "a standard change's copy is standard, from the same template" \
	"$(pyy $s2 'd["type"], d["template"], d["risk"], d["services"], d["state"]')" "('standard', 'os-patch', 'low', ['web'], 'draft')"
same_plan $s2 $std "and holds the same plan"
expect 0 "" as alice new --from $std --type normal
s3=$(cat "$TMP/out")
same "--type normal: a normal change with the template's plan, no template" \
	"$(pyy $s3 'd["type"], "template" in d, d["backout_plan"] == '"$(pyy $std 'repr(d["backout_plan"])')"'')" "('normal', False, True)"
valid $s3
expect 0 "" as alice new --title "Hotfix" --type emergency --service db --set incident=INC-1
em=$(cat "$TMP/out")
before=$(state .)
expect 1 "missing required field 'incident'" as alice new --from $em
same "an emergency's incident is its own: not copied, nothing written" "$(state .)" "$before"
expect 0 "" as alice new --from $em --set incident=INC-2
same "with its own incident" "$(pyy "$(cat "$TMP/out")" 'd["type"], d["incident"]')" "('emergency', 'INC-2')"

# ===== the editor opens on the copy =====================================
cat >"$TMP/ed" <<'EOT'
#!/bin/sh
grep -q '^title: Rotate keys$' "$1" || exit 3
grep -q '^implementation_plan: a$' "$1" || exit 4
sed -i 's/^title: .*/title: Rotate keys again/' "$1"
EOT
chmod +x "$TMP/ed"
expect 0 "" env EDITOR="$TMP/ed" "$CRQ" new --from $auth --edit
same "--from --edit: the copy, edited" "$(pyy "$(cat "$TMP/out")" 'd["title"], d["backout_plan"]')" "('Rotate keys again', 'b')"

# ===== crq show ID | crq new -F - =====================================
want_note="note: dropped fields crq sets itself: id, state, requester, priority, implementer, tasks.done, tasks.done_by, tasks.done_at, tasks.rule, approvals, extra_approvals, close_code, review, created, updated, entered"
expect 0 "" sh -c "'$CRQ' show $src | GIT_AUTHOR_NAME=bob GIT_AUTHOR_EMAIL=bob@example.com GIT_COMMITTER_NAME=bob GIT_COMMITTER_EMAIL=bob@example.com '$CRQ' -c user.signingkey='$(keyfor bob)' new -F -"
p=$(cat "$TMP/out")
same "show | new -F -: the new id alone on stdout" "$(echo "$p" | grep -c '^CHG-[0-9]*$')" "1"
same "one line on stderr naming the dropped fields" "$(cat "$TMP/err")" "$want_note"
valid $p
same_plan $p $src "the round trip keeps the plan"
same "a normal new draft: its own id, state, requester, no approvals" \
	"$(pyy $p 'd["id"] != "'$src'", d["state"], d["requester"], [k for k in ("approvals", "extra_approvals", "implementer", "close_code", "review") if k in d]')" \
	"(True, 'draft', 'bob@example.com', [])"
same "what a file may give a new change stays: window, links, a task's due" \
	"$(pyy $p 'd["window"], d["links"], d["tasks"]')" \
	"({'start': '2026-11-23T10:10:00Z', 'end': '2026-11-23T11:00:00Z'}, [{'type': 'pr', 'ref': '17'}], [{'title': 'Check replicas', 'owner': 'bob@example.com', 'due': '2026-11-24T10:00:00Z', 'phase': 'verify'}])"

expect 0 "" sh -c "'$CRQ' show --json $src | GIT_AUTHOR_NAME=bob GIT_AUTHOR_EMAIL=bob@example.com GIT_COMMITTER_NAME=bob GIT_COMMITTER_EMAIL=bob@example.com '$CRQ' -c user.signingkey='$(keyfor bob)' new -F -"
j=$(cat "$TMP/out")
same "show --json | new -F -: the same note" "$(cat "$TMP/err")" "$want_note"
same "and the same change as from the YAML" "$(blob $j | grep -v '^id:')" "$(blob $p | grep -v '^id:')"

# a standard change round trips from its template
expect 0 "" sh -c "'$CRQ' show $std | '$CRQ' new -F -"
same "show of a standard change | new -F -: standard from its template" \
	"$(pyy "$(cat "$TMP/out")" 'd["type"], d["template"]')" "('standard', 'os-patch')"
same "template is taken, not dropped" "$(cat "$TMP/err")" "note: dropped fields crq sets itself: id, state, requester, priority, created, updated, entered"

# a file with only plan fields: no note
cat >"$TMP/plan.yaml" <<'EOT'
title: Plan only
services: [db]
impact: low
urgency: low
risk: low
implementation_plan: do it
tasks:
  - title: Prepare
    phase: prepare
    done: false
EOT
expect 0 "" sh -c "'$CRQ' new -F - <'$TMP/plan.yaml'"
same "a file with plan fields only: no note" "$(cat "$TMP/err")" ""
same "its fields as given" "$(pyy "$(cat "$TMP/out")" 'd["title"], d["tasks"]')" "('Plan only', [{'title': 'Prepare', 'phase': 'prepare', 'done': False}])"
expect 0 "" "$CRQ" new -F "$TMP/plan.yaml" --title "Plan only, retitled"
same "-F FILE: options override the file" "$(pyy "$(cat "$TMP/out")" 'd["title"]')" "Plan only, retitled"

# malformed or refused input: one line naming where, nothing written
before=$(state .)
expect 1 "<stdin>:2:1: " sh -c "printf 'title: [unclosed\n' | '$CRQ' new -F -"
same "malformed YAML: one line" "$(wc -l <"$TMP/err")" "1"
printf '{\n  "title": "x",\n  "risk": ]\n}\n' >"$TMP/bad.json"
expect 1 "<stdin>:3:" sh -c "'$CRQ' new -F - <'$TMP/bad.json'"
same "malformed JSON: one line" "$(wc -l <"$TMP/err")" "1"
expect 1 "<stdin>:1:8: ambiguous plain scalar 'no'" sh -c "printf 'title: no\n' | '$CRQ' new -F -"
expect 1 "<stdin>: expected a mapping of change fields" sh -c "'$CRQ' new -F - </dev/null"
expect 1 "<stdin>: expected a mapping of change fields" sh -c "printf -- '- a\n' | '$CRQ' new -F -"
# crq's fields are dropped, the plan is still judged
expect 1 "'risk' must be one of" sh -c "printf 'id: CHG-000001\nstate: closed\ntitle: x\nrisk: extreme\n' | '$CRQ' new -F -"
grep -q "^note: dropped fields crq sets itself: id, state$" "$TMP/err" && ok "the note comes before the refusal" || not_ok "note before refusal: $(cat "$TMP/err")"
expect 1 "colour" sh -c "printf 'title: x\ncolour: red\n' | '$CRQ' new -F -"
same "refused input left the repository unchanged" "$(state .)" "$before"

# coloured output piped in (color.ui=always): refused, and said why
n0=$(git rev-list --count HEAD)
"$CRQ" --color=always show CHG-000001 | "$CRQ" new -F - >"$TMP/out" 2>"$TMP/err"
same "coloured show into new -F - is refused" "$?" "1"
check "naming the colour code" grep -q "a terminal colour code" "$TMP/err"
check "with the way out" grep -q "hint: .*--color=never" "$TMP/err"
same "and nothing was written" "$(git rev-list --count HEAD)" "$n0"

# ===== the history stays honest =========================================
fsck_clean .
verify_all .
expect 0 "" "$CRQ" verify
done_testing
