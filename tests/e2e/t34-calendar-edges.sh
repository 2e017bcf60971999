#!/bin/sh
# The calendar's edges, found by trying to get past it: a merge judged
# under a line that still said warn, times written as RFC 3339 allows
# (fractions, a lowercase t) that must not let a freeze lapse, opening
# hours that would count twice or never, names that reach terminals
# and calendars, and far-off times that must not hang a command.
. "$(dirname "$0")/lib.sh"

# pol FILE PYTHON: the policy with PYTHON applied to p, in FILE (JSON is
# YAML too, and says '01:00' is a string)
pol() {
	"$CRQ" policy show --json | "$PY" -c '
import json, sys
p = json.load(sys.stdin)
exec(sys.argv[1])
json.dump(p, sys.stdout, indent=1)' "$2" >"$1"
}
plans="--set implementation_plan=p --set backout_plan=b --set test_plan=t"
# auth TITLE SERVICE: a low-risk change taken to authorized; prints its id
auth() {
	as alice new --title "$1" --service "$2" --risk low $plans >"$TMP/id" &&
	id=$(tail -1 "$TMP/id") && as alice submit $id >/dev/null &&
	as bob assess $id --risk low --impact low >/dev/null &&
	as bob approve $id >/dev/null && echo $id
}

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role implementer >/dev/null
as alice member add carol@example.com --key "$(keyfor carol).pub" --name Carol \
	--role change-manager --role implementer >/dev/null

# --- a merge is judged under the policy it puts in force -------------------
pol "$TMP/warn.yaml" 'p["calendar"]["collisions"] = "warn"'
pol "$TMP/refuse.yaml" 'p["calendar"]["collisions"] = "refuse"'
as alice policy apply "$TMP/warn.yaml" >/dev/null
a=$(auth "Web one" web)
b=$(auth "Web two" web)
git branch -q base
as alice policy apply "$TMP/refuse.yaml" >/dev/null
expect 0 "" as bob schedule $a --start 2026-11-24T12:00:00Z --end 2026-11-24T14:00:00Z
git checkout -q -b side base
expect 0 "" as carol schedule $b --start 2026-11-24T12:00:00Z --end 2026-11-24T14:00:00Z
# the branch takes main in (the branch is the first parent, and its
# policy still says warn), then main fast-forwards to it
git -c user.name=carol -c user.email=carol@example.com merge -q --no-ff -m "merge main into side" main
git checkout -q main
git merge -q --ff-only side
refused main no-collision
# ... and a later merge of that merge does not launder it
git reset -q --hard side^1
git checkout -q -b main2 main
git checkout -q main
git -c user.name=x -c user.email=x@example.com merge -q --no-ff -m "take side" side
refused main no-collision side

# --- RFC 3339 as the schema takes it ---------------------------------------
git checkout -q -B t2 base
pol "$TMP/frac.yaml" 'p["freeze"] = [{"name": "hands off", "start": "2026-12-01T00:00:00.000Z", "end": "2026-12-03t00:00:00Z", "services": ["web"]}]'
expect 0 "" as alice policy apply "$TMP/frac.yaml"
expect 1 "overlaps the freeze 'hands off'" as bob schedule $a --start 2026-12-02T01:00:00Z --end 2026-12-02T02:00:00Z
expect 0 "" "$CRQ" calendar --from 2026-11-30T00:00:00Z --to 2026-12-05T00:00:00Z --json
same "the calendar shows the freeze written with a fraction" \
	"$("$PY" -c 'import json,sys; print([(f["name"], f["start"], f["end"]) for f in json.load(open(sys.argv[1]))["freezes"]])' "$TMP/out")" \
	"[('hands off', '2026-12-01T00:00:00Z', '2026-12-03T00:00:00Z')]"
expect 0 "" as bob schedule $a --start 2026-12-04T01:00:00.500Z --end 2026-12-04T02:00:00Z
expect 129 "--at '2026-02-31T00:00:00Z' is not a time" "$CRQ" sla --at 2026-02-31T00:00:00Z
expect 129 "--from '2026-12-01T00:00:00.Z' is not a time" "$CRQ" calendar --from 2026-12-01T00:00:00.Z

# --- what a policy may say -------------------------------------------------
try() { pol "$TMP/bad.yaml" "$2"; expect 1 "$1" as alice policy apply "$TMP/bad.yaml"; }
tip=$(git rev-parse HEAD)
try "calendar 'office', mon: '17:00-09:00' ends before it starts" \
	'p["calendars"]["office"]["hours"]["mon"] = ["17:00-09:00"]'
try "calendar 'office', tue: '12:00-17:00' overlaps another span of the day" \
	'p["calendars"]["office"]["hours"]["tue"] = ["09:00-13:00", "12:00-17:00"]'
try "freeze 1: its name holds a control character (U+001B)" \
	'p["freeze"][0]["name"] = "\x1b[2Jgone"'
try "freeze 'hands off' is listed twice" \
	'p["freeze"].append(dict(p["freeze"][0]))'
try "the freeze 'late' ends before it starts" \
	'p["freeze"].append({"name": "late", "start": "2026-12-10T00:00:00Z", "end": "2026-12-09T00:00:00Z"})'
try "maintenance 'sun' is listed twice" \
	'p["maintenance"] = [{"name": "sun", "tz": "UTC", "days": ["sun"], "start": "01:00", "end": "02:00"}] * 2'
same "refused policies made no commit" "$(git rev-parse HEAD)" "$tip"

# --- far-off times answer at once ------------------------------------------
pol "$TMP/ny.yaml" 'p["calendars"]["office"]["tz"] = "America/New_York"; p["maintenance"] = [{"name": "web nights", "services": ["web"], "tz": "Europe/London", "days": ["sun"], "start": "01:00", "end": "05:00"}]'
expect 0 "" as alice policy apply "$TMP/ny.yaml"
c=$(auth "Long one" web)
expect 0 "" as bob schedule $c --start 2026-12-06T01:00:00Z --end 9999-12-31T00:00:00Z
expect 0 "" timeout 20 "$CRQ" sla --at 9999-12-31T00:00:00Z
expect 0 "" timeout 20 "$CRQ" calendar --from 2026-12-01T00:00:00Z --to 9999-12-31T00:00:00Z --ics
expect 0 "" timeout 20 "$CRQ" todo --member bob@example.com --at 9000-01-01T00:00:00Z
expect 0 "" "$CRQ" verify t2
done_testing
