#!/bin/sh
# crq raci, the RACI matrix of the workflow: with the default policy
# (crq init) chosen cells checked by hand; the JSON cross-checked
# against the policy itself (crq policy show --json), R and A computed
# again here in python from the policy's roles, approval rules and
# automation rules; the Markdown parsed (one table row an action); the
# HTML parsed by html5lib in strict mode; a policy edit (a role added
# to an action, a phase set, rules added and changed) changes the
# matrix as it must, so it is derived and cannot drift; -o FILE; the
# errors.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s

# cell FILE ACTION TYPES ROLE: the cell of the JSON matrix in FILE for
# the action of those types ("all": no types), or "?" when there is no
# such row
cell() {
	"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
a, t, r = sys.argv[2:5]
hit = [x["cells"][r] for p in d["phases"] for x in p["actions"]
	if x["action"] == a and (",".join(x["types"]) if x["types"] else "all") == t]
print(hit[0] if len(hit) == 1 else "?")' "$@"
}
# phase FILE ACTION TYPES: the phase the row is listed under
phase() {
	"$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
a, t = sys.argv[2:4]
print(" ".join(p["phase"] for p in d["phases"] for x in p["actions"]
	if x["action"] == a and (",".join(x["types"]) if x["types"] else "all") == t))' "$@"
}
phases() { "$PY" -c 'import json, sys; print(" ".join(p["phase"] for p in json.load(open(sys.argv[1]))["phases"]))' "$1"; }

# crosscheck RACI.json POLICY.json: the matrix against the policy,
# worked out again here: every row an action of the policy (once, in
# policy order within its phase), the roles in policy order, R exactly
# where the action's roles name the role (or '*'), A exactly on
# approval actions for the roles an applicable approval rule or an
# automation rule's require names, letters in RACI order.
crosscheck() {
	if "$PY" - "$1" "$2" >"$TMP/xerr" 2>&1 <<'EOF'
import json, re, sys
m = json.load(open(sys.argv[1]))
p = json.load(open(sys.argv[2]))
roles = list(p["roles"])
acts = p["workflow"]["actions"]
ALL = ["standard", "normal", "emergency"]
assert m["roles"] == roles, m["roles"]
order = ["request", "assess", "authorize", "schedule", "implement", "review", "close"]
names = [ph["phase"] for ph in m["phases"]]
known = [n for n in names if n in order]
assert known == sorted(known, key=order.index), names
rest = [n for n in names if n not in order]
assert names == known + sorted(rest), names
assert len(set(names)) == len(names), names
TIME = ["sla-at-risk", "sla-breached", "task-overdue", "window-starting", "implementation-late"]
def fired(on):
	"""the types of the changes whose steps can fire a rule on `on`"""
	if on in TIME:
		return set(ALL)
	kind, _, name = on.rpartition(":")
	if not kind:
		kind = "action" if any(a["name"] == name for a in acts) else "state"
	out = set()
	for a in acts:
		if (a["name"] == name) if kind == "action" else \
		   (a.get("to") == name and any(f != name for f in a["from"])):
			out |= set(a.get("types", ALL))
	return out
rows = [(ph["phase"], r) for ph in m["phases"] for r in ph["actions"]]
assert len(rows) == len(acts), (len(rows), len(acts))
used = set()
for ph in m["phases"]:
	last = -1
	for r in ph["actions"]:
		idx = [i for i, a in enumerate(acts) if i not in used and
			a["name"] == r["action"] and a.get("types") == r["types"] and
			a["from"] == r["from"] and a.get("to") == r["to"]]
		assert idx, ("no such action", r)
		assert idx[0] > last, ("out of policy order", r)
		used.add(idx[0]); last = idx[0]
		a = acts[idx[0]]
		if "phase" in a:
			assert ph["phase"] == a["phase"], (a, ph["phase"])
		types = a.get("types", ALL)
		want_a = set()
		if a.get("approval"):
			for ar in p.get("approval_rules", []):
				wt = ar["when"].get("type")
				if (wt in types) if wt else any(t != "emergency" for t in types):
					want_a |= {q["role"] for q in ar["require"]}
			for ru in p.get("rules", []):
				wt = ru["when"].get("type", ALL)
				wt = [wt] if isinstance(wt, str) else wt
				if set(wt) & set(types) & fired(ru["when"]["on"]):
					want_a |= {q["role"] for q in ru["then"].get("require", [])}
		assert set(r["cells"]) == set(roles), r["cells"]
		for role in roles:
			c = r["cells"][role]
			assert re.fullmatch("R?A?C?I?", c), c
			assert ("R" in c) == (role in a["roles"] or "*" in a["roles"]), (a["name"], role, c)
			assert ("A" in c) == (role in want_a), (a["name"], types, role, c, want_a)
assert len(used) == len(acts)
print(len(rows), "rows", sum(1 for _ in roles), "roles")
EOF
	then
		ok "matrix agrees with the policy, worked out again in python ($(tail -1 "$TMP/xerr"))"
	else
		not_ok "matrix against the policy"
		sed 's/^/#   /' "$TMP/xerr"
	fi
}

