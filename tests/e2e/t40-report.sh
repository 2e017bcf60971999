#!/bin/sh
# crq report, the change metrics: a fixed-date history of nine changes
# (five normal changes through to close: three successful, one failed,
# one backed out; an emergency change still implementing; a standard
# change waiting authorized; a cancelled change of another service; an
# open change) under a policy with report.targets and two 24x7 SLA
# targets.  Every number is worked out by hand below (the arithmetic in
# the comments) and checked in the JSON; the JSON against
# schemas/report.schema.json, the CSV through python's csv module and
# against the JSON, the text; the filters (--from/--to on created,
# --service, --type); the errors; commits forged with plain git leave
# their changes out of every number and list them under excluded.
. "$(dirname "$0")/lib.sh"

at() { export GIT_COMMITTER_DATE="$1" GIT_AUTHOR_DATE="$1"; }
plans="--set implementation_plan=p --set backout_plan=b --set test_plan=t"
# step TIME NAME crq-args...: one step as NAME at TIME
step() {
	at "$1"
	shift
	as "$@" >/dev/null 2>"$TMP/serr" || { not_ok "step: $*"; sed 's/^/#   /' "$TMP/serr"; }
}
# python over the JSON file $1
pj() { "$PY" -c "
import json, sys
d = json.load(open(sys.argv[1]))
$2" "$1"; }
schema_ok() {
	if "$PY" -c '
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))' "$1" "$TOP/schemas/report.schema.json" 2>"$TMP/serr"; then
		ok "$(basename "$1") is valid against schemas/report.schema.json"
	else
		not_ok "$1 against report.schema.json: $(tail -3 "$TMP/serr")"
	fi
}
# rep OUT [report options]: the report as JSON into $TMP/OUT.json
rep() {
	out=$1
	shift
	"$CRQ" report --format json -o "$TMP/$out.json" "$@" 2>"$TMP/rerr" ||
		{ not_ok "crq report $*: $(cat "$TMP/rerr")"; return 1; }
}

at 2026-10-01T08:00:00Z
cd "$TMP"
"$CRQ" init r >/dev/null
cd r
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role cab --role implementer --role reviewer >/dev/null
as alice member add carol@example.com --key "$(keyfor carol).pub" --name Carol \
	--role cab >/dev/null
as alice member add erin@example.com --key "$(keyfor erin).pub" --name Erin \
	--role ecab --role implementer >/dev/null
# targets per state, and two SLA targets counted round the clock
"$CRQ" policy show --json | "$PY" -c '
import json, sys, yaml
p = json.load(sys.stdin)
p["report"] = {"targets": {"submitted": "2h", "assessed": "1h", "scheduled": "1d"}}
p["sla"] = [
	{"name": "response", "when": {"type": "normal"}, "from": "submitted",
	 "until": ["assessed", "rejected", "cancelled"], "within": "2h", "hours": "24x7"},
	{"name": "ecab", "when": {"type": "emergency"}, "from": "submitted",
	 "until": ["authorized", "rejected", "cancelled"], "within": "1h", "hours": "24x7"},
]
print(yaml.safe_dump(json.loads(json.dumps(p)), sort_keys=False), end="")' >"$TMP/policy.yaml"
expect 0 "" as alice policy apply "$TMP/policy.yaml"

# ===== the history =======================================================
# Each normal change: created, submitted, assessed, approved (medium
# risk: bob as change-manager and carol as cab; low risk: bob alone),
# scheduled at the authorization, started when its window opens,
# completed or failed, reviewed, closed.  Times in the comments are
# the visits: draft / submitted / assessed / authorized / scheduled /
# implementing / completed or failed / reviewed.

