#!/bin/sh
# crq sla and crq list --sla: SLA clocks started and stopped by the
# signed steps (the change's `entered` times), counted round the clock
# or in a business calendar (UTC, Europe/London and America/New_York
# across their 2026 daylight-saving changes, weekends and a holiday);
# due, elapsed, percent, met, at risk, breached and paused checked
# against times worked out by hand (and against a minute-by-minute
# count in python's zoneinfo); `when` matching on type, priority, risk
# and services; --json against the text; the commit that started each
# clock against git log; the filters and --all; the errors; a policy
# with a bad calendar, duration or zone refused; crq verify accepts the
# history and refuses a hand-forged `entered`.
#
# 2026 dates used (weekdays): Sun 03-29 (London leaves GMT for BST at
# 01:00 UTC), Mon 03-30, Sun 04-05, Fri 10-23, Sat 10-24, Sun 10-25 (London
# leaves BST, UTC+1 -> GMT, UTC+0, at 01:00 UTC), Fri 10-30, Sun 11-01
# (New York leaves EDT, UTC-4 -> EST, UTC-5, at 06:00 UTC), Mon 11-02,
# Fri 11-06, Sat 11-07, Mon 11-09, Fri 11-13, Mon 11-16 (the office
# calendar's holiday), Tue 11-17, Fri 11-20, Mon 11-23.
. "$(dirname "$0")/lib.sh"

# at TIME: the time of the next steps (and crq's "now")
at() { export GIT_COMMITTER_DATE="$1" GIT_AUTHOR_DATE="$1"; }
plans="--set implementation_plan=p --set backout_plan=b --set test_plan=t"

# The policy under test, from the default one: four calendars and seven
# targets.  Its first argument is a python statement run on p before it
# is written (to break it).  JSON in, fresh objects out: no YAML anchors.
policy() {
	"$CRQ" policy show --json | "$PY" -c '
import json, sys, yaml
p = json.load(sys.stdin)
wk = {d: ["09:00-17:00"] for d in ["mon", "tue", "wed", "thu", "fri"]}
p["calendars"] = {
	"office": {"tz": "UTC", "hours": wk, "holidays": ["2026-11-16"]},
	"london": {"tz": "Europe/London", "hours": wk},
	"london-sun": {"tz": "Europe/London", "hours": {"sun": ["00:00-24:00"]}},
	"ny": {"tz": "America/New_York", "hours": wk},
}
stop = ["assessed", "rejected", "cancelled"]
p["sla"] = [
	{"name": "crit", "when": {"type": "normal", "priority": "critical"},
	 "from": "submitted", "until": stop, "within": "2h", "hours": "24x7"},
	{"name": "office", "when": {"services": ["billing", "ledger"]},
	 "from": "submitted", "until": stop, "within": "2h", "hours": "office"},
	{"name": "uk", "when": {"services": "web-uk"},
	 "from": "submitted", "until": stop, "within": "2h", "hours": "london"},
	{"name": "uk-sunday", "when": {"services": "web-uk-sun"},
	 "from": "submitted", "until": stop, "within": "24h", "hours": "london-sun"},
	{"name": "us", "when": {"services": "web-us"},
	 "from": "submitted", "until": stop, "within": "2h", "hours": "ny"},
	{"name": "risky", "when": {"risk": "high"},
	 "from": "assessed", "until": ["authorized", "rejected", "cancelled"],
	 "within": "4h"},
	{"name": "emergency", "when": {"type": ["emergency"]},
	 "from": "submitted", "until": ["authorized", "rejected", "cancelled"],
	 "within": "1h30m", "hours": "24x7"},
]
exec(sys.argv[1])
print(yaml.safe_dump(json.loads(json.dumps(p)), sort_keys=False), end="")' "${1:-pass}"
}

