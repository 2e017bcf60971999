#!/bin/sh
# crq check: the pull-request gate in its four formats.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role cab >/dev/null
as alice new --title "Already there" >/dev/null
git branch -q base
git checkout -q -b pr
as alice new --title "Needs approval" --service web \
	--set implementation_plan=a --set backout_plan=b --set test_plan=c >/dev/null
as alice submit CHG-000002 >/dev/null
as bob assess CHG-000002 --risk medium --impact low >/dev/null
as bob approve CHG-000002 --role change-manager >/dev/null

expect 0 "" "$CRQ" check --base base
same "text: state and what is still needed" "$(head -n 1 "$TMP/out")" \
	"CHG-000002 assessed: needs 1 cab (has: bob@example.com)"
grep -q "^4 commits checked, 0 violations" "$TMP/out" && ok "what the branch adds over the base is checked" || not_ok "summary: $(cat "$TMP/out")"
expect 0 "" "$CRQ" check --base base --format json
same "json (python)" "$($PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
c = d["changes"][0]
print(d["ok"], d["checked"], c["id"], c["state"], c["needs"], c["approvals"])' "$TMP/out")" \
	"True 4 CHG-000002 assessed 1 cab ['bob@example.com']"
expect 0 "" "$CRQ" check --base base --format github
same "github annotation" "$(cat "$TMP/out")" "::notice title=CHG-000002 ::assessed: needs 1 cab (has: bob@example.com)"
expect 0 "" "$CRQ" check --base base --format junit
same "junit (python xml)" "$($PY -c '
import sys, xml.etree.ElementTree as ET
t = ET.parse(sys.argv[1]).getroot()
print(t.tag, t.get("tests"), t.get("failures"), [c.get("name") for c in t], t.find("testcase[@name=\"CHG-000002\"]/system-out").text)' "$TMP/out")" \
	"testsuite 2 0 ['verify', 'CHG-000002'] needs 1 cab"

# an illegal step on the branch fails the gate
sed -i 's/^title: Needs approval$/title: Sneaky/' changes/000/CHG-000002.yaml
git commit -q -am "CHG-000002: edit — x

Crq-Change: CHG-000002
Crq-Action: edit
Crq-From: assessed
Crq-To: assessed"
expect 1 "" "$CRQ" check --base base --format github
grep -q "^::error title=crq unsigned::$(git rev-parse HEAD) CHG-000002 unsigned: " "$TMP/out" && ok "github error annotation names commit and rule" || not_ok "github error: $(cat "$TMP/out")"
expect 1 "" "$CRQ" check --base base --format junit
same "junit failure" "$($PY -c '
import sys, xml.etree.ElementTree as ET
t = ET.parse(sys.argv[1]).getroot()
print(t.get("failures"), "unsigned" in t.find("testcase[@name=\"verify\"]/failure").get("message"))' "$TMP/out")" "1 True"
expect 129 "--base is required" "$CRQ" check
expect 129 "unknown format 'xml'" "$CRQ" check --base base --format xml
expect 128 "cannot resolve 'nope'" "$CRQ" check --base nope
done_testing