# ---- the default policy ----
before=$(state .)
expect 0 "" "$CRQ" raci --format json
cp "$TMP/out" "$TMP/r1.json"
expect 0 "" "$CRQ" raci --json
same "raci --json is --format json" "$(cat "$TMP/out")" "$(cat "$TMP/r1.json")"
expect 129 "--json and --format md exclude each other" "$CRQ" raci --json --format md
"$CRQ" policy show --json >"$TMP/p1.json"
crosscheck "$TMP/r1.json" "$TMP/p1.json"
same "phases in order, the others alphabetically" "$(phases "$TMP/r1.json")" \
	"request assess authorize schedule implement review close other oversight"
same "submit/normal: requester R" "$(cell "$TMP/r1.json" submit normal requester)" "R"
same "submit/emergency: change-manager R" "$(cell "$TMP/r1.json" submit emergency change-manager)" "R"
same "submit/normal: cab nothing" "$(cell "$TMP/r1.json" submit normal cab)" ""
same "approve/normal: change-manager RA (low and medium risk)" "$(cell "$TMP/r1.json" approve normal change-manager)" "RA"
same "approve/normal: cab RA" "$(cell "$TMP/r1.json" approve normal cab)" "RA"
same "approve/normal: security RA" "$(cell "$TMP/r1.json" approve normal security)" "RA"
same "approve/normal: ecab nothing (the emergency rule)" "$(cell "$TMP/r1.json" approve normal ecab)" ""
same "approve/emergency: ecab RA" "$(cell "$TMP/r1.json" approve emergency ecab)" "RA"
same "approve/emergency: cab nothing (risk rules skip emergencies)" "$(cell "$TMP/r1.json" approve emergency cab)" ""
same "approve/emergency: security nothing (high-risk-security fires on assess, normal only)" \
	"$(cell "$TMP/r1.json" approve emergency security)" ""
same "reject: cab R, no A (not an approval)" "$(cell "$TMP/r1.json" reject normal,emergency cab)" "R"
same "assess: change-manager R" "$(cell "$TMP/r1.json" assess normal change-manager)" "R"
same "assess: ops C (high-risk-security gives ops a task)" "$(cell "$TMP/r1.json" assess normal ops)" "C"
same "assess: security C (high-risk-security asks its approval)" "$(cell "$TMP/r1.json" assess normal security)" "C"
same "escalate: automation R" "$(cell "$TMP/r1.json" escalate all automation)" "R"
same "escalate: director I (late-implementation)" "$(cell "$TMP/r1.json" escalate all director)" "I"
same "complete: director I (ends a late implementation)" "$(cell "$TMP/r1.json" complete all director)" "I"
same "complete: implementer R" "$(cell "$TMP/r1.json" complete all implementer)" "R"
same "start: director nothing" "$(cell "$TMP/r1.json" start normal,standard director)" ""
same "deploy: automation R" "$(cell "$TMP/r1.json" deploy normal,standard automation)" "R"
same "comment: roles '*', admin R" "$(cell "$TMP/r1.json" comment all admin)" "R"
same "review: reviewer R" "$(cell "$TMP/r1.json" review all reviewer)" "R"
same "three submit rows, one per type" "$(phase "$TMP/r1.json" submit normal) $(phase "$TMP/r1.json" submit standard) $(phase "$TMP/r1.json" submit emergency)" \
	"request request request"