# clock ID TARGET [sla options]: one clock from --json, in one line:
# state percent elapsed due stopped(stopped_in) paused|-
clock() {
	id=$1 t=$2
	shift 2
	"$CRQ" sla "$id" --json "$@" | "$PY" -c '
import json, sys
c = [c for c in json.load(sys.stdin) if c["target"] == sys.argv[1]]
if not c:
	print("none")
else:
	c = c[0]
	print(c["state"], "%d%%" % c["percent"], c["elapsed_text"], c.get("due", "never"),
	      "%s(%s)" % (c["stopped"], c["stopped_in"]) if "stopped" in c else "-",
	      "paused" if c["paused"] else "-")' "$t"
}
# targets ID [sla options]: the names of the change's clocks
targets() { "$CRQ" sla "$1" --json | "$PY" -c '
import json, sys
print(" ".join(c["target"] for c in json.load(sys.stdin)))'; }
# ids [sla options]: change:target of every clock listed
ids() { "$CRQ" sla --json "$@" | "$PY" -c '
import json, sys
print(" ".join(c["change"] + ":" + c["target"] for c in json.load(sys.stdin)))'; }
# oracle TZ DAYS HOLIDAYS START WITHIN_MINUTES: the due time counted
# minute by minute in python's zoneinfo (DAYS: weekday numbers, 0 is
# Monday, open 09:00-17:00; "sun24": Sunday 00:00-24:00)
oracle() {
	"$PY" - "$@" <<'EOT'
import sys, datetime as dt, zoneinfo
tz, days, hol, start, left = sys.argv[1:6]
z = zoneinfo.ZoneInfo(tz)
t = dt.datetime.fromisoformat(start.replace("Z", "+00:00"))
left = int(left)
def open_(u):
	l = u.astimezone(z)
	if l.date().isoformat() in hol.split(","):
		return False
	if days == "sun24":
		return l.weekday() == 6
	return str(l.weekday()) in days.split(",") and 9 * 60 <= l.hour * 60 + l.minute < 17 * 60
while left:
	if open_(t):
		left -= 1
	t += dt.timedelta(minutes=1)
print(t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
EOT
}

# ===== store h: business hours, time zones, daylight saving =============
at 2026-03-01T08:00:00Z
cd "$TMP"
"$CRQ" init h >/dev/null
cd h
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role implementer --role reviewer >/dev/null
policy >"$TMP/sla.yaml"
expect 0 "" as alice policy apply "$TMP/sla.yaml"
for s in web-uk web-uk-sun web-us billing ledger billing web-uk-sun; do
	as alice new --title "on $s" --service $s --impact low --urgency low $plans >/dev/null
done

# --- London, the 23-hour Sunday ------------------------------------------------
# CHG-7 (web-uk-sun, calendar london-sun: Sundays 00:00-24:00 London) is
# submitted Sun 03-29 00:00Z = 00:00 GMT.  At 01:00Z London moves to
# BST, so that Sunday ends at 24:00 BST = 23:00Z: 23h.  The last hour
# of the 24 is the first of the next Sunday, 04-05 00:00 BST = 04-04
# 23:00Z: due 04-05 00:00Z.
at 2026-03-29T00:00:00Z
as alice submit CHG-000007 >/dev/null
same "uk-sunday: a 23-hour Sunday and 1h of the next: due 04-05 00:00Z" \
	"$(clock CHG-000007 uk-sunday --at 2026-03-29T00:30:00Z)" "running 2% 30m 2026-04-05T00:00:00Z - -"
same "uk-sunday: python zoneinfo agrees" \
	"$(oracle Europe/London sun24 "" 2026-03-29T00:00:00Z 1440)" "2026-04-05T00:00:00Z"
# Monday 03-30: the whole Sunday, 23h of 24h (95 %): at risk, paused
same "uk-sunday: on Monday 23h counted: at risk, paused" \
	"$(clock CHG-000007 uk-sunday --at 2026-03-30T12:00:00Z)" "at-risk 95% 23h 2026-04-05T00:00:00Z - paused"
# 03-29 22:59Z is 23:59 BST, still Sunday: 22h59m (1379m of 1440m, 95 %)
same "uk-sunday: 23:59 BST is still Sunday" \
	"$(clock CHG-000007 uk-sunday --at 2026-03-29T22:59:00Z)" "at-risk 95% 22h59m 2026-04-05T00:00:00Z - -"
at 2026-03-30T09:00:00Z
as bob assess CHG-000007 --risk low >/dev/null
same "uk-sunday: assessed Monday: met, 23h" \
	"$(clock CHG-000007 uk-sunday)" "met 95% 23h 2026-04-05T00:00:00Z 2026-03-30T09:00:00Z(assessed) -"

# --- London, Friday before the clocks go back --------------------------
# CHG-1 (web-uk, calendar london: Mon-Fri 09:00-17:00 Europe/London) is
# submitted Fri 10-23 15:00Z = 16:00 BST.  Friday gives 1h (16:00-17:00
# BST, till 16:00Z); London is on GMT from Sunday, so Monday 10-26
# opens at 09:00 GMT = 09:00Z and the second hour ends at 10:00Z.
# (Counting in UTC hours would say Fri 17:00Z; keeping BST, Mon 09:00Z.)
at 2026-10-23T15:00:00Z
as alice submit CHG-000001 >/dev/null
same "uk: Fri 16:00 BST + 2h of London hours is due Mon 10:00 GMT" \
	"$(clock CHG-000001 uk)" "running 0% 0m 2026-10-26T10:00:00Z - -"
same "uk: python zoneinfo counts the same due time" \
	"$(oracle Europe/London 0,1,2,3,4 "" 2026-10-23T15:00:00Z 120)" "2026-10-26T10:00:00Z"
same "uk: Fri 16:30 BST: 30m worked, running, not paused" \
	"$(clock CHG-000001 uk --at 2026-10-23T15:30:00Z)" "running 25% 30m 2026-10-26T10:00:00Z - -"
# 16:00Z is 17:00 BST, closing time: from then the clock stands still
same "uk: Fri 17:30 BST: 1h, paused" \
	"$(clock CHG-000001 uk --at 2026-10-23T16:30:00Z)" "running 50% 1h 2026-10-26T10:00:00Z - paused"
same "uk: Sunday, after the change to GMT: still 1h, paused" \
	"$(clock CHG-000001 uk --at 2026-10-25T12:00:00Z)" "running 50% 1h 2026-10-26T10:00:00Z - paused"
# Monday 09:36 GMT: 1h + 36m = 96m of 120m = 80 %
same "uk: Mon 09:36 GMT: 80 %, at risk" \
	"$(clock CHG-000001 uk --at 2026-10-26T09:36:00Z)" "at-risk 80% 1h36m 2026-10-26T10:00:00Z - -"
same "uk: Mon 10:00 GMT: breached" \
	"$(clock CHG-000001 uk --at 2026-10-26T10:00:00Z)" "breached 100% 2h 2026-10-26T10:00:00Z - -"

# --- London, the 25-hour Sunday -------------------------------------------
# CHG-2 (web-uk-sun, calendar london-sun: Sundays 00:00-24:00 London) is
# submitted at 10-24 23:00Z = Sun 10-25 00:00 BST.  That Sunday lasts
# 25 hours (00:00 BST = 23:00Z Sat to 24:00 GMT = 00:00Z Mon), so 24h of
# it are used up at 10-25 23:00Z (23:00 GMT), an hour before it ends.
at 2026-10-24T23:00:00Z
as alice submit CHG-000002 >/dev/null
same "uk-sunday: 24h of a 25-hour Sunday end at 23:00 GMT" \
	"$(clock CHG-000002 uk-sunday --at 2026-10-24T23:30:00Z)" "running 2% 30m 2026-10-25T23:00:00Z - -"
same "uk-sunday: python zoneinfo agrees" \
	"$(oracle Europe/London sun24 "" 2026-10-24T23:00:00Z 1440)" "2026-10-25T23:00:00Z"
# 10-25 12:00Z: 13h since 23:00Z Saturday; 13h of 24h = 54 %
same "uk-sunday: Sunday noon: 13h worked" \
	"$(clock CHG-000002 uk-sunday --at 2026-10-25T12:00:00Z)" "running 54% 13h 2026-10-25T23:00:00Z - -"
# Monday 10-26 08:00Z: the whole Sunday, 25h (104 %), counted; paused
same "uk-sunday: on Monday the whole 25-hour Sunday counted, paused" \
	"$(clock CHG-000002 uk-sunday --at 2026-10-26T08:00:00Z)" "breached 104% 1d1h 2026-10-25T23:00:00Z - paused"

# --- New York, across 11-01 -------------------------------------------------
# CHG-3 (web-us, calendar ny: Mon-Fri 09:00-17:00 America/New_York) is
# submitted Fri 10-30 20:00Z = 16:00 EDT: 1h on Friday (till 21:00Z);
# on Mon 11-02 New York is on EST, 09:00 EST = 14:00Z, the second hour
# ends at 15:00Z.  Assessed at 14:45Z: met after 1h45m (87 %).
at 2026-10-30T20:00:00Z
as alice submit CHG-000003 >/dev/null
same "us: Fri 16:00 EDT + 2h of New York hours is due Mon 10:00 EST" \
	"$(clock CHG-000003 us)" "running 0% 0m 2026-11-02T15:00:00Z - -"
same "us: python zoneinfo agrees" \
	"$(oracle America/New_York 0,1,2,3,4 "" 2026-10-30T20:00:00Z 120)" "2026-11-02T15:00:00Z"
# Mon 13:30Z is 08:30 EST (closed; under EDT it would be 09:30, open)
same "us: Mon 08:30 EST: not open yet, paused at 1h" \
	"$(clock CHG-000003 us --at 2026-11-02T13:30:00Z)" "running 50% 1h 2026-11-02T15:00:00Z - paused"
at 2026-11-02T14:45:00Z
as bob assess CHG-000003 --risk low >/dev/null
same "us: assessed at 09:45 EST: met" \
	"$(clock CHG-000003 us)" "met 87% 1h45m 2026-11-02T15:00:00Z 2026-11-02T14:45:00Z(assessed) -"

# --- the office calendar: UTC, Mon-Fri 09:00-17:00, 11-16 a holiday -------
# CHG-4 (billing) submitted Fri 11-06 16:00Z: 1h on Friday, 1h on Monday
# 11-09 from 09:00: due Mon 10:00Z.
at 2026-11-06T16:00:00Z
as alice submit CHG-000004 >/dev/null
same "office: Fri 16:00 + 2h is due Mon 10:00" \
	"$(clock CHG-000004 office)" "running 0% 0m 2026-11-09T10:00:00Z - -"
same "office: Fri 16:30: 25 %, running" \
	"$(clock CHG-000004 office --at 2026-11-06T16:30:00Z)" "running 25% 30m 2026-11-09T10:00:00Z - -"
same "office: Saturday: paused at 1h" \
	"$(clock CHG-000004 office --at 2026-11-07T12:00:00Z)" "running 50% 1h 2026-11-09T10:00:00Z - paused"
same "office: Sunday night: the same 1h, 50 %, paused" \
	"$(clock CHG-000004 office --at 2026-11-08T23:59:00Z)" "running 50% 1h 2026-11-09T10:00:00Z - paused"
"$CRQ" sla CHG-000004 --json --at 2026-11-07T00:00:01Z >"$TMP/sat.json"
"$CRQ" sla CHG-000004 --json --at 2026-11-08T20:00:00Z >"$TMP/sun.json"
same "office: --json of Saturday and Sunday are the same clock" \
	"$(cmp -s "$TMP/sat.json" "$TMP/sun.json" && echo same)" "same"
# Mon 09:35: 60m + 35m = 95m of 120m = 79 % (rounded down); 09:36: 80 %
same "office: Mon 09:35: 79 %, running" \
	"$(clock CHG-000004 office --at 2026-11-09T09:35:00Z)" "running 79% 1h35m 2026-11-09T10:00:00Z - -"
same "office: Mon 09:36: 80 %, at risk" \
	"$(clock CHG-000004 office --at 2026-11-09T09:36:00Z)" "at-risk 80% 1h36m 2026-11-09T10:00:00Z - -"
same "office: Mon 10:00: 100 %, breached" \
	"$(clock CHG-000004 office --at 2026-11-09T10:00:00Z)" "breached 100% 2h 2026-11-09T10:00:00Z - -"
# CHG-5 (ledger) submitted Sat 11-07 12:00Z: nothing counts before Mon
# 09:00, so it is due Mon 11:00Z
at 2026-11-07T12:00:00Z
as alice submit CHG-000005 >/dev/null
same "office: submitted on Saturday, due Mon 11:00" \
	"$(clock CHG-000005 office)" "running 0% 0m 2026-11-09T11:00:00Z - paused"
same "office: Mon 08:59: still nothing worked" \
	"$(clock CHG-000005 office --at 2026-11-09T08:59:00Z)" "running 0% 0m 2026-11-09T11:00:00Z - paused"
same "office: Mon 10:00: the first hour, from 09:00" \
	"$(clock CHG-000005 office --at 2026-11-09T10:00:00Z)" "running 50% 1h 2026-11-09T11:00:00Z - -"
# paused means: now is outside the hours, whose spans hold their opening
# instant and not their closing one (09:00 <= t < 17:00, the way the
# time worked is counted).  At Mon 09:00:00 the office is open, at Fri
# 17:00:00 it is closed.
same "office: at 09:00:00 sharp the clock runs, not paused" \
	"$(clock CHG-000005 office --at 2026-11-09T09:00:00Z)" "running 0% 0m 2026-11-09T11:00:00Z - -"
same "office: at 17:00:00 sharp the office is closed: paused" \
	"$(clock CHG-000004 office --at 2026-11-06T17:00:00Z)" "running 50% 1h 2026-11-09T10:00:00Z - paused"
# CHG-4 assessed Mon 09:50 (1h50m, 91 %, met); CHG-5 at 11:30 (2h30m
# worked, 125 %, after its due time: breached)
at 2026-11-09T09:50:00Z
as bob assess CHG-000004 --risk low >/dev/null
at 2026-11-09T11:30:00Z
as bob assess CHG-000005 --risk low >/dev/null
same "office: assessed before due: met" \
	"$(clock CHG-000004 office)" "met 91% 1h50m 2026-11-09T10:00:00Z 2026-11-09T09:50:00Z(assessed) -"
same "office: assessed after due: breached, stopped" \
	"$(clock CHG-000005 office)" "breached 125% 2h30m 2026-11-09T11:00:00Z 2026-11-09T11:30:00Z(assessed) -"
same "a stopped clock does not move on later" \
	"$(clock CHG-000005 office --at 2026-11-20T12:00:00Z)" "breached 125% 2h30m 2026-11-09T11:00:00Z 2026-11-09T11:30:00Z(assessed) -"
# CHG-6 (billing) submitted Fri 11-13 16:00Z: 1h on Friday; Mon 11-16
# is a holiday; the second hour is Tue 11-17 09:00-10:00
at 2026-11-13T16:00:00Z
as alice submit CHG-000006 >/dev/null
same "office: a Monday holiday moves the due time to Tuesday" \
	"$(clock CHG-000006 office)" "running 0% 0m 2026-11-17T10:00:00Z - -"
same "office: python agrees" \
	"$(oracle UTC 0,1,2,3,4 2026-11-16 2026-11-13T16:00:00Z 120)" "2026-11-17T10:00:00Z"
same "office: the holiday at noon: paused at 1h" \
	"$(clock CHG-000006 office --at 2026-11-16T12:00:00Z)" "running 50% 1h 2026-11-17T10:00:00Z - paused"
same "office: Tue 09:30: 75 %" \
	"$(clock CHG-000006 office --at 2026-11-17T09:30:00Z)" "running 75% 1h30m 2026-11-17T10:00:00Z - -"
# the text view of the same clock, one line
expect 0 "" "$CRQ" sla CHG-000006 --at 2026-11-16T12:00:00Z
c6=$(git log --format=%H --grep "^Crq-Change: CHG-000006$" --grep "^Crq-To: submitted$" --all-match)
same "text: one line, paused said" "$(cat "$TMP/out")" \
	"CHG-000006  office                 running    50%  1h of 2h (office)  started 2026-11-13T16:00:00Z in $(echo "$c6" | cut -c1-10)  due 2026-11-17T10:00:00Z  paused: outside its hours"
# now (Fri 11-13 16:00): CHG-1 uk and CHG-2 uk-sunday run past due,
# CHG-5 was assessed late: breached; CHG-3, 4, 7 met; CHG-6 running
expect 0 "" "$CRQ" list --sla breached --format '%(id)'
same "list --sla breached, by the real clock" "$(tr '\n' ' ' <"$TMP/out")" "CHG-000001 CHG-000002 CHG-000005 "
expect 0 "" "$CRQ" list --sla at-risk --format '%(id)'
same "list --sla at-risk: none" "$(cat "$TMP/out")" ""
# cancelled, CHG-1 stops (breached) and leaves the lists of open
# changes.  Its London hours: Fri 10-23 1h, three weeks of 8h days
# (40h + 40h + Mon-Thu 32h) and Fri 11-13 09:00-16:05 (7h5m): 120h5m,
# 5d5m, 7205m of 120m = 6004 %
at 2026-11-13T16:05:00Z
as alice cancel CHG-000001 >/dev/null
same "cancel stops a breached clock" \
	"$(clock CHG-000001 uk)" "breached 6004% 5d5m 2026-10-26T10:00:00Z 2026-11-13T16:05:00Z(cancelled) -"
expect 0 "" "$CRQ" list --sla breached --format '%(id)'
same "list --sla breached: a cancelled change is not listed" "$(tr '\n' ' ' <"$TMP/out")" "CHG-000002 CHG-000005 "
same "sla --breached: open changes only" "$(ids --breached)" "CHG-000002:uk-sunday CHG-000005:office"
same "sla --breached --all: the cancelled one too" "$(ids --breached --all)" \
	"CHG-000001:uk CHG-000002:uk-sunday CHG-000005:office"
expect 0 "" "$CRQ" verify

# ===== store m: round the clock, when, --json, filters, list, verify =======
at 2026-11-20T08:00:00Z
cd "$TMP"
"$CRQ" init m >/dev/null
cd m
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role implementer --role reviewer >/dev/null
as alice member add erin@example.com --key "$(keyfor erin).pub" --name Erin \
	--role ecab >/dev/null
policy >"$TMP/sla.yaml"
expect 0 "" as alice policy apply "$TMP/sla.yaml"
# CHG-1, CHG-2: normal, impact high x urgency high = priority critical
as alice new --title "A" --service core --impact high --urgency high $plans >/dev/null
as alice new --title "B" --service core --impact high --urgency high $plans >/dev/null
# CHG-3: an emergency, also critical (type emergency: not crit)
as alice new --title "E" --type emergency --set incident=INC-7 --service core --impact high --urgency high $plans >/dev/null
# CHG-4: high x medium = priority high (not critical); CHG-5: medium
as alice new --title "H" --service core --impact high --urgency medium $plans >/dev/null
as alice new --title "N" --service other --impact medium --urgency medium $plans >/dev/null
# CHG-6: critical, submitted last; CHG-7: low x low on web and ledger:
# the office target (services [billing, ledger]) only
as alice new --title "K" --service core --impact high --urgency high $plans >/dev/null
as alice new --title "L" --service web --service ledger --impact low --urgency low $plans >/dev/null
# CHG-8: low x low, service core: nothing until it is assessed high
as alice new --title "R" --service core --impact low --urgency low $plans >/dev/null
same "a draft has no clock" "$(targets CHG-000001)" ""

# --- crit: 2h round the clock ------------------------------------------------
at 2026-11-20T10:00:00Z
as alice submit CHG-000001 >/dev/null
same "crit: due = started + 2h" "$(clock CHG-000001 crit)" "running 0% 0m 2026-11-20T12:00:00Z - -"
# 11:34:48 is 5688 s of 7200 s: 79.0 %; 11:36:00 is 96m: 80 %
same "crit: 79 %: running" \
	"$(clock CHG-000001 crit --at 2026-11-20T11:34:48Z)" "running 79% 1h34m 2026-11-20T12:00:00Z - -"
same "crit: 80 %: at risk" \
	"$(clock CHG-000001 crit --at 2026-11-20T11:36:00Z)" "at-risk 80% 1h36m 2026-11-20T12:00:00Z - -"
same "crit: 100 %: breached" \
	"$(clock CHG-000001 crit --at 2026-11-20T12:00:00Z)" "breached 100% 2h 2026-11-20T12:00:00Z - -"
same "crit: a weekend does not pause 24x7" \
	"$(clock CHG-000001 crit --at 2026-11-21T10:00:00Z)" "breached 1200% 1d 2026-11-20T12:00:00Z - -"
at 2026-11-20T10:05:00Z
as alice submit CHG-000002 >/dev/null
# a comment on CHG-2 in the same second as its submit: a step that
# stays in submitted, and enters nothing (started_commit is the submit)
as alice comment CHG-000002 -m "in the same second as the submit" >/dev/null
at 2026-11-20T10:10:00Z
as alice submit CHG-000003 >/dev/null
at 2026-11-20T10:15:00Z
as alice submit CHG-000004 >/dev/null
as alice submit CHG-000005 >/dev/null
at 2026-11-20T10:20:00Z
as alice submit CHG-000007 >/dev/null

# --- when ----------------------------------------------------------------------
same "priority critical, type normal: crit" "$(targets CHG-000001)" "crit"
same "type emergency: not crit (type normal), but emergency" "$(targets CHG-000003)" "emergency"
same "priority high: not crit" "$(targets CHG-000004)" ""
same "services [billing, ledger] admits a change on web and ledger" "$(targets CHG-000007)" "office"
same "a change no target matches has no clock" "$(targets CHG-000005)" ""
expect 0 "" "$CRQ" sla CHG-000005
same "no clock, said so" "$(cat "$TMP/out")" "no SLA clock on CHG-000005"
expect 0 "" "$CRQ" sla CHG-000005 --json
same "no clock: an empty JSON array" "$(tr -d ' \n' <"$TMP/out")" "[]"

at 2026-11-20T11:00:00Z
as bob assess CHG-000001 --risk low >/dev/null
same "crit: assessed after 1h: met" \
	"$(clock CHG-000001 crit)" "met 50% 1h 2026-11-20T12:00:00Z 2026-11-20T11:00:00Z(assessed) -"
# emergency: 1h30m from 10:10, due 11:40; cancelled at 11:20, met
at 2026-11-20T11:20:00Z
as alice cancel CHG-000003 >/dev/null
same "emergency: cancelled stops the clock: met" \
	"$(clock CHG-000003 emergency)" "met 77% 1h10m 2026-11-20T11:40:00Z 2026-11-20T11:20:00Z(cancelled) -"
# risk: CHG-4 assessed high at 12:00: risky starts (4h round the clock,
# the default hours); CHG-5 assessed low: still no clock
at 2026-11-20T12:00:00Z
as bob assess CHG-000004 --risk high >/dev/null
as bob assess CHG-000005 --risk low >/dev/null
same "risk high: risky, from assessed" "$(targets CHG-000004)" "risky"
same "risky: due 16:00" "$(clock CHG-000004 risky)" "running 0% 0m 2026-11-20T16:00:00Z - -"
same "risk low: no clock" "$(targets CHG-000005)" ""
at 2026-11-20T13:05:00Z
as bob assess CHG-000002 --risk low >/dev/null
same "crit: assessed after 3h: breached" \
	"$(clock CHG-000002 crit)" "breached 150% 3h 2026-11-20T12:05:00Z 2026-11-20T13:05:00Z(assessed) -"
# --at before the assessment: the clock as it stood then, still running
# (10:05 to 11:00 is 55 of 120 minutes, 45 %); before the submit, none
same "--at before the stop: running then" \
	"$(clock CHG-000002 crit --at 2026-11-20T11:00:00Z)" "running 45% 55m 2026-11-20T12:05:00Z - -"
same "--at before the start: no clock yet" \
	"$(clock CHG-000002 crit --at 2026-11-20T10:00:00Z)" "none"

# --- --json against the text; the commit that started each clock -----------
# the step that entered a state: git log's newest step of the change
# whose Crq-To is the state and whose Crq-From is not (a comment in a
# state also says Crq-To: that state, but entered nothing)
entered_by() { git log --format='%H %(trailers:key=Crq-Change,valueonly,separator=)|%(trailers:key=Crq-From,valueonly,separator=)|%(trailers:key=Crq-To,valueonly,separator=)' |
	awk -v want="$1|$2" '{ split($2, t, "|") } t[1] "|" t[3] == want && t[2] != t[3] { print $1; exit }'; }
"$CRQ" sla --all --json >"$TMP/all.json"
"$CRQ" sla --all >"$TMP/all.txt"
"$PY" - "$TMP/all.json" "$TMP/all.txt" <<'EOT' && ok "--json says what the text says, clock by clock" || not_ok "json/text: $(cat "$TMP/all.txt")"
import json, sys
js = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read().splitlines()
assert len(js) == len(text) == 5, (js, text)
for c, line in zip(js, text):
	want = "%s  %-22s %-9s %3d%%  %s of %s (%s)  started %s in %s  due %s" % (
		c["change"], c["target"], c["state"], c["percent"], c["elapsed_text"],
		c["within"], c["hours"], c["started"], c["started_commit"][:10], c["due"])
	if "stopped" in c:
		want += "  stopped %s (%s)" % (c["stopped"], c["stopped_in"])
	elif c["paused"]:
		want += "  paused: outside its hours"
	assert line == want, (line, want)
	assert set(c) <= {"change", "target", "from", "hours", "within", "started",
		"started_commit", "due", "stopped", "stopped_in", "elapsed",
		"elapsed_text", "percent", "state", "paused", "at_risk"}, c
	assert c["percent"] == c["elapsed"] * 100 // {"2h": 7200, "4h": 14400, "1h30m": 5400}[c["within"]], c
EOT
same "text: a met, stopped clock, in full" "$(grep '^CHG-000001 ' "$TMP/all.txt")" \
	"CHG-000001  crit                   met        50%  1h of 2h (24x7)  started 2026-11-20T10:00:00Z in $(entered_by CHG-000001 submitted | cut -c1-10)  due 2026-11-20T12:00:00Z  stopped 2026-11-20T11:00:00Z (assessed)"
same "text: a running clock past due, in full" "$(grep '^CHG-000007 ' "$TMP/all.txt")" \
	"CHG-000007  office                 breached  137%  2h45m of 2h (office)  started 2026-11-20T10:20:00Z in $(entered_by CHG-000007 submitted | cut -c1-10)  due 2026-11-20T12:20:00Z"
for c in CHG-000001:crit:submitted CHG-000002:crit:submitted CHG-000003:emergency:submitted \
	CHG-000004:risky:assessed CHG-000007:office:submitted; do
	id=${c%%:*} st=${c##*:} t=${c#*:}
	t=${t%:*}
	got=$("$PY" -c '
import json, sys
print([c["started_commit"] for c in json.load(open(sys.argv[1]))
	if c["change"] == sys.argv[2] and c["target"] == sys.argv[3]][0])' "$TMP/all.json" "$id" "$t")
	same "started_commit of $id $t: the step git log shows entering $st" "$got" "$(entered_by $id $st)"
done
same "the started commit's time is the clock's start" \
	"$(git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ "$(entered_by CHG-000004 assessed)")" "2026-11-20T12:00:00Z"

# --- --all: closed and cancelled changes --------------------------------------
# CHG-1 walks on to closed (approve, schedule, start, complete, review,
# close); its crit clock stays met
at 2026-11-20T13:10:00Z
as bob approve CHG-000001 >/dev/null
as bob schedule CHG-000001 --start 2026-11-20T14:00:00Z --end 2026-11-20T15:00:00Z >/dev/null
at 2026-11-20T14:00:00Z
as bob start CHG-000001 >/dev/null
at 2026-11-20T14:30:00Z
as bob complete CHG-000001 --close-code successful >/dev/null
as bob review CHG-000001 -m "fine" >/dev/null
as bob close CHG-000001 >/dev/null
same "CHG-1 is closed" "$("$CRQ" show CHG-000001 --json | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["state"])')" "closed"
same "a closed change keeps its met clock" \
	"$(clock CHG-000001 crit)" "met 50% 1h 2026-11-20T12:00:00Z 2026-11-20T11:00:00Z(assessed) -"

# Monday 11-23: CHG-6 (crit) submitted 08:20; CHG-8 submitted 08:30 and
# assessed high at 09:00 (risky, 4h)
at 2026-11-23T08:20:00Z
as alice submit CHG-000006 >/dev/null
at 2026-11-23T08:30:00Z
as alice submit CHG-000008 >/dev/null
same "low priority on core: no clock" "$(targets CHG-000008)" ""
at 2026-11-23T09:00:00Z
as bob assess CHG-000008 --risk high >/dev/null
# now Mon 10:00.  CHG-2 crit: breached (stopped Fri).  CHG-4 risky:
# running since Fri 12:00, due Fri 16:00: breached.  CHG-6 crit: 100m
# of 120m, 83 %: at risk.  CHG-7 office: Fri 10:20-17:00 (6h40m) + Mon
# 09:00-10:00 (1h) = 460m, 383 %, due Fri 12:20: breached.  CHG-8
# risky: 1h of 4h, 25 %: running.  CHG-1 closed, CHG-3 cancelled.
at 2026-11-23T10:00:00Z
same "CHG-6 at risk" "$(clock CHG-000006 crit)" "at-risk 83% 1h40m 2026-11-23T10:20:00Z - -"
same "CHG-7 breached in office hours" "$(clock CHG-000007 office)" "breached 383% 7h40m 2026-11-20T12:20:00Z - -"
same "CHG-8 running" "$(clock CHG-000008 risky)" "running 25% 1h 2026-11-23T13:00:00Z - -"
same "--at with a zone offset: 11:00+01:00 is 10:00Z" \
	"$(clock CHG-000006 crit --at 2026-11-23T11:00:00+01:00)" "at-risk 83% 1h40m 2026-11-23T10:20:00Z - -"
same "sla: the clocks of open changes" "$(ids)" \
	"CHG-000002:crit CHG-000004:risky CHG-000006:crit CHG-000007:office CHG-000008:risky"
same "sla --all: closed and cancelled too" "$(ids --all)" \
	"CHG-000001:crit CHG-000002:crit CHG-000003:emergency CHG-000004:risky CHG-000006:crit CHG-000007:office CHG-000008:risky"
same "sla --breached" "$(ids --breached)" "CHG-000002:crit CHG-000004:risky CHG-000007:office"
same "sla --at-risk" "$(ids --at-risk)" "CHG-000006:crit"
same "sla --at-risk --breached: either" "$(ids --breached --at-risk)" \
	"CHG-000002:crit CHG-000004:risky CHG-000006:crit CHG-000007:office"
same "sla --at-risk --at: the clocks at risk then" "$(ids --at-risk --at 2026-11-23T09:40:00Z)" ""
same "sla --at-risk --at later: CHG-8 at 80 % at 12:12" "$(ids --at-risk --at 2026-11-23T12:12:00Z)" "CHG-000008:risky"
expect 0 "" "$CRQ" sla --at-risk --at 2026-11-23T08:30:00Z
same "nothing at risk: said so" "$(cat "$TMP/out")" "no SLA clock at risk or breached"
expect 0 "" "$CRQ" list --sla breached --format '%(id)'
same "list --sla breached: the changes with a breached clock" "$(cat "$TMP/out" | tr '\n' ' ')" "CHG-000002 CHG-000004 CHG-000007 "
expect 0 "" "$CRQ" list --sla at-risk --format '%(id)'
same "list --sla at-risk" "$(cat "$TMP/out")" "CHG-000006"
expect 0 "" "$CRQ" list --sla breached --state assessed --json
same "list --sla with --state: both" "$("$PY" -c 'import json, sys; print(" ".join(c["id"] for c in json.load(open(sys.argv[1]))))' "$TMP/out")" "CHG-000002 CHG-000004"
at 2026-11-23T10:20:00Z
expect 0 "" "$CRQ" list --sla at-risk --format '%(id)'
same "list --sla follows the clock: at 10:20 CHG-6 is breached, none at risk" "$(cat "$TMP/out")" ""
expect 0 "" "$CRQ" list --sla breached --format '%(id)'
same "list --sla breached at 10:20" "$(cat "$TMP/out" | tr '\n' ' ')" "CHG-000002 CHG-000004 CHG-000006 CHG-000007 "

# --- errors ----------------------------------------------------------------------
expect 1 "no such change 'CHG-000099'" "$CRQ" sla CHG-000099
same "one line of error" "$(wc -l <"$TMP/err")" "1"
expect 1 "'foo' is not a change id of this store (expected CHG-NNNNNN)" "$CRQ" sla foo
expect 129 "--at '2026-11-23' is not a time (RFC 3339)" "$CRQ" sla --at 2026-11-23
expect 129 "--at 'soon' is not a time (RFC 3339)" "$CRQ" sla --at soon
expect 129 "--sla 'bogus': breached or at-risk" "$CRQ" list --sla bogus
expect 129 "unknown option '--late'" "$CRQ" sla --late
expect 129 "option '--json' given twice" "$CRQ" sla --json --json
expect 129 "option '--at' given twice" "$CRQ" sla --at 2026-11-23T10:00:00Z --at 2026-11-23T11:00:00Z
expect 129 "option '--sla' given twice" "$CRQ" list --sla breached --sla at-risk
expect 129 "unexpected argument 'CHG-000002'" "$CRQ" sla CHG-000001 CHG-000002
# a policy naming an unknown calendar, a duration of nothing, a zone
# that does not exist: refused, naming it, and nothing committed
before=$(state .)
policy 'p["sla"][1]["hours"] = "nowhere"' >"$TMP/bad1.yaml"
expect 1 "SLA target 'office' counts in calendar 'nowhere', which is not under calendars" as alice policy apply "$TMP/bad1.yaml"
policy 'p["sla"][0]["within"] = "0m"' >"$TMP/bad2.yaml"
expect 1 "SLA target 'crit': within '0m' is not a duration above zero" as alice policy apply "$TMP/bad2.yaml"
policy 'p["sla"][0]["within"] = "2hours"' >"$TMP/bad3.yaml"
expect 1 "'sla[0].within' must match the pattern" as alice policy apply "$TMP/bad3.yaml"
policy 'p["calendars"]["ny"]["tz"] = "America/Springfield"' >"$TMP/bad4.yaml"
expect 1 "time zone 'America/Springfield' is not known here" as alice policy apply "$TMP/bad4.yaml"
same "refused policies made no commit" "$(state .)" "$before"

# --- verify ------------------------------------------------------------------------
expect 0 "" "$CRQ" verify
verify_all .
fsck_clean .
# a member forges when CHG-2 entered submitted (12:00, not 10:05, so its
# breached clock would read met) in a comment made with plain git
f=changes/000/CHG-000002.yaml
git checkout -q -b forged
sed -i "s/^  submitted: '2026-11-20T10:05:00Z'$/  submitted: '2026-11-20T12:00:00Z'/" $f
sed -i "s/^updated: .*/updated: '2026-11-23T10:30:00Z'/" $f
same "the forgery is in the file" "$(grep -c "submitted: '2026-11-20T12:00:00Z'" $f)" "1"
git add $f
at 2026-11-23T10:30:00Z
gitas bob "$(keyfor bob)" commit -q -S -m "$(msg CHG-000002 comment assessed assessed)"
refused forged derived-field
grep -q "CHG-000002 derived-field: 'entered' is not what 'comment' writes here" "$TMP/vout" &&
	ok "verify names the forged field" || not_ok "forged: $(cat "$TMP/vout")"
git checkout -q main
git branch -q -D forged
expect 0 "" "$CRQ" verify
done_testing
