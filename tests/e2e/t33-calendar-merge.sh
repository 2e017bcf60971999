#!/bin/sh
# Collisions across lines of history: two branches each schedule a legal
# window, and the merge brings together two that collide.  crq verify
# (and so the hooks) refuses the merge; crq sync, which replays one
# side's steps on the other's, refuses the schedule itself.  (Each
# verify here names its branch, so no run remembers a tip that the next
# case rewinds.)
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role implementer >/dev/null
as alice member add carol@example.com --key "$(keyfor carol).pub" --name Carol \
	--role change-manager --role implementer >/dev/null
plans="--set implementation_plan=p --set backout_plan=b --set test_plan=t"
for t in "Web one" "Web two" "Mail"; do
	s=web
	[ "$t" = Mail ] && s=mail
	as alice new --title "$t" --service $s --risk low $plans >/dev/null
done
for id in CHG-000001 CHG-000002 CHG-000003; do
	as alice submit $id >/dev/null
	as bob assess $id --risk low --impact low >/dev/null
	as bob approve $id >/dev/null
done
git branch -q base
# main: CHG-000001 on web, 12:00-14:00
expect 0 "" as bob schedule CHG-000001 --start 2026-11-24T12:00:00Z --end 2026-11-24T14:00:00Z
# a branch: CHG-000002 on web, 13:00-15:00, legal where it was made
git checkout -q -b side base
expect 0 "" as carol schedule CHG-000002 --start 2026-11-24T13:00:00Z --end 2026-11-24T15:00:00Z
expect 0 "" "$CRQ" verify side
git checkout -q main
git -c user.name=x -c user.email=x@example.com merge -q --no-ff -m "merge side" side
refused main no-collision
grep -q "the merge brings together windows that collide: CHG-000001 and CHG-000002 overlap on service 'web'" "$TMP/vout" &&
	ok "the merge's violation names both changes and the service" || not_ok "message: $(cat "$TMP/vout")"
# a merge of windows that do not collide passes
git reset -q --hard HEAD~1
git checkout -q -b side2 base
expect 0 "" as carol schedule CHG-000003 --start 2026-11-24T13:00:00Z --end 2026-11-24T15:00:00Z
git checkout -q main
git -c user.name=x -c user.email=x@example.com merge -q --no-ff -m "merge side2" side2
expect 0 "" "$CRQ" verify main
# the same implementer on both sides collides too
git checkout -q -b side3 base
expect 0 "" as carol schedule CHG-000002 --start 2026-11-24T14:00:00Z \
	--end 2026-11-24T15:00:00Z --implementer bob@example.com
git checkout -q main
git reset -q --hard HEAD~1
expect 0 "" as bob schedule CHG-000003 --start 2026-11-24T13:00:00Z \
	--end 2026-11-24T15:00:00Z --implementer bob@example.com
git -c user.name=x -c user.email=x@example.com merge -q --no-ff -m "merge side3" side3
refused main no-collision
grep -q "overlap with the same implementer bob@example.com" "$TMP/vout" &&
	ok "implementer double-booked across the merge" || not_ok "implementer: $(cat "$TMP/vout")"
# with collisions: warn, the same merge stands (the calendar lists it)
git reset -q --hard HEAD~1
"$CRQ" policy show --json | $PY -c '
import json, sys, yaml
p = json.load(sys.stdin)
p["calendar"]["collisions"] = "warn"
print(yaml.safe_dump(p, sort_keys=False), end="")' >"$TMP/warn.yaml"
expect 0 "" as alice policy apply "$TMP/warn.yaml"
git -c user.name=x -c user.email=x@example.com merge -q --no-ff -m "merge side3" side3
expect 0 "" "$CRQ" verify main
expect 0 "" "$CRQ" calendar --from 2026-11-24T00:00:00Z --json
"$PY" -c '
import json, sys
c = json.load(open(sys.argv[1]))["conflicts"]
assert [(x["kind"], x["changes"]) for x in c] == [("implementer", ["CHG-000002", "CHG-000003"])], c
w = json.load(open(sys.argv[1]))["windows"]
assert [(x["change"], x["schedules"]) for x in w] == [("CHG-000001", 1), ("CHG-000002", 1), ("CHG-000003", 1)], w
' "$TMP/out" && ok "warn: the calendar lists the conflict; a merged-in schedule counts" || not_ok "calendar: $(cat "$TMP/out")"
fsck_clean .
# two clones, one hub: the second to sync replays its schedule on the
# first one's and the rule engine refuses it; nothing is pushed
git init -q --bare "$TMP/hub.git"
git push -q "$TMP/hub.git" base:main
git clone -q "$TMP/hub.git" "$TMP/c1"
git clone -q "$TMP/hub.git" "$TMP/c2"
cd "$TMP/c1"
expect 0 "" as bob schedule CHG-000001 --start 2026-11-25T12:00:00Z --end 2026-11-25T14:00:00Z
expect 0 "" as bob sync
cd "$TMP/c2"
expect 0 "" as carol schedule CHG-000002 --start 2026-11-25T13:00:00Z --end 2026-11-25T15:00:00Z
hub=$(git -C "$TMP/hub.git" rev-parse main)
expect 1 "its window overlaps CHG-000001" as carol sync
same "nothing was pushed" "$(git -C "$TMP/hub.git" rev-parse main)" "$hub"
expect 0 "" as carol sync --abort
# the implementer named at schedule time is the one who starts the work
expect 0 "" as carol schedule CHG-000003 --start 2026-11-23T10:05:00Z \
	--end 2026-11-23T11:00:00Z --implementer bob@example.com
expect 1 "carol@example.com may not start CHG-000003: it is scheduled for bob@example.com to implement" \
	as carol start CHG-000003
expect 0 "" as bob start CHG-000003
expect 0 "" "$CRQ" verify main
done_testing