same "derived phases" "$(for a in create:all assess:normal approve:emergency reject:normal,emergency schedule:all start:emergency deploy:emergency task-add:all review:all close:standard cancel:all escalate:all comment:all; do phase "$TMP/r1.json" "${a%%:*}" "${a#*:}"; done | tr '\n' ' ')" \
	"request assess authorize authorize schedule implement implement implement review close close oversight other "
same "crq raci writes nothing" "$(state .)" "$before"

# ---- text ----
expect 0 "" "$CRQ" raci
cp "$TMP/out" "$TMP/r1.txt"
same "text: heading" "$(head -1 "$TMP/r1.txt")" "crq raci: the workflow of policy version 1"
check "text: a legend line" grep -q '^legend: R: may take the action; A: .*; C: consulted .*; I: informed' "$TMP/r1.txt"
check "text: phase headings" sh -c "grep -qx request '$TMP/r1.txt' && grep -qx authorize '$TMP/r1.txt' && grep -qx oversight '$TMP/r1.txt'"
# the columns line up: the letters of a row stand under their role
same "text: cells under their headings" "$("$PY" -c '
import sys
lines = open(sys.argv[1]).read().split("\n")
head = [l for l in lines if l.startswith("action ")][0]
def at(action, types, role):
	col = head.index(" " + role + " ") + 1 if " " + role + " " in head else head.index(" " + role) + 1
	row = [l for l in lines if l.split()[:2] == [action, types]][0]
	return row[col:col + 4].strip() or "-"
print(at("approve", "normal", "cab"), at("approve", "normal", "security"),
	at("assess", "normal", "ops"), at("escalate", "all", "director"),
	at("submit", "normal", "requester"), at("approve", "emergency", "cab"))' "$TMP/r1.txt")" "RA RA C I R -"
check "text: no trailing blanks" sh -c "! grep -q ' \$' '$TMP/r1.txt'"

# ---- Markdown ----
expect 0 "" "$CRQ" raci --format md
cp "$TMP/out" "$TMP/r1.md"
same "md: one table row an action, every row as wide as the header" "$("$PY" -c '
import json, re, sys
rows = [l for l in open(sys.argv[1]).read().split("\n") if l.startswith("|")]
split = lambda l: [c.strip() for c in re.split(r"(?<!\\)\|", l)[1:-1]]
head, sep, body = split(rows[0]), split(rows[1]), [split(r) for r in rows[2:]]
p = json.load(open(sys.argv[2]))
assert head == ["Phase", "Action", "Types"] + list(p["roles"]), head
assert all(re.fullmatch(":?-+:?", c) for c in sep), sep
assert all(len(r) == len(head) for r in body)
m = json.load(open(sys.argv[3]))
want = [[ph["phase"], x["action"]] for ph in m["phases"] for x in ph["actions"]]
assert [r[:2] for r in body] == want
cab = head.index("cab")
print(len(body), [r[cab] for r in body if r[1:3] == ["approve", "normal"]][0])' \
	"$TMP/r1.md" "$TMP/p1.json" "$TMP/r1.json" 2>&1)" "$("$PY" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["workflow"]["actions"]))' "$TMP/p1.json") RA"
check "md: the legend after the table" grep -q '^R: may take the action\. A: ' "$TMP/r1.md"

# ---- HTML ----
expect 0 "" "$CRQ" raci --format html
cp "$TMP/out" "$TMP/r1.html"
if /usr/bin/python3 -c 'import html5lib' 2>/dev/null; then
	same "html: strict HTML5 (html5lib), caption, th scope, one row an action" "$(/usr/bin/python3 -c '
import html5lib, json, sys
text = open(sys.argv[1]).read()
doc = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(text)
assert text.startswith("<!DOCTYPE html>")
assert "<script" not in text.lower() and "http:" not in text and "https:" not in text
assert doc.find("head/style") is not None and doc.find("head/title") is not None
t = doc.find(".//table")
assert t.find("caption") is not None and "".join(t.find("caption").itertext())
heads = [th.text for th in t.findall("thead/tr/th")]
assert all(th.get("scope") == "col" for th in t.findall("thead/tr/th"))
p = json.load(open(sys.argv[2]))
assert heads == ["Phase", "Action", "Types"] + list(p["roles"]), heads
trs = t.findall("tbody/tr")
assert all(tr.find("th[@scope=\"row\"]") is not None for tr in trs)
groups = [th.text for th in t.findall("tbody/tr/th[@scope=\"rowgroup\"]")]
m = json.load(open(sys.argv[3]))
assert groups == [ph["phase"] for ph in m["phases"]], groups
def cell(action, types, role):
	for tr in trs:
		tds = tr.findall("td")
		if tr.find("th[@scope=\"row\"]").text == action and tds[0].text == types:
			return tds[1 + list(p["roles"]).index(role)].text or "-"
print(len(trs), cell("approve", "normal", "cab"), cell("assess", "normal", "ops"), cell("submit", "normal", "cab"))
' "$TMP/r1.html" "$TMP/p1.json" "$TMP/r1.json" 2>&1)" "$("$PY" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["workflow"]["actions"]))' "$TMP/p1.json") RA C -"
else
	not_ok "html5lib is not installed (make test-deps)"
fi

# ---- -o FILE ----
expect 0 "" "$CRQ" raci --format md -o "$TMP/raci.md"
same "-o: nothing on stdout" "$(cat "$TMP/out")" ""
check "-o: the file holds what stdout would" cmp "$TMP/raci.md" "$TMP/r1.md"
expect 0 "" "$CRQ" raci --format=json -o "$TMP/raci.json"
check "--format=json -o: the same JSON" cmp "$TMP/raci.json" "$TMP/r1.json"
expect 128 "cannot write '$TMP/no/such/dir/x.md'" "$CRQ" raci -o "$TMP/no/such/dir/x.md"

