#!/bin/sh
# The change calendar: collisions on a service, through the catalogue's
# dependencies and on an implementer (refused, or warned about); weekly
# maintenance windows in a zone that is not UTC; freezes added later,
# following dependencies, and for changes with no service; the service
# catalogue and the policy checks on it; in-window on start; verify
# re-judging hand-made schedule and start steps; crq calendar --json and
# --ics (RFC 5545, read back with python3-icalendar), its filters and
# its usage errors.
. "$(dirname "$0")/lib.sh"

# pol FILE PYTHON: the store's policy, changed by PYTHON (on p), as YAML
# in FILE (every string quoted: '02:00' is no plain scalar for crq)
pol() {
	"$CRQ" policy show --json | $PY -c '
import json, sys, yaml
class D(yaml.SafeDumper):
    pass
D.add_representer(str, lambda d, s: d.represent_scalar("tag:yaml.org,2002:str", s, style="\x27"))
p = json.load(sys.stdin)
exec(sys.argv[1])
print(yaml.dump(p, Dumper=D, sort_keys=False, allow_unicode=True), end="")' "$2" >"$1"
}
# j FILE PYTHON-EXPR: the expression on the JSON in FILE (as d)
j() { $PY -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
# cal ARGS...: crq calendar --json ARGS into $TMP/cal.json
cal() { "$CRQ" calendar --json "$@" >"$TMP/cal.json" 2>"$TMP/calerr" || { not_ok "calendar --json $*: $(cat "$TMP/calerr")"; echo '{}' >"$TMP/cal.json"; }; }
# kinds: the conflicts of $TMP/cal.json, one "kind id,id [key]" a line
kinds() { $PY -c '
import json, sys
for c in json.load(open(sys.argv[1]))["conflicts"]:
    print(" ".join([c["kind"], ",".join(c["changes"])] + [c[k] for k in ("service", "implementer", "freeze") if k in c]))' "$TMP/cal.json" | sort; }
# warnings: the "warning: " lines of the last expect's stderr
warnings() { grep "^warning: " "$TMP/err" | sort; }
# mk TITLE [SERVICE...]: an authorized normal change (alice asks, bob
# assesses and approves); its id in $id
mk() {
	t=$1
	shift
	set -- $(for s in "$@"; do printf -- '--service %s ' "$s"; done)
	id=$(as alice new --title "$t" "$@" --impact low --urgency low \
		--set implementation_plan=a --set backout_plan=b --set test_plan=c) || not_ok "new $t"
	as alice submit "$id" >/dev/null && as bob assess "$id" --risk low >/dev/null &&
		as bob approve "$id" >/dev/null || not_ok "authorize $id"
}
at() { export GIT_COMMITTER_DATE="$1" GIT_AUTHOR_DATE="$1"; }
# oneline CODE MESSAGE cmd...: a usage or refusal with exactly one error
# line, first, that says MESSAGE
oneline() {
	expect "$@" || return
	if [ "$(grep -c '^error: ' "$TMP/err")" = 1 ] && head -1 "$TMP/err" | grep -q '^error: '; then
		ok "one error line: $(head -1 "$TMP/err")"
	else
		not_ok "not one error line first:"
		sed 's/^/#   /' "$TMP/err"
	fi
}

cd "$TMP"
# --- without a catalogue any service goes --------------------------------------
"$CRQ" init s0 >/dev/null
expect 0 "" "$CRQ" -C s0 new --title "Legacy" --service whatever
expect 0 "" "$CRQ" -C s0 calendar --service whatever

"$CRQ" init s >/dev/null
cd s
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role implementer --role reviewer >/dev/null
as alice member add carol@example.com --key "$(keyfor carol).pub" --name Carol \
	--role cab --role implementer >/dev/null
as alice member add dave@example.com --key "$(keyfor dave).pub" --name Dave \
	--role implementer >/dev/null

# --- the catalogue and the policy's checks on it ----------------------------------
# web depends on db, app on web: a change to db touches web and app too.
# Maintenance: Saturday 22:00 to Sunday 02:00 in New York (EST in
# December, UTC-5: Sunday 03:00Z to 07:00Z) for db, web and app; Monday
# 01:00 to 03:00 in Kolkata (UTC+5:30: Sunday 19:30Z to 21:30Z) for db.
# mail has no maintenance window.
P1='
p["freeze"] = []
p["services"] = [{"name": "db", "owner": "alice@example.com"},
	{"name": "web", "owner": "bob@example.com", "depends_on": ["db"]},
	{"name": "app", "depends_on": ["web"]},
	{"name": "mail", "owner": "carol@example.com"}]
p["maintenance"] = [
	{"name": "web nights", "services": ["db", "web", "app"], "tz": "America/New_York",
	 "days": ["sat"], "start": "22:00", "end": "02:00"},
	{"name": "db mornings", "services": ["db"], "tz": "Asia/Kolkata",
	 "days": ["mon"], "start": "01:00", "end": "03:00"}]'
pol "$TMP/p1.yaml" "$P1"
before=$(state .)
pol "$TMP/bad.yaml" "$P1"'
p["services"][0]["depends_on"] = ["app"]'
oneline 1 "service 'db' depends on itself through depends_on" as alice policy apply "$TMP/bad.yaml"
pol "$TMP/bad.yaml" "$P1"'
p["services"][3]["depends_on"] = ["queue"]'
oneline 1 "service 'mail' depends on service 'queue', which is not in the services catalogue" as alice policy apply "$TMP/bad.yaml"
pol "$TMP/bad.yaml" "$P1"'
p["maintenance"][0]["tz"] = "Mars/Olympus_Mons"'
oneline 1 "time zone 'Mars/Olympus_Mons' is not known here" as alice policy apply "$TMP/bad.yaml"
pol "$TMP/bad.yaml" "$P1"'
p["services"][3]["owner"] = "zed@example.com"'
oneline 1 "the owner of service 'mail' must be a member: 'zed@example.com' is not" as alice policy apply "$TMP/bad.yaml"
pol "$TMP/bad.yaml" "$P1"'
p["freeze"] = [{"name": "x", "start": "2026-12-24T00:00:00Z", "end": "2026-12-25T00:00:00Z", "services": ["billing"]}]'
oneline 1 "the freeze names service 'billing', which is not in the services catalogue" as alice policy apply "$TMP/bad.yaml"
same "refused policies made no commit" "$(state .)" "$before"
expect 0 "" as alice policy apply "$TMP/p1.yaml"

# --- unknown services ---------------------------------------------------------------
before=$(state .)
oneline 1 "names service 'nope', which is not in the policy's services catalogue" as alice new --title "Nope" --service nope
grep -q "^hint: crq policy show lists the services" "$TMP/err" && ok "the refusal says where the services are" || not_ok "hint: $(cat "$TMP/err")"
expect 1 "names service 'nope'" as alice new --title "Half" --service web --service nope
same "an unknown service made no commit" "$(state .)" "$before"

# the changes of this test (all authorized on 2026-11-23)
mk "Web one" web; c1=$id
mk "Web two" web; c2=$id
mk "DB" db; c3=$id
mk "App" app; c4=$id
mk "Mail" mail; c5=$id
mk "Web three" web; c6=$id
mk "Web clash" web; c7=$id
mk "Web late" web; c8=$id
mk "DB frozen" db; c9=$id
mk "Nothing in particular"; c10=$id
mk "Mail timed" mail; c11=$id
mk "Timed, no service"; c12=$id
mk "Forged" web; c13=$id
mk "Timed again"; c14=$id
mk "Merge A" web; c15=$id
mk "Merge B" web; c16=$id
title17='Upgrade db, web; and mail: a long title that goes on, and on; past the 75-octet line — façade, café; naïve résumé'
mk "$title17" mail; c17=$id
std=$(as alice new --template os-patch --service web)
as alice submit "$std" >/dev/null

# --- collisions (calendar.collisions: refuse) -------------------------------------------
expect 0 "" as bob schedule $c1 --start 2026-12-06T03:00:00Z --end 2026-12-06T05:00:00Z --implementer bob@example.com
same "inside the maintenance window: no warning" "$(warnings)" ""
before=$(state .)
head=$(git rev-parse HEAD)
oneline 1 "cannot schedule $c2: its window overlaps $c1 (scheduled, 2026-12-06T03:00:00Z to 2026-12-06T05:00:00Z) on service 'web'" \
	as bob schedule $c2 --start 2026-12-06T04:00:00Z --end 2026-12-06T06:00:00Z
grep -q "^hint: crq calendar --service web shows the windows taken" "$TMP/err" && ok "the hint names the calendar" || not_ok "hint: $(cat "$TMP/err")"
same "a refused schedule makes no commit" "$(git rev-parse HEAD)" "$head"
same "... and leaves refs and index alone" "$(state .)" "$before"
same "$c2 is still authorized" "$("$CRQ" show $c2 --json | j /dev/stdin 'd["state"]')" authorized
# touching windows (end == start) do not collide
expect 0 "" as bob schedule $c2 --start 2026-12-06T05:00:00Z --end 2026-12-06T07:00:00Z --implementer carol@example.com
same "a touching window: no warning either" "$(warnings)" ""
# a change to db touches web (web depends on db)
expect 1 "cannot schedule $c3: its window overlaps $c1 (scheduled, 2026-12-06T03:00:00Z to 2026-12-06T05:00:00Z) on service 'web'" \
	as bob schedule $c3 --start 2026-12-06T03:30:00Z --end 2026-12-06T04:30:00Z
# ... and app, through web (app depends on web)
expect 0 "" as bob schedule $c4 --start 2026-12-13T03:00:00Z --end 2026-12-13T04:00:00Z --implementer dave@example.com
expect 1 "cannot schedule $c3: its window overlaps $c4 (scheduled, 2026-12-13T03:00:00Z to 2026-12-13T04:00:00Z) on service 'app'" \
	as bob schedule $c3 --start 2026-12-13T03:30:00Z --end 2026-12-13T04:30:00Z
expect 0 "" as bob schedule $c3 --start 2026-12-13T04:00:00Z --end 2026-12-13T05:00:00Z
# the other way round: a change to web over one to db
expect 1 "cannot schedule $c6: its window overlaps $c3 (scheduled, 2026-12-13T04:00:00Z to 2026-12-13T05:00:00Z) on service 'web'" \
	as bob schedule $c6 --start 2026-12-13T04:30:00Z --end 2026-12-13T05:30:00Z
# an unrelated service at the same time is fine, unless the implementer is booked
expect 1 "cannot schedule $c5: its implementer bob@example.com is booked on $c1 then (2026-12-06T03:00:00Z to 2026-12-06T05:00:00Z)" \
	as bob schedule $c5 --start 2026-12-06T04:00:00Z --end 2026-12-06T05:00:00Z --implementer bob@example.com
grep -q "^hint: another window, or --implementer someone else" "$TMP/err" && ok "the hint offers another implementer" || not_ok "hint: $(cat "$TMP/err")"
expect 0 "" as bob schedule $c5 --start 2026-12-06T04:00:00Z --end 2026-12-06T05:00:00Z --implementer dave@example.com
same "mail has no maintenance window: no warning" "$(warnings)" ""
# a change does not collide with its own old window
expect 0 "" as bob schedule $c1 --start 2026-12-06T03:30:00Z --end 2026-12-06T05:00:00Z
same "a reschedule keeps the implementer" "$("$CRQ" show $c1 --json | j /dev/stdin 'd["implementer"]')" bob@example.com
cal --from 2026-12-01T00:00:00Z --to 2027-01-01T00:00:00Z
same "every collision was refused: no conflicts" "$(kinds)" ""

# --- collisions: warn -------------------------------------------------------------------
pol "$TMP/warn.yaml" 'p["calendar"]["collisions"] = "warn"'
expect 0 "" as alice policy apply "$TMP/warn.yaml"
expect 0 "" as bob schedule $c7 --start 2026-12-06T04:30:00Z --end 2026-12-06T05:30:00Z --implementer carol@example.com
same "schedule under warn: a warning per conflict" "$(warnings)" "warning: $c1 and $c7 overlap on service 'web'
warning: $c2 and $c7 overlap on service 'web'
warning: $c2 and $c7 overlap with the same implementer carol@example.com"
same "... and the step is taken" "$(git log -1 --format=%s)" "$c7: schedule — Web clash"
cal --from 2026-12-01T00:00:00Z --to 2027-01-01T00:00:00Z
same "calendar --json lists the conflicts" "$(kinds)" "implementer $c2,$c7 carol@example.com
service $c1,$c7 web
service $c2,$c7 web"
same "a conflict's message" "$(j "$TMP/cal.json" '[c["message"] for c in d["conflicts"] if c["kind"] == "implementer"][0]')" \
	"$c2 and $c7 overlap with the same implementer carol@example.com"
expect 0 "" "$CRQ" calendar --from 2026-12-01T00:00:00Z --to 2027-01-01T00:00:00Z
grep -q "^3 conflicts:$" "$TMP/out" && grep -q "^  service: $c1 and $c7 overlap on service 'web'$" "$TMP/out" &&
	ok "the text calendar lists them too" || not_ok "text: $(cat "$TMP/out")"
expect 0 "" as alice cancel $c7
cal --from 2026-12-01T00:00:00Z --to 2027-01-01T00:00:00Z
same "a cancelled change holds no window" "$(kinds)$(j "$TMP/cal.json" '[w["change"] for w in d["windows"] if w["change"] == "'$c7'"]')" "[]"
pol "$TMP/refuse.yaml" 'p["calendar"]["collisions"] = "refuse"'
expect 0 "" as alice policy apply "$TMP/refuse.yaml"

# --- maintenance windows ----------------------------------------------------------------
# one minute early: 02:59Z is 21:59 on Saturday in New York
expect 0 "" as bob schedule $c8 --start 2026-12-20T02:59:00Z --end 2026-12-20T04:00:00Z
same "outside the window: warned" "$(warnings)" "warning: $c8 (normal) is outside every maintenance window of its services"
# exactly the window: Saturday 22:00 EST to Sunday 02:00 EST
expect 0 "" as bob schedule $c8 --start 2026-12-20T03:00:00Z --end 2026-12-20T07:00:00Z
same "exactly the window: no warning" "$(warnings)" ""
# a Monday: outside; a standard change then is not flagged
expect 0 "" as bob schedule $c6 --start 2026-12-07T05:00:00Z --end 2026-12-07T06:00:00Z
same "a Monday: warned" "$(warnings)" "warning: $c6 (normal) is outside every maintenance window of its services"
expect 0 "" as bob schedule $std --start 2026-12-07T03:00:00Z --end 2026-12-07T04:00:00Z
same "a standard change outside: no warning" "$(warnings)" ""
# db has a second window, Monday 01:00 to 03:00 in Kolkata: Sunday 19:30Z
# to 21:30Z; a minute earlier is outside both
expect 0 "" as bob schedule $c9 --start 2026-12-06T19:29:00Z --end 2026-12-06T21:30:00Z
same "a minute before Kolkata's window: warned" "$(warnings)" "warning: $c9 (normal) is outside every maintenance window of its services"
expect 0 "" as bob schedule $c9 --start 2026-12-06T19:30:00Z --end 2026-12-06T21:30:00Z
same "inside another window of the service: no warning" "$(warnings)" ""
cal --from 2026-12-01T00:00:00Z --to 2027-01-01T00:00:00Z
same "the only outside-maintenance conflict" "$(kinds)" "outside-maintenance $c6"
same "its message" "$(j "$TMP/cal.json" 'd["conflicts"][0]["message"]')" "$c6 (normal) is outside every maintenance window of its services"
cal --from 2026-12-05T00:00:00Z --to 2026-12-08T00:00:00Z
same "maintenance occurrences in UTC (EST, IST)" "$(j "$TMP/cal.json" '" ".join(m["name"][:3] + "@" + m["start"] + "/" + m["end"] for m in d["maintenance"])')" \
	"web@2026-12-06T03:00:00Z/2026-12-06T07:00:00Z db @2026-12-06T19:30:00Z/2026-12-06T21:30:00Z"
same "an occurrence names its zone and services" "$(j "$TMP/cal.json" 'd["maintenance"][0]["tz"] + " " + ",".join(d["maintenance"][0]["services"])')" \
	"America/New_York db,web,app"
# across the end of daylight saving time (2026-11-01 02:00 EDT -> 01:00 EST)
cal --from 2026-10-20T00:00:00Z --to 2026-11-10T00:00:00Z --service web
same "New York: EDT, the night DST ends (5 h), EST" "$(j "$TMP/cal.json" '" ".join(m["start"] + "/" + m["end"] for m in d["maintenance"])')" \
	"2026-10-25T02:00:00Z/2026-10-25T06:00:00Z 2026-11-01T02:00:00Z/2026-11-01T07:00:00Z 2026-11-08T03:00:00Z/2026-11-08T07:00:00Z"
# without --to: 28 days of them
cal --from 2026-12-01T00:00:00Z --service app
same "without --to: four weeks of occurrences" "$(j "$TMP/cal.json" '[m["start"] for m in d["maintenance"]]')" \
	"['2026-12-06T03:00:00Z', '2026-12-13T03:00:00Z', '2026-12-20T03:00:00Z', '2026-12-27T03:00:00Z']"

# --- freezes --------------------------------------------------------------------------------
# added by a later policy change, over $c1 (03:30 to 05:00)
pol "$TMP/freeze.yaml" '
p["freeze"] = [
	{"name": "web hold", "start": "2026-12-06T04:00:00Z", "end": "2026-12-06T04:30:00Z", "services": ["web"]},
	{"name": "web quiet", "start": "2026-12-27T00:00:00Z", "end": "2026-12-27T12:00:00Z", "services": ["web"]},
	{"name": "all stop", "start": "2026-12-28T00:00:00Z", "end": "2026-12-29T00:00:00Z"}]'
expect 0 "" as alice policy apply "$TMP/freeze.yaml"
cal --from 2026-12-01T00:00:00Z --to 2027-01-01T00:00:00Z
same "a freeze over a scheduled change is a conflict" "$(kinds)" "freeze $c1 web hold
outside-maintenance $c6"
same "its message" "$(j "$TMP/cal.json" '[c["message"] for c in d["conflicts"] if c["kind"] == "freeze"][0]')" \
	"$c1 (scheduled) is inside the freeze 'web hold'"
same "the freezes are listed" "$(j "$TMP/cal.json" '[(f["name"], f["services"]) for f in d["freezes"]]')" \
	"[('web hold', ['web']), ('web quiet', ['web']), ('all stop', [])]"
# a freeze on web holds db (web depends on db)
before=$(state .)
oneline 1 "cannot schedule $c9: its window overlaps the freeze 'web quiet' (2026-12-27T00:00:00Z to 2026-12-27T12:00:00Z)" \
	as bob schedule $c9 --start 2026-12-27T03:00:00Z --end 2026-12-27T04:00:00Z
# a freeze without services holds a change without services
oneline 1 "cannot schedule $c10: its window overlaps the freeze 'all stop' (2026-12-28T00:00:00Z to 2026-12-29T00:00:00Z)" \
	as bob schedule $c10 --start 2026-12-28T01:00:00Z --end 2026-12-28T02:00:00Z
same "refused schedules made no commit" "$(state .)" "$before"
# --service db: the freezes that hold a change to db
cal --from 2026-12-26T00:00:00Z --to 2026-12-30T00:00:00Z --service db
same "calendar --service db lists the freeze on web, which holds db" "$(j "$TMP/cal.json" '[f["name"] for f in d["freezes"]]')" \
	"['web quiet', 'all stop']"
cal --from 2026-12-26T00:00:00Z --to 2026-12-30T00:00:00Z --service mail
same "... and --service mail only the one for all" "$(j "$TMP/cal.json" '[f["name"] for f in d["freezes"]]')" "['all stop']"

# the windows of the rest of the test (scheduled on 2026-11-23)
expect 0 "" as bob schedule $c11 --start 2026-11-30T12:00:00Z --end 2026-11-30T13:00:00Z --implementer bob@example.com
expect 0 "" as bob schedule $c12 --start 2026-11-30T12:00:00Z --end 2026-11-30T12:30:00Z --implementer dave@example.com
expect 0 "" as bob schedule $c17 --start 2026-12-14T10:00:00Z --end 2026-12-14T11:00:00Z

# --- in-window: start ------------------------------------------------------------------
at 2026-11-30T11:40:00Z
before=$(state .)
oneline 1 "cannot start $c11 now (2026-11-30T11:40:00Z): its window opens at 2026-11-30T12:00:00Z, and work may start 15m before at most" \
	as bob start $c11
same "a refused start makes no commit" "$(state .)" "$before"
at 2026-11-30T11:50:00Z
expect 0 "" as bob start $c11
same "10 minutes early is inside the tolerance" "$(cat "$TMP/out")" "$c11: scheduled -> implementing"
at 2026-11-30T12:31:00Z
oneline 1 "cannot start $c12 now (2026-11-30T12:31:00Z): its window closed at 2026-11-30T12:30:00Z" as dave start $c12
grep -q "^hint: reschedule it: crq schedule $c12 --start T --end T" "$TMP/err" && ok "the hint says reschedule" || not_ok "hint: $(cat "$TMP/err")"

# --- verify re-judges the guards -------------------------------------------------------
at 2026-11-30T12:35:00Z
# the implementing $c11 (mail, bob, 12:00 to 13:00) holds its window too
before=$(state .)
expect 1 "cannot schedule $c17: its window overlaps $c11 (implementing, 2026-11-30T12:00:00Z to 2026-11-30T13:00:00Z) on service 'mail'" \
	as bob schedule $c17 --start 2026-11-30T12:40:00Z --end 2026-11-30T12:50:00Z
expect 1 "cannot schedule $c12: its implementer bob@example.com is booked on $c11 then" \
	as bob schedule $c12 --start 2026-11-30T12:40:00Z --end 2026-11-30T13:30:00Z --implementer bob@example.com
same "no commit" "$(state .)" "$before"
# touching $c11 (implementing, bob, until 13:00)
expect 0 "" as bob schedule $c14 --start 2026-11-30T13:00:00Z --end 2026-11-30T14:00:00Z --implementer bob@example.com
expect 0 "" "$CRQ" verify
git branch -q honest
f13=$(git ls-files "changes/*/$c13.yaml")
f14=$(git ls-files "changes/*/$c14.yaml")
# what crq writes for $c13's schedule at 12:40 (on a scratch branch)
at 2026-11-30T12:40:00Z
git checkout -q -b scratch honest
as bob schedule $c13 --start 2026-12-21T03:00:00Z --end 2026-12-21T04:00:00Z >/dev/null 2>&1
git show HEAD:$f13 >"$TMP/c13.yaml"
git checkout -q honest
git branch -q -D scratch
# (a) a schedule by hand: its honest twin verifies; the same over $c8 (web) does not
sched13() {
	git checkout -q -B "$1" honest
	sed "s/2026-12-21T03:00:00Z/$2/; s/2026-12-21T04:00:00Z/$3/" "$TMP/c13.yaml" >$f13
	git add $f13
	gitas bob "$(keyfor bob)" commit -q -S -m "$(msg $c13 schedule authorized scheduled)"
}
sched13 sched-ok 2026-12-21T03:00:00Z 2026-12-21T04:00:00Z
expect 0 "" "$CRQ" verify sched-ok
sched13 sched-bad 2026-12-20T04:00:00Z 2026-12-20T05:00:00Z
refused sched-bad no-collision
grep -q "overlaps $c8 .* on service 'web'" "$TMP/vout" && ok "verify names the other change" || not_ok "collision: $(cat "$TMP/vout")"
# (b) a start by hand, dated in the window, 20 minutes early, after it
start14() {
	git checkout -q -B "$1" honest
	at "$2"
	$PY - "$f14" "$2" <<'EOT'
import sys, re
p, t = sys.argv[1], sys.argv[2]
s = open(p).read().replace("state: scheduled", "state: implementing")
s = re.sub(r"^updated: .*$", "updated: '%s'" % t, s, flags=re.M)
s = re.sub(r"^(  scheduled: .*)$", r"\1\n  implementing: '%s'" % t, s, flags=re.M)
open(p, "w").write(s)
EOT
	git add $f14
	gitas bob "$(keyfor bob)" commit -q -S -m "$(msg $c14 start scheduled implementing)"
}
start14 start-ok 2026-11-30T13:05:00Z
expect 0 "" "$CRQ" verify start-ok
start14 start-early 2026-11-30T12:40:00Z
refused start-early in-window
grep -q "its window opens at 2026-11-30T13:00:00Z, and work may start 15m before at most" "$TMP/vout" && ok "verify says why" || not_ok "early: $(cat "$TMP/vout")"
start14 start-late 2026-11-30T14:30:00Z
refused start-late in-window
# two schedules on two branches, each fine alone, that collide once merged
at 2026-11-30T14:40:00Z
git checkout -q -B merge-a honest
expect 0 "" as bob schedule $c15 --start 2026-12-21T05:00:00Z --end 2026-12-21T06:00:00Z
git checkout -q -B merge-b honest
expect 0 "" as bob schedule $c16 --start 2026-12-21T05:30:00Z --end 2026-12-21T06:30:00Z
git checkout -q merge-a
git -c user.name=x -c user.email=x@example.com merge -q --no-ff -m "merge b" merge-b
"$CRQ" calendar --json --from 2026-12-21T00:00:00Z --to 2026-12-22T00:00:00Z >"$TMP/cal.json"
same "the merged calendar shows the collision" "$(kinds)" "outside-maintenance $c15
outside-maintenance $c16
service $c15,$c16 web"
"$CRQ" verify merge-a >"$TMP/vout" 2>&1
rc=$?
if [ $rc = 1 ] && grep -q "^$(git rev-parse merge-a) [^ ]* no-collision: the merge brings together windows that collide: $c15 and $c16 overlap on service .web." "$TMP/vout"; then
	ok "refused: a merge that lands a colliding schedule"
else
	not_ok "merge-a: a merge landing a colliding schedule verifies (exit $rc)"
	sed 's/^/#   /' "$TMP/vout"
fi
git checkout -q -B main honest
for b in sched-ok sched-bad start-ok start-early start-late merge-a merge-b; do git branch -q -D $b; done
expect 0 "" "$CRQ" verify

# --- crq calendar --ics --------------------------------------------------------------------
at 2026-11-30T14:50:00Z
expect 0 "" as bob schedule $c1 --start 2026-12-06T03:00:00Z --end 2026-12-06T04:00:00Z
store=$(git rev-list --max-parents=0 HEAD | cut -c1-12)
"$CRQ" calendar --json --from 2026-11-30T00:00:00Z --to 2027-01-01T00:00:00Z >"$TMP/all.json"
"$CRQ" calendar --ics --from 2026-11-30T00:00:00Z --to 2027-01-01T00:00:00Z >"$TMP/all.ics" ||
	not_ok "calendar --ics"
$PY - "$TMP/all.ics" "$TMP/all.json" "$store" "$c1" "$c11" "$title17" "$c17" <<'EOT' >"$TMP/icsout"
import sys, json, datetime
from icalendar import Calendar
ics, js, store, c1, c11, title17, c17 = sys.argv[1:]
raw = open(ics, "rb").read()
d = json.load(open(js))
utc = datetime.timezone.utc
def t(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=utc)
def check(ok, what):
    print(("ok " if ok else "not ok ") + what)
cal = Calendar.from_ical(raw)
evs = list(cal.walk("VEVENT"))
check(str(cal["VERSION"]) == "2.0" and "crq" in str(cal["PRODID"]), "VCALENDAR 2.0 with a PRODID")
check(len(evs) == len(d["windows"]) + len(d["freezes"]) + len(d["maintenance"]),
    "one VEVENT per window, freeze and maintenance occurrence (%d)" % len(evs))
uids = [str(e["UID"]) for e in evs]
check(len(set(uids)) == len(uids) and all(u.endswith("@%s.crq" % store) for u in uids),
    "UIDs unique, all @%s.crq" % store)
byuid = {str(e["UID"]): e for e in evs}
bad = []
for w in d["windows"]:
    e = byuid.get("%s@%s.crq" % (w["change"], store))
    if e is None:
        bad.append("no event for " + w["change"]); continue
    if e["DTSTART"].dt != t(w["start"]) or e["DTEND"].dt != t(w["end"]):
        bad.append("%s: DTSTART/DTEND %s %s" % (w["change"], e["DTSTART"].dt, e["DTEND"].dt))
    if e["DTSTART"].dt.utcoffset() != datetime.timedelta(0):
        bad.append(w["change"] + ": not UTC")
    if str(e["SUMMARY"]) != "%s: %s" % (w["change"], w["title"]):
        bad.append("%s: SUMMARY %r" % (w["change"], str(e["SUMMARY"])))
    want = "CONFIRMED" if w["state"] == "implementing" else "TENTATIVE"
    if str(e["STATUS"]) != want:
        bad.append("%s: STATUS %s, wanted %s" % (w["change"], e["STATUS"], want))
    if str(e["X-CRQ-CHANGE"]) != w["change"] or int(e["SEQUENCE"]) != w["schedules"]:
        bad.append("%s: X-CRQ-CHANGE %s SEQUENCE %s" % (w["change"], e["X-CRQ-CHANGE"], e["SEQUENCE"]))
check(not bad, "each window's event: UID, DTSTART/DTEND in UTC, SUMMARY, STATUS, SEQUENCE, X-CRQ-CHANGE" + ("; ".join([""] + bad)))
seq = {str(e["X-CRQ-CHANGE"]): int(e["SEQUENCE"]) for e in evs if "X-CRQ-CHANGE" in e}
print("seq", " ".join("%s=%d" % kv for kv in sorted(seq.items())))
st = {str(e["X-CRQ-CHANGE"]): str(e["STATUS"]) for e in evs if "X-CRQ-CHANGE" in e}
check(st.get(c11) == "CONFIRMED" and st.get(c1) == "TENTATIVE", "implementing CONFIRMED, scheduled TENTATIVE")
check(str(byuid["%s@%s.crq" % (c17, store)]["SUMMARY"]) == "%s: %s" % (c17, title17), "a long title with , ; and UTF-8 reads back whole")
fz = [e for e in evs if str(e.get("X-CRQ-KIND")) == "freeze"]
check([(str(e["SUMMARY"]), e["DTSTART"].dt, e["DTEND"].dt) for e in fz] ==
    [("Freeze: " + f["name"], t(f["start"]), t(f["end"])) for f in d["freezes"]], "freeze events: SUMMARY, DTSTART, DTEND")
mt = [e for e in evs if str(e.get("X-CRQ-KIND")) == "maintenance"]
check([(str(e["SUMMARY"]), e["DTSTART"].dt, e["DTEND"].dt, str(e["TRANSP"])) for e in mt] ==
    [("Maintenance: " + m["name"], t(m["start"]), t(m["end"]), "TRANSPARENT") for m in d["maintenance"]],
    "maintenance events: SUMMARY, DTSTART, DTEND, TRANSP")
# the text itself: CRLF, folded at 75 octets, escaped
check(raw.endswith(b"\r\n") and raw.count(b"\n") == raw.count(b"\r\n") and b"\r\r" not in raw, "every line ends in CRLF")
lines = raw.split(b"\r\n")[:-1]
check(max(len(l) for l in lines) <= 75, "no line longer than 75 octets (longest %d)" % max(len(l) for l in lines))
def utf8(b):
    try:
        b.decode("utf-8"); return True
    except UnicodeDecodeError:
        return False
check(all(utf8(l) for l in lines), "folding splits no UTF-8 character")
unfolded = raw.replace(b"\r\n ", b"").replace(b"\r\n\t", b"").decode("utf-8").split("\r\n")
summ = [l for l in unfolded if l.startswith("SUMMARY:%s:" % c17)]
check(len(summ) == 1 and any(l.startswith(b" ") for l in lines), "the long SUMMARY is folded")
check(summ and summ[0] == "SUMMARY:%s: %s" % (c17, title17.replace(",", "\\,").replace(";", "\\;")),
    "commas and semicolons escaped as \\, and \\; (%s)" % (summ[:1],))
check(any(l == "DTSTART:20261206T030000Z" for l in unfolded), "DTSTART written in UTC form")
EOT
while read -r l; do
	case $l in
	"ok "*) ok "${l#ok }" ;;
	"not ok "*) not_ok "${l#not ok }" ;;
	"seq "*) seqs=${l#seq } ;;
	*) not_ok "ics check: $l" ;;
	esac