# CHG-000001 (October), medium, successful
# 1h / 1h / 3h / 0 / 21h (10-20 13:00 -> 10-21 10:00) / 1h / 1h / 1h
step 2026-10-20T08:00:00Z alice new --title "N1" --service api --impact low --urgency low $plans
step 2026-10-20T09:00:00Z alice submit CHG-000001
step 2026-10-20T10:00:00Z bob assess CHG-000001 --risk medium
step 2026-10-20T11:00:00Z bob approve CHG-000001
step 2026-10-20T13:00:00Z carol approve CHG-000001
step 2026-10-20T13:00:00Z bob schedule CHG-000001 --start 2026-10-21T10:00:00Z --end 2026-10-21T12:00:00Z --implementer bob@example.com
step 2026-10-21T10:00:00Z bob start CHG-000001
step 2026-10-21T11:00:00Z bob complete CHG-000001 --close-code successful
step 2026-10-21T12:00:00Z bob review CHG-000001 -m ok
step 2026-10-21T13:00:00Z bob close CHG-000001
# CHG-000002, medium, successful; its response SLA breached (3h of 2h)
# 0 / 3h / 1h / 0 / 20h (11-02 13:00 -> 11-03 09:00) / 1h / 2h / 21h
step 2026-11-02T09:00:00Z alice new --title "N2" --service api --impact low --urgency low $plans
step 2026-11-02T09:00:00Z alice submit CHG-000002
step 2026-11-02T12:00:00Z bob assess CHG-000002 --risk medium
step 2026-11-02T12:30:00Z bob approve CHG-000002
step 2026-11-02T13:00:00Z carol approve CHG-000002
step 2026-11-02T13:00:00Z bob schedule CHG-000002 --start 2026-11-03T09:00:00Z --end 2026-11-03T11:00:00Z --implementer bob@example.com
step 2026-11-03T09:00:00Z bob start CHG-000002
step 2026-11-03T10:00:00Z bob complete CHG-000002 --close-code successful
step 2026-11-03T12:00:00Z bob review CHG-000002 -m ok
step 2026-11-04T09:00:00Z bob close CHG-000002
# CHG-000003, low, successful
# 1h / 1h / 30m / 0 / 22h30m (11-04 11:30 -> 11-05 10:00) / 2h / 1h / 1h
step 2026-11-04T09:00:00Z alice new --title "N3" --service api --impact low --urgency low $plans
step 2026-11-04T10:00:00Z alice submit CHG-000003
step 2026-11-04T11:00:00Z bob assess CHG-000003 --risk low
step 2026-11-04T11:30:00Z bob approve CHG-000003
step 2026-11-04T11:30:00Z bob schedule CHG-000003 --start 2026-11-05T10:00:00Z --end 2026-11-05T12:00:00Z --implementer bob@example.com
step 2026-11-05T10:00:00Z bob start CHG-000003
step 2026-11-05T12:00:00Z bob complete CHG-000003 --close-code successful
step 2026-11-05T13:00:00Z bob review CHG-000003 -m ok
step 2026-11-05T14:00:00Z bob close CHG-000003
# CHG-000004, low, failed
# 0 / 1h30m / 3h / 0 / 20h30m (11-09 13:30 -> 11-10 10:00) / 30m / 2h / 1h
step 2026-11-09T09:00:00Z alice new --title "N4" --service api --impact low --urgency low $plans
step 2026-11-09T09:00:00Z alice submit CHG-000004
step 2026-11-09T10:30:00Z bob assess CHG-000004 --risk low
step 2026-11-09T13:30:00Z bob approve CHG-000004
step 2026-11-09T13:30:00Z bob schedule CHG-000004 --start 2026-11-10T10:00:00Z --end 2026-11-10T12:00:00Z --implementer bob@example.com
step 2026-11-10T10:00:00Z bob start CHG-000004
step 2026-11-10T10:30:00Z bob fail CHG-000004 --close-code failed
step 2026-11-10T12:30:00Z bob review CHG-000004 -m ok
step 2026-11-10T13:30:00Z bob close CHG-000004
# CHG-000005, low, backed out
# 0 / 30m / 30m / 0 / 2d (11-16 10:00 -> 11-18 10:00) / 3h / 1h / 1h
step 2026-11-16T09:00:00Z alice new --title "N5" --service api --impact low --urgency low $plans
step 2026-11-16T09:00:00Z alice submit CHG-000005
step 2026-11-16T09:30:00Z bob assess CHG-000005 --risk low
step 2026-11-16T10:00:00Z bob approve CHG-000005
step 2026-11-16T10:00:00Z bob schedule CHG-000005 --start 2026-11-18T10:00:00Z --end 2026-11-18T14:00:00Z --implementer bob@example.com
step 2026-11-18T10:00:00Z bob start CHG-000005
step 2026-11-18T13:00:00Z bob fail CHG-000005 --close-code backed_out
step 2026-11-18T14:00:00Z bob review CHG-000005 -m ok
step 2026-11-18T15:00:00Z bob close CHG-000005
# CHG-000006, emergency (no service), implementing until now
# 0 / 45m / - / 15m / - / 10d 1h (11-20 11:00 -> now 11-30 12:00)
step 2026-11-20T10:00:00Z alice new --title "E" --type emergency --set incident=INC-1 --set implementation_plan=p --set backout_plan=b
step 2026-11-20T10:00:00Z alice submit CHG-000006
step 2026-11-20T10:45:00Z erin approve CHG-000006
step 2026-11-20T11:00:00Z erin start CHG-000006
# CHG-000007, standard (no service): draft 30m, then authorized until
# now (11-23 09:30 -> 11-30 12:00 = 7d 2h30m)
step 2026-11-23T09:00:00Z alice new --template os-patch
step 2026-11-23T09:30:00Z alice submit CHG-000007
# CHG-000008, service web, cancelled: 0 / 1h / 30m / 1h30m
step 2026-11-25T09:00:00Z alice new --title "W" --service web --impact low --urgency low $plans
step 2026-11-25T09:00:00Z alice submit CHG-000008
step 2026-11-25T10:00:00Z bob assess CHG-000008 --risk low
step 2026-11-25T10:30:00Z bob approve CHG-000008
step 2026-11-25T12:00:00Z alice cancel CHG-000008
# CHG-000009, open: draft 1h, submitted 1h until now (its SLA running)
step 2026-11-30T10:00:00Z alice new --title "O" --service api --impact low --urgency low $plans
step 2026-11-30T11:00:00Z alice submit CHG-000009
git branch -q legit
# now
at 2026-11-30T12:00:00Z

