#!/bin/sh
# --json on every command that reports, --format json the same; both
# with a conflicting --format is a usage error, and python reads what
# each prints.
. "$(dirname "$0")/lib.sh"

# py EXPR FILE: EXPR over d = the JSON document in FILE
py() { $PY -c "import json, sys; d = json.load(open(sys.argv[1])); print(($1))" "$2" 2>&1; }

cd "$TMP"
"$CRQ" init seed >/dev/null
cd seed
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role cab >/dev/null
as alice new --title "Already there" >/dev/null
git branch -q base
as alice new --title "Needs approval" --service web \
	--set implementation_plan=a --set backout_plan=b --set test_plan=c >/dev/null
as alice submit CHG-000002 >/dev/null
as bob assess CHG-000002 --risk medium --impact low >/dev/null

# check: --json is --format json
expect 0 "" "$CRQ" check --base base --json
same "check --json" "$(py 'd["ok"], d["checked"], d["changes"][0]["id"], d["violations"]' "$TMP/out")" \
	"(True, 3, 'CHG-000002', [])"
cp "$TMP/out" "$TMP/check.json"
expect 0 "" "$CRQ" check --base base --format json
same "check --format json is the same" "$(cat "$TMP/out")" "$(cat "$TMP/check.json")"
expect 0 "" "$CRQ" check --base base --json --format json
expect 129 "--json and --format github exclude each other" "$CRQ" check --base base --json --format github
expect 129 "option '--json' given twice" "$CRQ" check --base base --json --json

# verify: --json and --format text|json
expect 0 "" "$CRQ" verify --json
same "verify --json: no violations" "$(py 'd' "$TMP/out")" "[]"
expect 0 "" "$CRQ" verify --format json
same "verify --format json" "$(py 'd' "$TMP/out")" "[]"
expect 0 "" "$CRQ" verify --format text
same "verify --format text prints no violation" "$(cat "$TMP/out")" ""
grep -q "commits\? checked, 0 violations" "$TMP/err" && ok "verify --format text: the summary" || not_ok "verify text: $(cat "$TMP/err")"
expect 129 "--json and --format text exclude each other" "$CRQ" verify --json --format text
expect 129 "--format 'xml': text or json" "$CRQ" verify --format xml
expect 129 "option '--format' given twice" "$CRQ" verify --format json --format json

# list: --format json is --json, not a template printing "json"
expect 0 "" "$CRQ" list --json
same "list --json" "$(py '[(c["id"], c["title"]) for c in d]' "$TMP/out")" \
	"[('CHG-000001', 'Already there'), ('CHG-000002', 'Needs approval')]"
cp "$TMP/out" "$TMP/list.json"
expect 0 "" "$CRQ" list --format json
same "list --format json is list --json" "$(cat "$TMP/out")" "$(cat "$TMP/list.json")"
expect 0 "" "$CRQ" list --format text
same "list --format text is the table" "$(cut -c1-12 "$TMP/out" | tr -d ' ' | tr '\n' ' ')" "CHG-000001 CHG-000002 "
expect 0 "" "$CRQ" list --format '%(id)'
same "a template still works" "$(cat "$TMP/out" | tr '\n' ' ')" "CHG-000001 CHG-000002 "
expect 129 "--json and --format %(id) exclude each other" "$CRQ" list --json --format '%(id)'
expect 129 "unknown field 'nope' in --format" "$CRQ" list --format '%(nope)'

# validate --json: per file path, ok, errors [{where, pointer, message}]
git show HEAD:changes/000/CHG-000001.yaml >CHG-000001.yaml
printf 'id: CHG-000001\ntitle: x\ntype: big\nstate: draft\nrequester: a@b\ncreated: 2026-11-23T09:00:00Z\nrisk: extreme\n' >bad.yaml
expect 1 "" "$CRQ" validate --json CHG-000001.yaml bad.yaml nope.yaml
same "validate --json: stderr stays quiet" "$(cat "$TMP/err")" ""
same "validate --json: verdicts" "$(py 'd["ok"], [(f["path"], f["ok"]) for f in d["files"]]' "$TMP/out")" \
	"(False, [('CHG-000001.yaml', True), ('bad.yaml', False), ('nope.yaml', False)])"