# ---- a policy edit changes the matrix: it is derived ----
# ops may schedule; task-add is in a phase of its own; an SLA rule
# escalates to cab; a rule gives the reviewer a task on entering
# scheduled; security's approval no longer required for high risk by
# the approval rules, nor by high-risk-security (which keeps its task)
"$PY" - "$TMP/p1.json" >"$TMP/p2.yaml" <<'EOF'
import json, sys, yaml
p = json.load(open(sys.argv[1]))
for a in p["workflow"]["actions"]:
	if a["name"] == "schedule":
		a["roles"].append("ops")
	if a["name"] == "task-add":
		a["phase"] = "prepare"
for r in p["approval_rules"]:
	if r["name"] == "high-risk":
		r["require"] = [q for q in r["require"] if q["role"] != "security"]
for r in p["rules"]:
	if r["name"] == "high-risk-security":
		del r["then"]["require"]
p["rules"].append({"name": "response-breached",
	"when": {"on": "sla-breached", "sla": "general-response"},
	"then": {"escalate": {"to": "cab"}}})
p["rules"].append({"name": "window-check", "when": {"on": "state:scheduled"},
	"then": {"add_task": {"title": "Check the window", "owner_role": "reviewer"}}})
print(yaml.safe_dump(p, sort_keys=False), end="")
EOF
expect 0 "" as alice policy apply "$TMP/p2.yaml"
expect 0 "" "$CRQ" raci --format json
cp "$TMP/out" "$TMP/r2.json"
"$CRQ" policy show --json >"$TMP/p2.json"
crosscheck "$TMP/r2.json" "$TMP/p2.json"
same "edit: schedule, ops R (was nothing)" "$(cell "$TMP/r1.json" schedule all ops) -> $(cell "$TMP/r2.json" schedule all ops)" " -> R"
same "edit: task-add in phase prepare, after the others" "$(phase "$TMP/r2.json" task-add all) | $(phases "$TMP/r2.json")" \
	"prepare | request assess authorize schedule implement review close other oversight prepare"
same "edit: approve/normal security A gone" "$(cell "$TMP/r2.json" approve normal security)" "R"
same "edit: approve/normal cab RA still" "$(cell "$TMP/r2.json" approve normal cab)" "RA"
same "edit: assess security no longer consulted, ops still" "$(cell "$TMP/r2.json" assess normal security)/$(cell "$TMP/r2.json" assess normal ops)" "/C"
same "edit: schedule, reviewer C (a task on entering scheduled)" "$(cell "$TMP/r2.json" schedule all reviewer)" "C"
same "edit: SLA escalation, cab I on escalate" "$(cell "$TMP/r2.json" escalate all cab)" "I"
same "edit: cab informed of what stops the response clock (assess, reject, cancel)" \
	"$(cell "$TMP/r2.json" assess normal cab) $(cell "$TMP/r2.json" reject normal,emergency cab) $(cell "$TMP/r2.json" cancel all cab)" "I RI I"
same "edit: not of approve (the resolution clock)" "$(cell "$TMP/r2.json" approve normal cab)" "RA"
same "edit: text heading names the new version" "$("$CRQ" raci | head -1)" "crq raci: the workflow of policy version 2"

# ---- errors ----
before=$(state .)
expect 129 "--format 'pdf': text, md, json or html" "$CRQ" raci --format pdf
expect 129 "unknown option '--frob'" "$CRQ" raci --frob
expect 129 "unexpected argument 'now'" "$CRQ" raci now
expect 129 "option '--format' given twice" "$CRQ" raci --format md --format json
expect 129 "option '-o' needs a value" "$CRQ" raci -o
expect 129 "-o needs a file name" "$CRQ" raci -o ""
expect 0 "" "$CRQ" raci -h
check "-h: the help" grep -q '^usage: crq raci \[--json | --format text|md|json|html\] \[-o FILE\]' "$TMP/out"
"$CRQ" help raci >"$TMP/help"
check "crq help raci says the same" cmp "$TMP/out" "$TMP/help"
same "errors wrote nothing" "$(state .)" "$before"
mkdir -p "$TMP/nowhere"
cd "$TMP/nowhere"
export GIT_CEILING_DIRECTORIES="$TMP"
expect 128 "fatal: not a git repository" "$CRQ" raci
same "outside a repository: one line on stderr, nothing on stdout" "$(wc -l <"$TMP/err" | tr -d ' ') $(wc -c <"$TMP/out" | tr -d ' ')" "1 0"
git init -q "$TMP/plain"
cd "$TMP/plain"
expect 128 "fatal: not a crq store: branch 'main' has no .crq/policy.yaml" "$CRQ" raci
same "a git repository without a store: one line on stderr, nothing on stdout" "$(wc -l <"$TMP/err" | tr -d ' ') $(wc -c <"$TMP/out" | tr -d ' ')" "1 0"

done_testing