# ===== the report ========================================================
state . >"$TMP/before"
expect 0 "" "$CRQ" report --format json -o "$TMP/r.json"
schema_ok "$TMP/r.json"
same "the report reads only: refs, index and commits as they were" \
	"$(state .)" "$(cat "$TMP/before")"
"$CRQ" report --format json >"$TMP/r-stdout.json" 2>/dev/null
same "-o writes what stdout gets" "$(cmp "$TMP/r.json" "$TMP/r-stdout.json" && echo same)" same
same "generated at now, no window, no filters" \
	"$(pj "$TMP/r.json" "print(d['generated'], d['from'], d['to'], d['filters'])")" \
	"2026-11-30T12:00:00Z None None {'service': None, 'type': None}"
root=$(git rev-list --max-parents=0 HEAD)
same "verify ran over every commit after the root, clean; nothing excluded" \
	"$(pj "$TMP/r.json" "print(d['verify'], d['excluded'], d['changes'])")" \
	"{'clean': True, 'checked': $(git rev-list --count HEAD --not "$root"), 'violations': 0} [] 9"

# volume: 1 standard, 7 normal (1-5, 8, 9), 1 emergency; states now;
# services api (1-5, 9) and web (8), none for 6 and 7; CHG-000001 in
# October, the others in November
same "volume by type, state (workflow order), service and month" \
	"$(pj "$TMP/r.json" "print(d['volume'])")" \
	"{'by_type': {'standard': 1, 'normal': 7, 'emergency': 1}, 'by_state': {'submitted': 1, 'authorized': 1, 'implementing': 1, 'closed': 5, 'cancelled': 1}, 'by_service': {'api': 6, 'web': 1}, 'by_month': {'2026-10': 1, '2026-11': 8}}"

# lead times (p50 = x[ceil(n/2)], p90 = x[ceil(0.9 n)] of the sorted)
# created -> closed, CHG-1..5: 29h 48h 29h 28h30m 54h = 104400 172800
#   104400 102600 194400; sorted 102600 104400 104400 172800 194400:
#   p50 x[3] = 104400, p90 x[5] = 194400
same "lead time created -> closed" \
	"$(pj "$TMP/r.json" "print(d['lead_times']['created_to_closed'])")" \
	"{'count': 5, 'p50': 104400, 'p90': 194400}"
