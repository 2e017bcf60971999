#!/bin/sh
# Automation rules: the default policy's two examples (a high-risk
# assess requires a security approval and gives ops a preparation task;
# an implementation two hours late is escalated to the director), each
# kind of effect (require, add_task, set) applied by crq in the step
# that fired it and a hand-made step without it refused by crq verify;
# crq escalate run twice at fixed times (idempotent) and forged
# escalations refused; the policy checks of rules.
. "$(dirname "$0")/lib.sh"

at() { export GIT_COMMITTER_DATE="$1" GIT_AUTHOR_DATE="$1"; }
plans="--set implementation_plan=p --set backout_plan=b --set test_plan=t"
# yq FILE EXPR: a python expression over the change file at HEAD (d)
yq() { git cat-file blob "HEAD:$1" | "$PY" -c "
import sys, yaml
d = yaml.safe_load(sys.stdin)
print($2)"; }
# commit_as NAME MESSAGE: commit the index as NAME, signed with NAME's key
commit_as() { gitas "$1" "$(keyfor "$1")" commit -q -S -m "$2"; }
# forge BRANCH BASE FILE PYTHON MESSAGE-FILE [NAME]: on a new branch at
# BASE, write FILE as it is at the tip with PYTHON applied to its text
# (t), commit it with the message and as NAME (default bob)
forge() {
	b=$1 base=$2 f=$3 code=$4 mfile=$5 who=${6:-bob}
	git show "HEAD:$f" >"$TMP/forged"
	git checkout -q -b "$b" "$base"
	"$PY" -c "
import sys
t = open(sys.argv[1]).read()
$code
open(sys.argv[1], 'w').write(t)" "$TMP/forged"
	cp "$TMP/forged" "$f"
	git add "$f"
	commit_as "$who" "$(cat "$mfile")"
	git checkout -q main
}

at 2026-11-23T10:00:00Z
cd "$TMP"
"$CRQ" init s >/dev/null
cd s
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role cab --role implementer --role reviewer >/dev/null
as alice member add carol@example.com --key "$(keyfor carol).pub" --name Carol \
	--role cab --role security >/dev/null
as alice member add dave@example.com --key "$(keyfor dave).pub" --name Dave \
	--role security >/dev/null
as alice member add frank@example.com --key "$(keyfor frank).pub" --name Frank \
	--role ops >/dev/null
as alice member add gina@example.com --key "$(keyfor gina).pub" --name Gina \
	--role director >/dev/null
as alice member add bot@example.com --key "$(keyfor bot).pub" --name Bot \
	--role automation >/dev/null
f1=changes/000/CHG-000001.yaml

# ===== require + add_task: the seeds' first example ======================
as alice new --title "Upgrade DB" --service db --impact high --urgency high $plans >/dev/null
as alice submit CHG-000001 >/dev/null
pre=$(git rev-parse HEAD)
expect 0 "" as bob assess CHG-000001 --risk high
git log -1 --format=%B >"$TMP/assess.msg"
same "the assess commit names the rule it fired" \
	"$(git log -1 --format='%(trailers:key=Crq-Rules,valueonly)')" "high-risk-security"
same "extra approval recorded" "$(yq $f1 'd["extra_approvals"]')" \
	"[{'rule': 'high-risk-security', 'role': 'security', 'count': 1}]"
same "the ops task, due two days on, in the same commit" \
	"$(yq $f1 '[(t["title"], t.get("owner"), t["role"], t["phase"], t["due"], t["rule"]) for t in d["tasks"]]')" \
	"[('Prepare the rollout and its backout on the hosts', None, 'ops', 'prepare', '2026-11-25T10:00:00Z', 'high-risk-security')]"
same "one commit, one file" "$(git show --format= --name-only HEAD)" "$f1"
expect 0 "" "$CRQ" verify
assessed=$(git rev-parse HEAD)

# hand-made assess commits without the rule's effects (plain git, bob's key)
forge no-task "$pre" $f1 'import re; t = re.sub(r"tasks:\n(  .*\n|    .*\n)*", "", t)' "$TMP/assess.msg"
refused no-task automation
forge no-extra "$pre" $f1 'import re; t = re.sub(r"extra_approvals:\n(  .*\n|    .*\n)*", "", t)' "$TMP/assess.msg"
refused no-extra automation
grep -v '^Crq-Rules:' "$TMP/assess.msg" >"$TMP/norules.msg"
forge no-trailer "$pre" $f1 'pass' "$TMP/norules.msg"
refused no-trailer automation
# the task is there, but given to one member instead of the role
forge task-owner "$pre" $f1 't = t.replace("    role: ops\n", "    owner: frank@example.com\n")' "$TMP/assess.msg"
refused task-owner automation

# the rule's task may not be added by hand where no rule fires
as alice new --title "Small" --service web --impact low $plans >/dev/null
as alice submit CHG-000002 >/dev/null
f2=changes/000/CHG-000002.yaml
git show HEAD:$f2 >"$TMP/c2"
"$PY" -c "
import sys
t = open(sys.argv[1]).read()
t = t.replace('requester:', 'tasks:\n  - title: x\n    role: ops\n    rule: high-risk-security\nrequester:', 1) if 'tasks:' not in t else t
open(sys.argv[1], 'w').write(t)" "$TMP/c2"
git checkout -q -b fake-rule-task
cp "$TMP/c2" $f2
"$CRQ" validate --kind change $f2 >/dev/null 2>&1 || true
git add $f2
commit_as bob "$(msg CHG-000002 comment submitted submitted)"
"$CRQ" verify fake-rule-task >"$TMP/vout" 2>&1
same "a rule's task where no rule fired is refused" "$?" "1"
git checkout -q main
# a task given to a role, by hand: only a rule gives one (a role's
# holders may tick it off, whatever their other roles)
git checkout -q -b role-task main
"$PY" -c "
import sys
t = open(sys.argv[1]).read()
t = t.replace('requester:', 'tasks:\n  - title: hand task\n    role: security\nrequester:', 1)
open(sys.argv[1], 'w').write(t)" $f2
git add $f2
commit_as alice "$(msg CHG-000002 task-add submitted submitted)"
git checkout -q main
refused role-task task-owner
# and in a new change's first commit
git checkout -q -b role-create HEAD~2
git show main:$f2 | "$PY" -c "
import sys, re
t = sys.stdin.read()
t = re.sub(r'state: .*', 'state: draft', t)
t = re.sub(r'entered:\n(  .*\n)*', \"entered:\n  draft: '2026-11-23T10:00:00Z'\n\", t)
t = t.replace('requester:', 'tasks:\n  - title: hand task\n    role: security\nrequester:', 1)
sys.stdout.write(t)" >$f2
git add $f2
commit_as alice "$(printf 'CHG-000002: create \342\200\224 x\n\nCrq-Change: CHG-000002\nCrq-Action: create\nCrq-To: draft\n')"
git checkout -q main
"$CRQ" verify role-create >"$TMP/vout" 2>&1
grep -q "task-owner: a task is given to a role only by an automation rule" "$TMP/vout" &&
	ok "refused: role-create (task-owner)" || not_ok "role-create: $(cat "$TMP/vout")"
# a low-risk assess fires nothing: a Crq-Rules trailer would lie
as bob assess CHG-000002 --risk low >/dev/null
same "a low-risk assess fires no rule" \
	"$(git log -1 --format='%(trailers:key=Crq-Rules,valueonly)')" ""
git log -1 --format=%B | "$PY" -c 'import sys; print(sys.stdin.read().rstrip("\n") + "\nCrq-Rules: high-risk-security")' >"$TMP/low.msg"
forge lying-trailer HEAD~1 $f2 'pass' "$TMP/low.msg"
refused lying-trailer automation

# crq todo: the task is on the list of whoever holds ops
"$CRQ" todo --member frank@example.com --json >"$TMP/todo.json"
same "todo: ops's task for frank" "$("$PY" -c '
import json, sys
print([(i["kind"], i["change"], i["what"]) for i in json.load(open(sys.argv[1]))["todo"] if i["kind"] == "task"])' "$TMP/todo.json")" \
	"[('task', 'CHG-000001', 'task 1: Prepare the rollout and its backout on the hosts')]"

# the extra approval is needed: two cab and carol's security approval
# meet the approval rule high-risk; with the rule's requirement counted
# the same role, dave's makes no difference, and the change authorizes
expect 0 "" as bob approve CHG-000001
expect 0 "" as carol approve CHG-000001 --role cab
expect 0 "" as dave approve CHG-000001
same "authorized with 2 cab + 1 security" "$(yq $f1 'd["state"]')" "authorized"
# the ops task holds the start back until ops did it
expect 0 "" as bob schedule CHG-000001 --start 2026-11-23T10:10:00Z --end 2026-11-23T11:00:00Z --implementer bob@example.com
expect 1 "a task of the phases it needs is not done" as bob start CHG-000001
# ops's task ticked off on a branch and merged: it lands as it was made
git checkout -q -b ops-side
expect 0 "" as frank task done CHG-000001 1
git checkout -q main
git merge -q --no-ff --no-edit -S ops-side
expect 0 "" "$CRQ" verify
expect 0 "" as bob start CHG-000001
expect 0 "" "$CRQ" verify

# ===== escalation: the seeds' second example =============================
# the window closed at 11:00; late by two hours from 13:00.  crq's
# clock (GIT_COMMITTER_DATE) says 14:00; --at says when to judge
at 2026-11-23T14:00:00Z
before=$(git rev-parse HEAD)
expect 0 "" as bot escalate --at 2026-11-23T12:30:00Z
same "nothing recorded before the condition holds" "$(cat "$TMP/out") $(git rev-parse HEAD)" "nothing to escalate $before"
expect 0 "" as bot escalate --at 2026-11-23T13:30:00Z
same "escalate says what it did" "$(cat "$TMP/out")" \
	"escalated CHG-000001: rule late-implementation (implementation-late) to director: late:2026-11-23T11:00:00Z"
same "one escalate step, by the bot" "$(git rev-list --count $before..HEAD) $(git log -1 --format='%ce %(trailers:key=Crq-Action,valueonly,separator=%x20) %(trailers:key=Crq-Escalate,valueonly,separator=%x20)')" \
	"1 bot@example.com escalate late-implementation"
same "dated at --at" "$(git log -1 --format=%cI)" "2026-11-23T13:30:00+00:00"
same "the escalation recorded in the change" "$(yq $f1 'd["escalations"]')" \
	"[{'rule': 'late-implementation', 'on': 'implementation-late', 'subject': 'late:2026-11-23T11:00:00Z', 'to': 'director', 'at': '2026-11-23T13:30:00Z'}]"
same "the state stays" "$(yq $f1 'd["state"]')" "implementing"
escalated=$(git rev-parse HEAD)
git log -1 --format=%B >"$TMP/esc.msg"
expect 0 "" as bot escalate --at 2026-11-23T13:45:00Z
same "a second run records nothing" "$(cat "$TMP/out") $(git rev-parse HEAD)" "nothing to escalate $escalated"
expect 0 "" "$CRQ" verify
# what a run would record: the ops task (due 11-25) is no rule's
expect 0 "" as bob escalate --dry-run --at 2026-11-23T13:50:00Z
same "a dry run by anyone" "$(cat "$TMP/out")" "nothing to escalate"
expect 1 "only a member holding the automation role" as bob escalate --at 2026-11-23T13:50:00Z
expect 1 "--at is in the future" as bot escalate --at 2026-11-23T15:00:00Z
expect 129 "not a time" as bot escalate --at soon
expect 129 "unknown option" as bot escalate --now

# forged escalations
at 2026-11-23T13:30:00Z
forge esc-bob "$escalated~1" $f1 'pass' "$TMP/esc.msg" bob
at 2026-11-23T14:00:00Z
refused esc-bob role
# too early: the same content, dated before the condition held
GIT_COMMITTER_DATE=2026-11-23T12:00:00Z GIT_AUTHOR_DATE=2026-11-23T12:00:00Z forge esc-early "$escalated~1" $f1 't = t.replace("2026-11-23T13:30:00Z", "2026-11-23T12:00:00Z")' "$TMP/esc.msg" bot
refused esc-early escalation
# twice for the same condition
git checkout -q -b esc-twice "$escalated"
"$PY" -c "
import sys, re
t = open(sys.argv[1]).read()
m = re.search(r'escalations:\n((?:  .*\n)+)', t)
item = m.group(1).replace('13:30:00Z', '13:40:00Z')
t = t[:m.end()] + item + t[m.end():]
t = re.sub(r'updated: .*', 'updated: 2026-11-23T13:40:00Z', t)
open(sys.argv[1], 'w').write(t)" $f1
git add $f1
GIT_COMMITTER_DATE=2026-11-23T13:40:00Z GIT_AUTHOR_DATE=2026-11-23T13:40:00Z commit_as bot "$(cat "$TMP/esc.msg")"
git checkout -q main
refused esc-twice escalation
# naming a rule that is not time-driven
sed 's/^Crq-Escalate: .*/Crq-Escalate: high-risk-security/' "$TMP/esc.msg" >"$TMP/esc2.msg"
at 2026-11-23T13:30:00Z
forge esc-rule "$escalated~1" $f1 't = t.replace("rule: late-implementation", "rule: high-risk-security")' "$TMP/esc2.msg" bot
at 2026-11-23T14:00:00Z
refused esc-rule escalation
# an escalate step without the escalation it records
at 2026-11-23T13:30:00Z
forge esc-empty "$escalated~1" $f1 'import re; t = re.sub(r"escalations:\n(  .*\n|    .*\n)*", "", t)' "$TMP/esc.msg" bot
at 2026-11-23T14:00:00Z
refused esc-empty escalation

# ===== set, and a require with teeth: a policy of our own ===============
at 2026-11-24T09:00:00Z
"$CRQ" policy show --json | "$PY" -c '
import json, sys, yaml
p = json.load(sys.stdin)
p["approval_rules"] = [{"name": "low-risk", "when": {"risk": "low"},
	"require": [{"role": "change-manager", "count": 1}]}]
p["rule_settable"] = ["owner"]
p["rules"] = p["rules"] + [{"name": "payments-owner",
	"when": {"on": "state:submitted", "services": ["payments"]},
	"then": {"set": {"owner": "carol@example.com"},
		"require": [{"role": "cab", "count": 1}]}}]
print(yaml.safe_dump(json.loads(json.dumps(p)), sort_keys=False), end="")' >"$TMP/p2.yaml"
expect 0 "" as alice policy apply "$TMP/p2.yaml"
as alice new --title "Pay fix" --service payments --impact low $plans >/dev/null
pre3=$(git rev-parse HEAD)
expect 0 "" as alice submit CHG-000003
f3=changes/000/CHG-000003.yaml
git log -1 --format=%B >"$TMP/submit3.msg"
same "set and require on entering submitted" "$(yq $f3 '(d["owner"], d["extra_approvals"])')" \
	"('carol@example.com', [{'rule': 'payments-owner', 'role': 'cab', 'count': 1}])"
same "Crq-Rules" "$(git log -1 --format='%(trailers:key=Crq-Rules,valueonly)')" "payments-owner"
expect 0 "" as bob assess CHG-000003 --risk low
expect 0 "" as bob approve CHG-000003
same "low risk, one change-manager approval: the rule's cab still missing" \
	"$(yq $f3 'd["state"]')" "assessed"
expect 0 "" as carol approve CHG-000003
same "then authorized" "$(yq $f3 'd["state"]')" "authorized"
expect 0 "" "$CRQ" verify
# a submit without the owner the rule sets
git checkout -q -b no-set "$pre3"
as alice submit CHG-000003 >/dev/null
"$PY" -c "
import sys
t = open(sys.argv[1]).read()
open(sys.argv[1], 'w').write(t.replace('owner: carol@example.com\n', ''))" $f3
git add $f3
git commit -q --amend -S -C HEAD
git checkout -q main
refused no-set automation
# owner set by hand in a step that may not set it, no rule firing
git checkout -q -b hand-owner "$pre3"
as alice comment CHG-000003 -m hi >/dev/null
"$PY" -c "
import sys
t = open(sys.argv[1]).read()
open(sys.argv[1], 'w').write(t.replace('requester:', 'owner: alice@example.com\nrequester:', 1))" $f3
git add $f3
git commit -q --amend -S -C HEAD
git checkout -q main
refused hand-owner changed-field

# ===== crq sync replays the steps; the rules fire again on the new tip ===
at 2026-11-24T10:00:00Z
as alice new --title "Replay me" --service db --impact high --urgency low $plans >/dev/null
as alice submit CHG-000004 >/dev/null
cd "$TMP"
git clone -q --bare s server.git
git clone -q server.git k1
git clone -q server.git k2
(cd k1 && as bob assess CHG-000004 --risk high >/dev/null)
(cd k2 && as alice comment CHG-000003 -m "upstream moved" >/dev/null && "$CRQ" sync >/dev/null 2>&1)
cd k1
expect 0 "" as bob sync
grep -q "^replayed assess CHG-000004" "$TMP/out" && ok "the high-risk assess replayed" || not_ok "sync: $(cat "$TMP/out")"
same "its rule's effects once, in the replayed commit" \
	"$(yq changes/000/CHG-000004.yaml '(len(d["tasks"]), d["extra_approvals"][0]["role"])') $(git log -1 --format='%(trailers:key=Crq-Rules,valueonly)' -- changes/000/CHG-000004.yaml)" \
	"(1, 'security') high-risk-security"
expect 0 "" "$CRQ" verify
cd "$TMP/s"

# a rule that sets what a change may not hold: the step is refused,
# and the message blames the rule, not the change
"$CRQ" policy show --json | "$PY" -c '
import json, sys, yaml
p = json.load(sys.stdin)
p["rules"][-1]["then"]["set"] = {"owner": {"a": [1]}}
print(yaml.safe_dump(json.loads(json.dumps(p)), sort_keys=False), end="")' >"$TMP/p3.yaml"
expect 0 "" as alice policy apply "$TMP/p3.yaml"
as alice new --title "Pay more" --service payments --impact low $plans >/dev/null
id=$(git log -1 --format='%(trailers:key=Crq-Change,valueonly)')
expect 1 "rule 'payments-owner' of the policy writes what a change may not hold: 'owner' must be of type string" as alice submit $id
expect 0 "" as alice policy apply "$TMP/p2.yaml"

# ===== crq writes no file its verify would refuse ========================
# under the 1 MiB crq reads, over the 1 MiB it writes: one short line
# after another grows by the literal block's indentation
"$PY" -c 'import json; print(json.dumps({"title": "Big", "description": "a\n" * 330000}))' >"$TMP/big.json"
before=$(state .)
expect 1 "' would be " as alice new -F "$TMP/big.json"
grep -q "a crq file may hold 1048576 at most" "$TMP/err" && ok "says the limit" || not_ok "limit: $(cat "$TMP/err")"
same "nothing written" "$(state .)" "$before"

# ===== the policy's checks of rules =====================================
bad() {
	desc=$1 code=$2 want=$3
	"$CRQ" policy show --json | "$PY" -c "
import json, sys, yaml
p = json.load(sys.stdin)
$code
print(yaml.safe_dump(json.loads(json.dumps(p)), sort_keys=False), end='')" >"$TMP/bad.yaml"
	expect 1 "$want" as alice policy apply "$TMP/bad.yaml"
}
bad "unknown on" 'p["rules"][0]["when"]["on"] = "frobnicate"' "which names no action, state or time condition"
bad "duplicate" 'p["rules"].append(dict(p["rules"][0]))' "is named twice"
bad "unknown role" 'p["rules"][0]["then"]["require"][0]["role"] = "wizard"' "requires role 'wizard', which the policy does not define"
bad "require too late" 'p["rules"][0]["when"]["on"] = "approve"' "the requirement would come too late"
bad "set outside rule_settable" 'p["rules"][0]["then"]["set"] = {"justification": "x"}' "sets 'justification', which rule_settable does not list"
bad "settable derived" 'p["rule_settable"] = ["state"]' "rule_settable may not name 'state'"
bad "settable read by rules" 'p["rule_settable"] = ["risk"]' "rule_settable may not name 'risk'"
bad "escalate on a step" 'p["rules"][0]["then"]["escalate"] = {"to": "director"}' "escalate is for a time condition"
bad "escalate to nobody" 'p["rules"][1]["then"]["escalate"] = {"to": "ceo"}' "escalates to 'ceo', which is no role"
bad "after on the wrong on" 'p["rules"][0]["when"]["after"] = "1h"' "when.after is for task-overdue and implementation-late"
bad "task role" 'p["rules"][0]["then"]["add_task"]["owner_role"] = "elves"' "gives a task to role 'elves'"
bad "a control character in what a rule writes" 'p["rule_settable"] = ["owner", "justification"]; p["rules"][0]["then"]["set"] = {"justification": "x\u001b[31mRED\u0007"}' "rule 'high-risk-security' writes a control character (U+001B)"
bad "a control character in a task" 'p["rules"][0]["then"]["add_task"]["title"] = "ok\u001b]0;pwned\u0007"' "writes a control character (U+001B)"
bad "a task due past any calendar" 'p["rules"][0]["then"]["add_task"]["due_in"] = "100000000d"' "gives its task 100000000d: more than ten years"
bad "owner and role" 'p["rules"][0]["then"]["add_task"]["owner"] = "bob@example.com"' "'rules[0].then.add_task' matches a schema it must not match"
# the same policy made by hand, with plain git and an admin's key
git checkout -q -b bad-policy
"$CRQ" policy show --json | "$PY" -c '
import json, sys, yaml
p = json.load(sys.stdin)
p["roles"]["extra"] = "x"
print(yaml.safe_dump(json.loads(json.dumps(p)), sort_keys=False), end="")' >"$TMP/ok.yaml"
as alice policy apply "$TMP/ok.yaml" >/dev/null
"$PY" -c '
import sys
t = open(".crq/policy.yaml").read()
t = t.replace("title: Prepare the rollout", "title: \"Prepare\\e[31m the rollout", 1)
t = t.replace("backout on the hosts\n", "backout on the hosts\"\n", 1)
open(".crq/policy.yaml", "w").write(t)'
grep -q 'e\[31m' .crq/policy.yaml && ok "the hand-made policy holds the escape" || not_ok "no escape written"
git add .crq/policy.yaml
gitas alice "$(keyfor alice)" commit -q --amend -S -C HEAD
git checkout -q main
"$CRQ" verify bad-policy >"$TMP/vout" 2>&1
grep -q "writes a control character (U+001B)" "$TMP/vout" && ok "verify refuses a hand-made policy whose rule writes a control character" ||
	not_ok "bad-policy: $(cat "$TMP/vout")"
fsck_clean .
verify_all .
done_testing
