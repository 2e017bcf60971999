#!/bin/sh
# crq todo: what waits for each member of the default policy's roles,
# computed from the store: approvals only where the rule engine would
# take them (role still needed, separation of duties), assessments,
# schedules, starts whose window opens within a day, reviews, own open
# tasks (overdue first); and what the requester's changes wait for.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role implementer --role reviewer >/dev/null
as alice member add carol@example.com --key "$(keyfor carol).pub" --name Carol \
	--role cab >/dev/null
as alice member add dave@example.com --key "$(keyfor dave).pub" --name Dave \
	--role security >/dev/null
plans="--set implementation_plan=p --set backout_plan=b --set test_plan=t"
as alice new --title "Big" --impact high --urgency high $plans >/dev/null
as alice submit CHG-000001 >/dev/null
as alice new --title "Small" --impact low --urgency low $plans >/dev/null
as alice submit CHG-000002 >/dev/null
as alice task add CHG-000002 --title "Backup" --owner carol@example.com \
	--due 2026-11-22T00:00:00Z >/dev/null
as alice task add CHG-000002 --title "Later" --owner carol@example.com \
	--due 2026-12-22T00:00:00Z >/dev/null

todo() { "$CRQ" todo --member "$1@example.com" --json >"$TMP/todo.json" &&
	"$PY" -c '
import json, sys
t = json.load(open(sys.argv[1]))
print(" ".join(x["kind"] + ":" + x["change"] for x in t["todo"]))' "$TMP/todo.json"; }

same "the change manager assesses what is submitted" "$(todo bob)" "assess:CHG-000001 assess:CHG-000002"
same "nothing for the CAB yet but its tasks, overdue first" "$(todo carol)" "task:CHG-000002 task:CHG-000002"
"$PY" -c '
import json, sys
t = json.load(open(sys.argv[1]))["todo"]
assert t[0]["overdue"] is True and t[0]["what"] == "task 1: Backup", t
assert t[1]["overdue"] is False, t
' "$TMP/todo.json" && ok "due and overdue are said" || not_ok "tasks: $(cat "$TMP/todo.json")"
as bob assess CHG-000001 --risk high >/dev/null
as bob assess CHG-000002 --risk low >/dev/null
same "high risk: the CAB and security approve, not the change manager" "$(todo bob)" "approve:CHG-000002"
same "carol: what has a due time first, then the approval needing cab" "$(todo carol)" "task:CHG-000002 task:CHG-000002 approve:CHG-000001"
same "dave: security is needed" "$(todo dave)" "approve:CHG-000001"
same "the requester approves nothing of her own" "$(todo alice)" ""
"$PY" -c '
import json, sys
w = json.load(open(sys.argv[1]))["waiting"]
assert [(x["change"], x["waits_for"]) for x in w] == [("CHG-000001", "2 cab, 1 security"), ("CHG-000002", "1 change-manager")], w
' "$TMP/todo.json" && ok "her changes say what they wait for" || not_ok "waiting: $(cat "$TMP/todo.json")"
# ... and from whom, by name; and her SLA clock at risk: Big is critical
# (high x high), submitted at 10:00, 2h to be decided round the clock:
# at 11:40 100 of 120 minutes are gone (83 %), due at 12:00
expect 0 "" "$CRQ" todo --member alice@example.com --at 2026-11-23T11:40:00Z --json
"$PY" -c '
import json, sys
t = json.load(open(sys.argv[1]))
w = t["waiting"]
assert [(x["change"], x["who"]) for x in w] == [("CHG-000001", ["carol@example.com", "dave@example.com"]), ("CHG-000002", ["bob@example.com"])], w
s = [x for x in t["todo"] if x["kind"] == "sla"]
assert [(x["change"], x["due"], x["what"]) for x in s] == [("CHG-000001", "2026-11-23T12:00:00Z", "SLA urgent-resolution at-risk: 83% of 2h used")], t["todo"]
' "$TMP/out" && ok "who could approve, and the SLA clock at risk" || not_ok "who/sla: $(cat "$TMP/out")"
expect 0 "" "$CRQ" todo --member alice@example.com --at 2026-11-23T11:40:00Z
grep -q "^yours    CHG-000001  assessed, waits for 2 cab, 1 security from carol@example.com, dave@example.com$" "$TMP/out" && ok "the text names them too" || not_ok "text: $(cat "$TMP/out")"
# crq list --needs: the same question as a filter
expect 0 "" "$CRQ" list --needs cab --format '%(id)'
same "--needs ROLE: the changes whose rules still need it" "$(cat "$TMP/out")" "CHG-000001"
expect 0 "" "$CRQ" list --needs change-manager --format '%(id)'
same "--needs another role" "$(cat "$TMP/out")" "CHG-000002"
expect 0 "" "$CRQ" list --needs bob@example.com --json
"$PY" -c '
import json, sys
assert [c["id"] for c in json.load(open(sys.argv[1]))] == ["CHG-000002"]
' "$TMP/out" && ok "--needs EMAIL: what todo offers them" || not_ok "needs email: $(cat "$TMP/out")"
expect 1 "the policy has no role 'wizard'" "$CRQ" list --needs wizard
expect 1 "'zed@example.com' is not a member" "$CRQ" list --needs zed@example.com
expect 129 "option '--needs' given twice" "$CRQ" list --needs cab --needs cab
# separation of duties: bob edits CHG-000002, so his approval is not taken
as bob set CHG-000002 test_plan=better >/dev/null
same "an editor is not offered the approval" "$(todo bob)" ""
# approve, schedule, start, review
as alice set CHG-000002 test_plan=best >/dev/null
as alice member add erin@example.com --key "$(keyfor erin).pub" --name Erin \
	--role change-manager >/dev/null
as erin approve CHG-000002 >/dev/null
same "bob schedules the authorized change" "$(todo bob)" "schedule:CHG-000002"
# past its approvals, a change waits for none, tasks added or not
as alice task add CHG-000002 --title "After" --owner bob@example.com >/dev/null
"$CRQ" todo --member alice@example.com --json >"$TMP/todo.json"
"$PY" -c '
import json, sys
w = json.load(open(sys.argv[1]))["waiting"]
assert [x["change"] for x in w] == ["CHG-000001"], w
' "$TMP/todo.json" && ok "an authorized change waits for no approval" || not_ok "waiting: $(cat "$TMP/todo.json")"
as bob task done CHG-000002 3 >/dev/null
as bob schedule CHG-000002 --start 2026-11-30T10:00:00Z --end 2026-11-30T11:00:00Z >/dev/null
same "a window a week away is not yet a start" "$(todo bob)" ""
expect 0 "" "$CRQ" todo --member bob@example.com --at 2026-11-30T09:30:00Z
grep -q "^start    CHG-000002  Small: start: the window opens  (due 2026-11-30T10:00:00Z)" "$TMP/out" && ok "within a day of the window: start" || not_ok "start: $(cat "$TMP/out")"
expect 0 "" as bob todo
same "the text view says so when nothing waits" "$(cat "$TMP/out")" "nothing waits for bob@example.com"
expect 1 "'zed@example.com' is not a member of this store" "$CRQ" todo --member zed@example.com
expect 129 "--at 'soon' is not a time" "$CRQ" todo --at soon
expect 129 "unknown option '--all'" "$CRQ" todo --all
done_testing