# submitted -> authorized, CHG-1..6, 8: 4h 4h 1h30m 4h30m 1h 45m 1h30m
#   sorted 2700 3600 5400 5400 14400 14400 16200: p50 x[4] = 5400,
#   p90 x[ceil(6.3)] = x[7] = 16200 (the standard change is never
#   submitted: it goes from draft to authorized)
same "lead time submitted -> authorized" \
	"$(pj "$TMP/r.json" "print(d['lead_times']['submitted_to_authorized'])")" \
	"{'count': 7, 'p50': 5400, 'p90': 16200}"
# authorized -> implemented (completed or failed), CHG-1..5: 22h 21h
#   24h30m 21h 51h; sorted 75600 75600 79200 88200 183600: p50 x[3] =
#   79200, p90 x[5] = 183600
same "lead time authorized -> implemented" \
	"$(pj "$TMP/r.json" "print(d['lead_times']['authorized_to_implemented'])")" \
	"{'count': 5, 'p50': 79200, 'p90': 183600}"

# time in state: every change's visits (see the history), sorted
tis() { pj "$TMP/r.json" "s = d['time_in_state']['$1']; print(s['count'], s['p50'], s['p90'], s['total'], s['target'], s['blocked'], s['blocking_rate'])"; }
same "time in state: the states measured, in workflow order (no final ones)" \
	"$(pj "$TMP/r.json" "print(list(d['time_in_state']))")" \
	"['draft', 'submitted', 'assessed', 'authorized', 'scheduled', 'implementing', 'completed', 'failed', 'reviewed']"
# draft (all 9): 0 0 0 0 0 1800 3600 3600 3600: p50 x[5] = 0, p90 x[9]
#   = 3600, total 3 * 3600 + 1800 = 12600; no target
same "draft" "$(tis draft)" "9 0 3600 12600 None 0 None"
# submitted (8, not the standard change): 1800 2700 3600 3600 3600
#   3600 5400 10800 (CHG-9 counts until now: 1h): p50 x[4] = 3600, p90
#   x[8] = 10800, total 35100; target 2h: CHG-2 (3h) blocked, 1/8
same "submitted: target 2h, one of eight blocked" "$(tis submitted)" \
	"8 3600 10800 35100 7200 1 0.125"
# assessed (CHG-1..5, 8): 1800 1800 1800 3600 10800 10800: p50 x[3] =
#   1800, p90 x[6] = 10800, total 30600; target 1h: CHG-1 and CHG-4
#   (3h each) blocked, 2/6 = 0.3333
same "assessed: target 1h, two of six blocked" "$(tis assessed)" \
	"6 1800 10800 30600 3600 2 0.3333"
# authorized (CHG-1..5 0 each, 6: 15m, 7: 7d 2h30m until now, 8:
#   1h30m): 0 0 0 0 0 900 5400 613800: p50 x[4] = 0, p90 x[8] =
#   613800, total 620100
same "authorized (a change waiting in it counts until now)" "$(tis authorized)" \
	"8 0 613800 620100 None 0 None"
# scheduled (CHG-1..5): 72000 73800 75600 81000 172800: p50 x[3] =
#   75600, p90 x[5] = 172800, total 475200; target 1d: CHG-5 (2d), 1/5
same "scheduled: target 1d, one of five blocked" "$(tis scheduled)" \
	"5 75600 172800 475200 86400 1 0.2"
# implementing (CHG-1..6): 1800 3600 3600 7200 10800 867600 (CHG-6
#   since 11-20 11:00: 10d 1h): p50 x[3] = 3600, p90 x[6] = 867600,
#   total 894600
same "implementing" "$(tis implementing)" "6 3600 867600 894600 None 0 None"
# completed (CHG-1..3): 3600 3600 7200; failed (4, 5): 3600 7200;
# reviewed (1..5): 3600 3600 3600 3600 75600, total 90000
same "completed" "$(tis completed)" "3 3600 7200 14400 None 0 None"
same "failed" "$(tis failed)" "2 3600 7200 10800 None 0 None"
same "reviewed" "$(tis reviewed)" "5 3600 75600 90000 None 0 None"