same "validate --json: where and message" "$(py '[(e["where"], e["pointer"]) for e in d["files"][1]["errors"]]' "$TMP/out")" \
	"[('3:7', '/type'), ('7:7', '/risk')]"
same "validate --json: the message" "$(py 'd["files"][1]["errors"][0]["message"]' "$TMP/out")" "'type' must be one of: standard, normal, emergency"
same "validate --json: an unreadable file" "$(py 'd["files"][2]["errors"][0]["where"], "nope.yaml" in d["files"][2]["errors"][0]["message"]' "$TMP/out")" \
	"(None, True)"
expect 0 "" "$CRQ" validate --json CHG-000001.yaml
same "validate --json: all valid" "$(py 'd["ok"], d["files"][0]["errors"]' "$TMP/out")" "(True, [])"
rm -f CHG-000001.yaml bad.yaml
expect 0 "" "$CRQ" validate --json
same "validate --json on the branch" "$(py 'd' "$TMP/out")" "{'ok': True, 'files': []}"
expect 129 "option '--json' given twice" "$CRQ" validate --json --json x.yaml

# todo, sla, calendar already speak JSON
expect 0 "" as bob todo --json
same "todo --json" "$(py 'd["member"], [t["change"] for t in d["todo"] if t["kind"] == "approve"]' "$TMP/out")" \
	"('bob@example.com', ['CHG-000002'])"
expect 0 "" "$CRQ" sla --json
same "sla --json is a list" "$(py 'type(d).__name__' "$TMP/out")" "list"
expect 0 "" "$CRQ" calendar --json
same "calendar --json" "$(py 'sorted(k for k in d if k in ("windows", "conflicts", "freezes"))' "$TMP/out")" \
	"['conflicts', 'freezes', 'windows']"
expect 129 "--json and --ics do not go together" "$CRQ" calendar --json --ics

# audit, report: --json is --format json
"$CRQ" audit --format json >"$TMP/audit.json"
"$CRQ" audit --json >"$TMP/out"
same "audit --json is --format json" "$(cat "$TMP/out")" "$(cat "$TMP/audit.json")"
same "audit --json: the steps" "$(py 'len(d["changes"]) if "changes" in d else sorted(d)' "$TMP/out")" "2"
expect 129 "--json and --format csv exclude each other" "$CRQ" audit --json --format csv
expect 129 "--format 'xml': text, json, csv or html" "$CRQ" audit --format xml
expect 0 "" "$CRQ" report --json
same "report --json" "$(py 'd["changes"]["count"] if isinstance(d["changes"], dict) else d["changes"]' "$TMP/out")" "2"
cp "$TMP/out" "$TMP/report.json"
expect 0 "" "$CRQ" report --format json
same "report --format json is the same" "$(cat "$TMP/out")" "$(cat "$TMP/report.json")"
expect 129 "--json and --format html exclude each other" "$CRQ" report --json --format html

# sync --json: what happened, one document; exit codes as in text mode
cd "$TMP"
git clone -q --bare seed server.git
git clone -q server.git a
git clone -q server.git b
(cd a && as alice new --title "From A" >/dev/null)
(cd b && as bob comment CHG-000001 -m "B was here" >/dev/null)
cd a
expect 0 "" "$CRQ" sync --json
same "sync --json: pushed" "$(py 'd["ok"], d["remote"], d["mode"], d["error"], [l.split()[0] for l in d["report"]]' "$TMP/out")" \
	"(True, 'origin', 'run', None, ['pushed'])"
cd ../b
expect 0 "" as bob sync --json
same "sync --json: replayed, then pushed" "$(py 'd["ok"], [l.split()[0] for l in d["report"]][-1], any(l.startswith("replayed") for l in d["report"])' "$TMP/out")" \
	"(True, 'pushed', True)"
expect 0 "" "$CRQ" sync --json
same "sync --json: nothing to do" "$(py 'd["report"][0].startswith("nothing to do")' "$TMP/out")" "True"
expect 128 "" "$CRQ" sync --json nowhere
same "sync --json: the error" "$(py 'd["ok"], d["error"]["kind"], d["error"]["message"]' "$TMP/out")" \
	"(False, 'repo', \"no remote 'nowhere'\")"
expect 129 "option '--json' given twice" "$CRQ" sync --json --json
expect 129 "unknown option '--format'" "$CRQ" sync --format json
done_testing