done <"$TMP/icsout"
[ -s "$TMP/icsout" ] || not_ok "the ICS checks did not run"
# SEQUENCE is the number of schedule steps in the history
for c in $c1 $c8 $c2 $c11; do
	n=$(git log --format=%B | $PY -c '
import sys
c = sys.argv[1]
print(sum(1 for m in sys.stdin.read().split("Crq-Change: ")[1:] if m.startswith(c + "\n") and "\nCrq-Action: schedule\n" in m))' "$c")
	case " $seqs " in *" $c=$n "*) ok "SEQUENCE of $c is its $n schedule steps" ;; *) not_ok "SEQUENCE of $c: $seqs, wanted $n" ;; esac
done
case " $seqs " in *" $c1=3 "*) ok "$c1 rescheduled twice: SEQUENCE 3" ;; *) not_ok "$c1: $seqs" ;; esac
case " $seqs " in *" $c8=2 "*) ok "$c8 rescheduled once: SEQUENCE 2" ;; *) not_ok "$c8: $seqs" ;; esac
case " $seqs " in *" $c2=1 "*) ok "$c2 scheduled once: SEQUENCE 1" ;; *) not_ok "$c2: $seqs" ;; esac
# a freeze's UID is the same whatever the filter
uid_of() { "$CRQ" calendar --ics "$@" | $PY -c '
import sys
from icalendar import Calendar
for e in Calendar.from_ical(sys.stdin.buffer.read()).walk("VEVENT"):
    if str(e["SUMMARY"]) == "Freeze: web quiet":
        print(e["UID"])'; }
u1=$(uid_of --from 2026-11-30T00:00:00Z --to 2027-01-01T00:00:00Z)
u2=$(uid_of --from 2026-12-10T00:00:00Z --to 2027-01-01T00:00:00Z)
u3=$(uid_of --from 2026-11-30T00:00:00Z --to 2027-01-01T00:00:00Z --service web)
same "a freeze keeps its UID across --from and --service" "$u2 $u3" "$u1 $u1"

# --- filters ---------------------------------------------------------------------------
# every window in --from/--to is one of the full list that overlaps it
for r in "2026-12-06T00:00:00Z 2026-12-07T00:00:00Z" "2026-12-06T04:00:00Z 2026-12-06T05:00:00Z" \
	 "2026-12-06T05:00:00Z 2026-12-13T04:00:00Z" "2026-12-14T10:30:00Z 2026-12-14T10:31:00Z"; do
	set -- $r
	cal --from "$1" --to "$2"
	same "windows from $1 to $2" "$(j "$TMP/cal.json" '[w["change"] for w in d["windows"]]')" \
		"$(j "$TMP/all.json" '[w["change"] for w in d["windows"] if w["start"] < "'$2'" and w["end"] > "'$1'"]')"
done
cal --from 2026-12-06T04:00:00Z --to 2026-12-06T05:00:00Z
same "the windows that overlap 04:00-05:00 on 2026-12-06" "$(j "$TMP/cal.json" '[w["change"] for w in d["windows"]]')" "['$c5']"
cal --from 2026-12-06T00:00:00Z --to 2026-12-06T04:00:00Z
same "a window ending at --to is in, one starting at --to is out" "$(j "$TMP/cal.json" '[w["change"] for w in d["windows"]]')" "['$c1']"
cal --from 2026-12-06T04:00:00Z --to 2026-12-06T12:00:00Z
same "a window ending at --from is out" "$(j "$TMP/cal.json" '[w["change"] for w in d["windows"]]')" "['$c2', '$c5']"
# --service S: changes to S and to what S depends on (transitively)
for s in db web app mail; do
	cal --from 2026-11-30T00:00:00Z --to 2027-01-01T00:00:00Z --service $s
	same "--service $s: the changes that touch it" "$(j "$TMP/cal.json" '[w["change"] for w in d["windows"]]')" \
		"$(j "$TMP/all.json" '[w["change"] for w in d["windows"] if set(w["services"]) & {"db": {"db"}, "web": {"db", "web"}, "app": {"db", "web", "app"}, "mail": {"mail"}}["'$s'"]]')"
done
cal --from 2026-11-30T00:00:00Z --to 2027-01-01T00:00:00Z --service db
same "--service db: only db's changes" "$(j "$TMP/cal.json" '[w["change"] for w in d["windows"]]')" "['$c3', '$c9']"
same "--service db: only its maintenance" "$(j "$TMP/cal.json" 'sorted(set(m["name"] for m in d["maintenance"]))')" "['db mornings', 'web nights']"
cal --from 2026-11-30T00:00:00Z --to 2027-01-01T00:00:00Z --service mail
same "--service mail: no maintenance" "$(j "$TMP/cal.json" 'd["maintenance"]')" "[]"
same "--service mail: the conflicts of its changes only" "$(kinds)" ""
same "--json says the filter" "$(j "$TMP/cal.json" 'd["from"] + " " + d["to"] + " " + d["service"]')" \
	"2026-11-30T00:00:00Z 2027-01-01T00:00:00Z mail"

# --- bad input ---------------------------------------------------------------------------
oneline 129 "error: --to '2026-12-01T00:00:00Z' is not after --from" "$CRQ" calendar --from 2026-12-02T00:00:00Z --to 2026-12-01T00:00:00Z
oneline 129 "error: --to '2026-12-02T00:00:00Z' is not after --from" "$CRQ" calendar --from 2026-12-02T00:00:00Z --to 2026-12-02T00:00:00Z
oneline 129 "error: --from 'tomorrow' is not a time (RFC 3339)" "$CRQ" calendar --from tomorrow
oneline 129 "error: --to '2026-13-01T00:00:00Z' is not a time (RFC 3339)" "$CRQ" calendar --to 2026-13-01T00:00:00Z
oneline 129 "error: --json and --ics do not go together" "$CRQ" calendar --json --ics
oneline 1 "error: no service 'nope' in the policy's services catalogue" "$CRQ" calendar --service nope
oneline 129 "error: --service needs a service's name" "$CRQ" calendar --service ""
oneline 129 "error: unknown option '--bogus'" "$CRQ" calendar --bogus
oneline 129 "error: unexpected argument 'next-week'" "$CRQ" calendar next-week
oneline 129 "error: option '--from' given twice" "$CRQ" calendar --from 2026-12-01T00:00:00Z --from 2026-12-02T00:00:00Z
oneline 129 "error: option '--to' needs a value" "$CRQ" calendar --to
[ ! -s "$TMP/out" ] && ok "a usage error prints no calendar" || not_ok "stdout: $(cat "$TMP/out")"

expect 0 "" "$CRQ" verify
fsck_clean .
done_testing