# approval latency, from entering the state the decision was given in:
# change-manager (bob): CHG-1 1h, 2 30m, 3 30m, 4 3h, 5 30m, 8 30m:
#   1800 1800 1800 1800 3600 10800: p50 x[3] = 1800, p90 x[6] = 10800
# cab (carol): CHG-1 3h, CHG-2 1h: p50 x[1] = 3600, p90 x[2] = 10800
# ecab (erin): CHG-6 45m
same "approval latency per role" \
	"$(pj "$TMP/r.json" "print(d['approval_latency'])")" \
	"{'cab': {'count': 2, 'p50': 3600, 'p90': 10800}, 'change-manager': {'count': 6, 'p50': 1800, 'p90': 10800}, 'ecab': {'count': 1, 'p50': 2700, 'p90': 2700}}"

# outcomes: 5 closed out (3 successful, 1 failed, 1 backed out):
# success 3/5 = 0.6, failed 1/5 = 0.2, backed out 0.2, change failure
# rate (1 + 1)/5 = 0.4; emergency share 1/9 = 0.1111
same "outcomes and rates" \
	"$(pj "$TMP/r.json" "print(d['outcomes'])")" \
	"{'closed_out': 5, 'successful': 3, 'successful_with_issues': 0, 'failed': 1, 'backed_out': 1, 'success_rate': 0.6, 'with_issues_rate': 0, 'failed_rate': 0.2, 'backed_out_rate': 0.2, 'change_failure_rate': 0.4, 'emergency_share': 0.1111}"

# SLA: response (normal, submitted -> assessed in 2h): met by CHG-1 (1h),
# 3 (1h), 4 (1h30m), 5 (30m), 8 (1h); breached by CHG-2 (3h); running
# for CHG-9 (1h of 2h): compliance 5/6 = 0.8333.  ecab (emergency,
# submitted -> authorized in 1h): CHG-6 met in 45m
same "SLA compliance per target, in the policy's order" \
	"$(pj "$TMP/r.json" "print(d['sla'])")" \
	"[{'target': 'response', 'met': 5, 'breached': 1, 'running': 1, 'compliance': 0.8333}, {'target': 'ecab', 'met': 1, 'breached': 0, 'running': 0, 'compliance': 1}]"

# load: alice created all 9 (2 steps each, and the cancel: 19); bob 7
# steps on each of CHG-1..5, assess and approve on 8 (37), 6 approvals,
# 5 implementations finished; carol 2 approvals; erin approve and start
same "load per member" \
	"$(pj "$TMP/r.json" "print([tuple(m.values()) for m in d['load']])")" \
	"[('alice@example.com', 19, 9, 0, 0), ('bob@example.com', 37, 0, 6, 5), ('carol@example.com', 2, 0, 2, 0), ('erin@example.com', 2, 0, 1, 0)]"

# ===== CSV ===============================================================
expect 0 "" "$CRQ" report --format csv -o "$TMP/r.csv"
same "CSV: the header, lines ending in CRLF" \
	"$("$PY" -c 'import sys; print(repr(open(sys.argv[1], "rb").readline()))' "$TMP/r.csv")" \
	"b'metric,key,value\\r\\n'"
same "CSV parses and holds every number of the JSON, in order" "$("$PY" -c '
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
d = json.load(open(sys.argv[2]))
def v(x):
    return "" if x is None else str(x)
want = [["changes", "count", v(d["changes"])]]
want += [["verify", k, v(d["verify"][k])] for k in ("checked", "violations")]
for sec in ("volume", "lead_times", "time_in_state", "approval_latency"):
    for k, o in d[sec].items():
        want += [[sec + "." + k, k2, v(x)] for k2, x in o.items()]
want += [["outcomes", k, v(x)] for k, x in d["outcomes"].items()]
for lst, name in (("sla", "target"), ("load", "member")):
    for o in d[lst]:
        want += [[lst + "." + o[name], k, v(x)] for k, x in o.items() if k != name]
print(rows[0], rows[1:] == want, len(rows) - 1)' "$TMP/r.csv" "$TMP/r.json")" \
	"['metric', 'key', 'value'] True 131"
grep -q '^outcomes,change_failure_rate,0.4' "$TMP/r.csv" && grep -q '^lead_times.created_to_closed,p50,104400' "$TMP/r.csv" &&
	grep -q '^volume.by_type,normal,7' "$TMP/r.csv" && grep -q '^load.bob@example.com,implemented,5' "$TMP/r.csv" &&
	ok "CSV rows as metric,key,value" || not_ok "CSV rows: $(head -5 "$TMP/r.csv")"

# ===== text ==============================================================
expect 0 "" "$CRQ" report
grep -q "^crq verify: clean, $(git rev-list --count HEAD --not "$root") commits checked$" "$TMP/out" &&
	ok "text: verify's verdict" || not_ok "text head: $(head -3 "$TMP/out")"
grep -q "^changes: all$" "$TMP/out" && grep -q "^9 changes$" "$TMP/out" && ok "text: no filters, the count" || not_ok "text count"
grep -q "^  created -> closed  *5  *1d 5h  *2d 6h$" "$TMP/out" &&
	ok "text: lead times as durations" || not_ok "text lead: $(grep closed "$TMP/out")"
grep -q "^  submitted  *8  *1h  *3h  *9h 45m  *2h  *1  *12.5%$" "$TMP/out" &&
	ok "text: time in state with target, blocked, rate" || not_ok "text submitted: $(grep '^  submitted' "$TMP/out")"
grep -q "^  implementing  *6  *1h  *10d 1h  *10d 8h 30m  *-  *0  *-$" "$TMP/out" &&
	ok "text: no target shows as -" || not_ok "text implementing: $(grep '^  implementing' "$TMP/out")"
grep -q "^  change failure rate  *40.0%$" "$TMP/out" && grep -q "^  emergency share  *11.1%$" "$TMP/out" &&
	ok "text: change failure rate and emergency share" || not_ok "text rates"
grep -q "^  response  *5  *1  *1  *83.3%$" "$TMP/out" && ok "text: SLA compliance" || not_ok "text sla: $(grep response "$TMP/out")"
grep -q "^  bob@example.com  *37  *0  *6  *5$" "$TMP/out" && ok "text: load" || not_ok "text load"
# columns line up: every row of the time-in-state table as wide as its head
same "text: the time-in-state table's columns align" "$(awk '/^time in state/ { w = length($0); t = 1; next } t && /^  / { if (length($0) != w) bad = 1; next } t { t = 0 } END { print bad ? "ragged" : "aligned" }' "$TMP/out")" aligned

# ===== HTML ==============================================================
expect 0 "" "$CRQ" report --format html -o "$TMP/r.html"
same "html: one file, HTML5" "$(head -c 15 "$TMP/r.html")" "<!DOCTYPE html>"

# ===== filters ===========================================================
rep web --service web
schema_ok "$TMP/web.json"
same "--service web: the cancelled change only" \
	"$(pj "$TMP/web.json" "print(d['filters'], d['changes'], d['volume']['by_service'], d['volume']['by_state'], d['outcomes']['closed_out'], d['outcomes']['change_failure_rate'], d['sla'][0]['met'], d['sla'][1]['compliance'], [(m['member'], m['steps']) for m in d['load']])")" \
	"{'service': 'web', 'type': None} 1 {'web': 1} {'cancelled': 1} 0 None 1 None [('alice@example.com', 3), ('bob@example.com', 2)]"
rep em --type emergency
same "--type emergency: one change, all of the emergency share" \
	"$(pj "$TMP/em.json" "print(d['filters']['type'], d['changes'], d['volume']['by_type'], d['outcomes']['emergency_share'], d['approval_latency'], d['time_in_state']['implementing']['p50'])")" \
	"emergency 1 {'emergency': 1} 1 {'ecab': {'count': 1, 'p50': 2700, 'p90': 2700}} 867600"
# created 11-01 .. 11-20 (a date: to its end): CHG-2..6; closed out
# 2..5: (1 failed + 1 backed out)/4 = 0.5; created -> closed 172800
# 104400 102600 194400, sorted: p50 x[2] = 104400, p90 x[4] = 194400
rep nov --from 2026-11-01 --to 2026-11-20
schema_ok "$TMP/nov.json"
same "--from/--to on created: CHG-2..6" \
	"$(pj "$TMP/nov.json" "print(d['from'], d['to'], d['changes'], d['volume']['by_month'], d['outcomes']['change_failure_rate'], d['outcomes']['success_rate'], d['lead_times']['created_to_closed'])")" \
	"2026-11-01T00:00:00Z 2026-11-20T23:59:59Z 5 {'2026-11': 5} 0.5 0.5 {'count': 4, 'p50': 104400, 'p90': 194400}"
expect 0 "" "$CRQ" report --from 2026-11-01 --to 2026-11-20 --type normal
grep -q "^changes: created from 2026-11-01T00:00:00Z to 2026-11-20T23:59:59Z of type normal$" "$TMP/out" &&
	grep -q "^4 changes$" "$TMP/out" && ok "text: the filters in force, said" || not_ok "text filters: $(head -5 "$TMP/out")"
rep oct --to 2026-10-20
same "--to a date takes in all of that day" \
	"$(pj "$TMP/oct.json" "print(d['to'], d['changes'], d['volume']['by_month'])")" \
	"2026-10-20T23:59:59Z 1 {'2026-10': 1}"
# RFC 3339 bounds are inclusive: CHG-3 created 11-04 09:00 is in, CHG-4
# created 11-09 09:00 is out
rep edge --from 2026-11-04T09:00:00Z --to 2026-11-09T08:59:59Z
same "--from/--to as times, both ends inclusive" \
	"$(pj "$TMP/edge.json" "print(d['changes'], d['outcomes']['successful'], d['lead_times']['created_to_closed'])")" \
	"1 1 {'count': 1, 'p50': 104400, 'p90': 104400}"
rep none --service nosuch
schema_ok "$TMP/none.json"
same "no change matches: zeros and nulls" \
	"$(pj "$TMP/none.json" "print(d['changes'], d['volume']['by_type'], d['lead_times']['created_to_closed'], d['outcomes']['change_failure_rate'], d['load'], d['time_in_state']['submitted'])")" \
	"0 {} {'count': 0, 'p50': None, 'p90': None} None [] {'count': 0, 'p50': None, 'p90': None, 'total': 0, 'target': 7200, 'blocked': 0, 'blocking_rate': None}"

# ===== errors ============================================================
expect 0 "" "$CRQ" report -h
grep -q "^usage: crq report " "$TMP/out" && ok "-h: the help on stdout" || not_ok "report -h: $(head -2 "$TMP/out")"
expect 129 "--format 'pdf': text, json, csv or html" "$CRQ" report --format pdf
expect 129 "--from 'last week' is not a time (RFC 3339) or a date (YYYY-MM-DD)" "$CRQ" report --from "last week"
expect 129 "--to '2026-13-01' is not a time" "$CRQ" report --to 2026-13-01
expect 129 "--to '2026-11-01' is before --from '2026-11-05'" "$CRQ" report --from 2026-11-05 --to 2026-11-01
expect 129 "--type 'minor': standard, normal or emergency" "$CRQ" report --type minor
expect 129 "unknown option '--all'" "$CRQ" report --all
expect 129 "unexpected argument 'CHG-000001'" "$CRQ" report CHG-000001
expect 129 "option '--service' given twice" "$CRQ" report --service a --service b
expect 129 "-o needs a file name" "$CRQ" report -o ""
expect 128 "cannot write '$TMP/no/such/dir/r.json'" "$CRQ" report --format json -o "$TMP/no/such/dir/r.json"
same "-o into a missing directory leaves nothing" "$(ls -d "$TMP/no" 2>/dev/null)" ""
expect 128 "" sh -c "cd '$TMP' && '$CRQ' report"
expect 128 "no trusted root" env CI=true "$CRQ" report
expect 0 "" env CI=true "$CRQ" report --trust "$root" --format json -o "$TMP/ci.json"
same "in CI with --trust: the same numbers" \
	"$(pj "$TMP/ci.json" "del d['verify']; print(d)")" "$(pj "$TMP/r.json" "del d['verify']; print(d)")"

# ===== forged commits: left out of every number =========================
f9=changes/000/CHG-000009.yaml
f1=changes/000/CHG-000001.yaml
git checkout -q -B forged legit
sed -i 's/^title: O$/title: Changed by hand/' $f9
git add $f9
git -c user.name=alice -c user.email=alice@example.com commit -q -m "$(msg CHG-000009 edit submitted submitted)"
refused forged unsigned
expect 0 "warning: 1 change left out: crq verify refuses commits of it" \
	"$CRQ" report --format json -o "$TMP/f1.json"
schema_ok "$TMP/f1.json"
# without CHG-9: 8 changes; submitted loses its 1h (count 7, total
# 35100 - 3600 = 31500), draft its 1h (8, 12600 - 3600 = 9000); the
# response SLA has nothing running; alice 2 steps and 1 creation less
same "the forged change is excluded, verify's verdict says why" \
	"$(pj "$TMP/f1.json" "print(d['excluded'], d['verify']['clean'], d['verify']['violations'], d['changes'])")" \
	"['CHG-000009'] False 1 8"
same "and it is in none of the numbers" \
	"$(pj "$TMP/f1.json" "t = d['time_in_state']; print(d['volume']['by_state'], d['volume']['by_service'], (t['submitted']['count'], t['submitted']['total']), (t['draft']['count'], t['draft']['total']), d['sla'][0], d['load'][0])")" \
	"{'authorized': 1, 'implementing': 1, 'closed': 5, 'cancelled': 1} {'api': 5, 'web': 1} (7, 31500) (8, 9000) {'target': 'response', 'met': 5, 'breached': 1, 'running': 0, 'compliance': 0.8333} {'member': 'alice@example.com', 'steps': 17, 'created': 8, 'approvals': 0, 'implemented': 0}"
expect 0 "warning: 1 change left out" "$CRQ" report
grep -q "^left out (crq verify refuses commits of them): CHG-000009$" "$TMP/out" &&
	ok "text: the excluded change is named" || not_ok "text excluded: $(head -5 "$TMP/out")"
grep -q "^crq verify: REFUSED, .* commits checked, 1 refused$" "$TMP/out" &&
	ok "text: verify's verdict" || not_ok "text verify: $(head -3 "$TMP/out")"
# and a closed change edited under a stranger's key: CHG-1 goes too;
# outcomes over CHG-2..5: (1 + 1)/4 = 0.5, October is empty
ssh-keygen -q -t ed25519 -N '' -C eve -f "$TMP/eve" </dev/null
sed -i 's/^title: N1$/title: Rewritten/' $f1
git add $f1
gitas alice "$TMP/eve" commit -q -S -m "$(msg CHG-000001 edit closed closed)"
expect 0 "warning: 2 changes left out: crq verify refuses commits of them" \
	"$CRQ" report --format json -o "$TMP/f2.json"
schema_ok "$TMP/f2.json"
same "two forged changes out: the failure rate over the four left" \
	"$(pj "$TMP/f2.json" "print(d['excluded'], d['changes'], d['outcomes']['closed_out'], d['outcomes']['change_failure_rate'], d['volume']['by_month'], d['approval_latency']['cab'])")" \
	"['CHG-000001', 'CHG-000009'] 7 4 0.5 {'2026-11': 7} {'count': 1, 'p50': 3600, 'p90': 3600}"
expect 0 "warning: 2 changes left out" "$CRQ" report --format csv -o "$TMP/f2.csv"
grep -q '^verify,violations,2' "$TMP/f2.csv" && ok "CSV: the violations counted" || not_ok "CSV violations: $(grep verify "$TMP/f2.csv")"
git checkout -q main
expect 0 "" "$CRQ" report --format json -o "$TMP/back.json"
same "back on main: nothing left out" "$(pj "$TMP/back.json" "print(d['excluded'], d['changes'])")" "[] 9"
fsck_clean .
done_testing
