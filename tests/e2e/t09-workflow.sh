#!/bin/sh
# The default workflow, walked by several members; every refusal the
# policy makes, with its message, and no commit for any of them.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob --role cab --role change-manager \
	--role implementer --role reviewer >/dev/null
as alice member add carol@example.com --key "$(keyfor carol).pub" --name Carol --role cab --role security >/dev/null
as alice member add dave@example.com --key "$(keyfor dave).pub" --name Dave --role security >/dev/null
as alice role grant dave@example.com cab --until 2026-01-01 >/dev/null
as alice member add erin@example.com --key "$(keyfor erin).pub" --name Erin --role ecab --role implementer >/dev/null
as alice member add frank@example.com --key "$(keyfor frank).pub" --name Frank --role ops >/dev/null
same "members added by policy commits" "$(git log --format=%s | grep -c '^policy: ')" "6"
trailers() { git log -1 --format='%(trailers:key=Crq-Action,key=Crq-From,key=Crq-To,valueonly,separator=%x20)'; }
id=CHG-000001

expect 0 "" as alice new --title "Upgrade DB" --service db --impact high --urgency high
before=$(state .)
expect 1 "cannot submit $id: 'implementation_plan' is missing" as alice submit $id
grep -q "hint: crq set $id implementation_plan=" "$TMP/err" && ok "hint names the field" || not_ok "hint"
expect 1 "cannot assess $id: it is draft" as bob assess $id --risk high
grep -q "hint: assess is allowed from submitted" "$TMP/err" && ok "hint names the states" || not_ok "state hint"
expect 1 "carol@example.com may not edit $id: needs role requester or change-manager" as carol set $id risk=low
grep -q "hint: members who may: alice@example.com, bob@example.com" "$TMP/err" && ok "hint names who may" || not_ok "who hint"
expect 1 "'zed@example.com' is not a member of this store" as zed set $id risk=low
expect 1 "the signing key is not a key of member 'bob@example.com'" env GIT_COMMITTER_EMAIL=bob@example.com GIT_AUTHOR_EMAIL=bob@example.com "$CRQ" -c user.signingkey="$(keyfor carol)" assess $id --risk high
expect 1 "no action 'frobnicate' for normal changes" as alice do $id frobnicate
same "refusals made no commit" "$(state .)" "$before"

expect 0 "" as alice set $id implementation_plan=a backout_plan=b test_plan=c
expect 0 "" as alice submit $id -m "ready for CAB"
same "submit moved draft -> submitted" "$(cat "$TMP/out")" "$id: draft -> submitted"
same "submit trailers" "$(trailers)" "submit draft submitted"
check "message body kept" sh -c "git log -1 --format=%b | grep -qx 'ready for CAB'"
expect 0 "" as bob assess $id --risk high
same "assess sets the risk" "$(git cat-file blob HEAD:changes/000/$id.yaml | grep '^risk:')" "risk: high"
# the default policy's rule high-risk-security fires on a high-risk
# assess: a security approval more, and a preparation task for ops
same "the assess names the rule it fired" "$(git log -1 --format='%(trailers:key=Crq-Rules,valueonly)')" "high-risk-security"
same "the rule's effects, in the assess commit (PyYAML)" "$(git cat-file blob HEAD:changes/000/$id.yaml | $PY -c '
import sys, yaml
d = yaml.safe_load(sys.stdin)
print(d["extra_approvals"], [(t["title"], t["phase"], t["role"], t["rule"], t["due"]) for t in d["tasks"]])')" \
	"[{'rule': 'high-risk-security', 'role': 'security', 'count': 1}] [('Prepare the rollout and its backout on the hosts', 'prepare', 'ops', 'high-risk-security', '2026-11-25T10:00:00Z')]"

before=$(state .)
expect 1 "the requester cannot decide on their own change" as alice approve $id
expect 1 "as cab: the grant expired on 2026-01-01" as dave approve $id --role cab
expect 1 "dave@example.com may not approve $id as ecab: they do not hold that role" as dave approve $id --role ecab
expect 1 "erin@example.com may not approve $id: needs role change-manager, cab or security" as erin approve $id
same "refused approvals made no commit" "$(state .)" "$before"

expect 0 "" as bob approve $id
same "one approval of three: still assessed, and says what is still needed" "$(cat "$TMP/out")" "$id: assessed -> assessed
$id: approved by bob@example.com (cab); still needed: 1 cab, 1 security"
same "approval commit carries the digest" "$(git log -1 --format='%(trailers:key=Crq-Digest,valueonly)' | cut -c1-7)" "sha256:"
expect 1 "bob@example.com already approved $id" as bob approve $id
expect 0 "" as carol approve $id --role cab
expect 0 "" as dave approve $id
same "third approval meets the high-risk rule" "$(cat "$TMP/out")" "$id: assessed -> authorized
$id: approved by dave@example.com (security); authorized"
same "2 cab + 1 security recorded (PyYAML)" "$(git cat-file blob HEAD:changes/000/$id.yaml | $PY -c '
import sys, yaml
print(" ".join(a["by"] + ":" + a["role"] + ":" + a["decision"] for a in yaml.safe_load(sys.stdin)["approvals"]))')" \
	"bob@example.com:cab:approved carol@example.com:cab:approved dave@example.com:security:approved"
dig=$(git log -1 --format='%(trailers:key=Crq-Digest,valueonly)')
want=$(git cat-file blob HEAD:changes/000/$id.yaml | $PY -c '
import sys, yaml, hashlib
d = yaml.safe_load(sys.stdin)
print(d["approvals"][0]["digest"])')
same "trailer digest equals the recorded digest" "$dig" "$want"

expect 1 "cannot start $id: it is authorized" as bob start $id
expect 1 "'window' is missing" as bob schedule $id
# the window opens in ten minutes: work may start up to 15 minutes early
expect 0 "" as bob schedule $id --start 2026-11-23T10:10:00Z --end 2026-11-23T11:00:00Z
expect 1 "a task of the phases it needs is not done: 1 'Prepare the rollout and its backout on the hosts'" as bob start $id
expect 1 "carol@example.com may not mark done task 1 of $id: needs role implementer, or to own the task" as carol task done $id 1
# the task is ops's: any member holding the role owns it
expect 0 "" as frank task done $id 1
expect 0 "" as bob start $id
expect 1 "'close_code' is missing" as bob complete $id
expect 0 "" as bob complete $id --close-code successful
expect 129 "a review needs its summary" as bob review $id
expect 0 "" as bob review $id -m "went fine"
same "review records who and when (PyYAML)" "$(git cat-file blob HEAD:changes/000/$id.yaml | $PY -c '
import sys, yaml
print(yaml.safe_load(sys.stdin)["review"])')" \
	"{'by': 'bob@example.com', 'at': '2026-11-23T10:00:00Z', 'summary': 'went fine'}"
expect 0 "" as bob close $id
expect 0 "" as carol comment $id -m "thanks all"
same "comment keeps the state" "$(cat "$TMP/out")" "$id: closed -> closed"
expect 1 "cannot cancel $id: it is closed" as alice cancel $id
same "every step but a comment changes exactly one file" \
	"$(git log --format='%H %(trailers:key=Crq-Action,valueonly,separator=)' | grep -v ' comment$' | grep -v ' $' | while read c a; do git show --format= --name-only $c | wc -l; done | sort -u)" "1"
same "the walk as trailers" "$(git log --reverse --format='%(trailers:key=Crq-Action,valueonly,separator=)' | grep . | grep -v '^policy$' | tr '\n' ' ')" \
	"create edit submit assess approve approve approve schedule task-done start complete review close comment "

# a later edit makes earlier approvals stale
expect 0 "" as alice new --title "Patch web" --service web --risk low
id2=CHG-000002
expect 0 "" as alice set $id2 implementation_plan=a backout_plan=b test_plan=c
expect 0 "" as alice submit $id2
expect 0 "" as bob assess $id2 --risk medium --impact low
expect 0 "" as carol approve $id2
expect 0 "" as bob set $id2 test_plan=better
same "the edit says what it changed and which approval it made stale" "$(cat "$TMP/out")" "$id2: test_plan c -> better
$id2: approvals now stale (given to the content before): carol@example.com (cab)"
expect 1 "bob@example.com may not approve $id2: they changed it since the last approval" as bob approve $id2
expect 0 "" as alice set $id2 test_plan=best
# carol's approval covered older content: it no longer counts
expect 0 "" as carol approve $id2
same "stale approval does not count: carol approves again" "$(cat "$TMP/out")" "$id2: assessed -> assessed
$id2: approved by carol@example.com (cab); still needed: 1 change-manager"

# guards: freeze windows and windows in the past
expect 0 "" as alice new --title "Billing tweak" --service billing --risk low \
	--set implementation_plan=a --set backout_plan=b --set test_plan=c
b=CHG-000003
expect 0 "" as alice submit $b
expect 0 "" as bob assess $b --risk low --impact low
expect 0 "" as bob approve $b --role change-manager
same "low risk: one change-manager approval authorizes" "$(head -1 "$TMP/out")" "$b: assessed -> authorized"
before=$(state .)
expect 1 "cannot schedule $b: its window overlaps the freeze 'year-end close'" \
	as bob schedule $b --start 2026-12-30T10:00:00Z --end 2026-12-30T11:00:00Z
expect 1 "cannot schedule $b: the window starts in the past (2026-11-01T10:00:00Z)" \
	as bob schedule $b --start 2026-11-01T10:00:00Z --end 2026-11-01T11:00:00Z
expect 1 "the window ends before it starts" \
	as bob schedule $b --start 2026-12-02T10:00:00Z --end 2026-12-02T09:00:00Z
same "refused schedules made no commit" "$(state .)" "$before"
expect 0 "" as bob schedule $b --start 2026-12-10T10:00:00+01:00 --end 2026-12-10T11:00:00+01:00
# starting inside a freeze is refused whatever the window says
expect 1 "cannot start $b now: it is inside the freeze 'year-end close'" \
	env GIT_COMMITTER_DATE=2026-12-26T10:00:00Z GIT_AUTHOR_DATE=2026-12-26T10:00:00Z \
	GIT_AUTHOR_NAME=bob GIT_AUTHOR_EMAIL=bob@example.com \
	GIT_COMMITTER_NAME=bob GIT_COMMITTER_EMAIL=bob@example.com \
	"$CRQ" -c user.signingkey="$(keyfor bob)" start $b

# emergency: ECAB approves, start without schedule
expect 0 "" as alice new --title "Hotfix" --type emergency --set incident=INC-1 \
	--set implementation_plan=p --set backout_plan=b
expect 0 "" as alice submit CHG-000004
expect 0 "" as erin approve CHG-000004
same "one ECAB approval authorizes" "$(cat "$TMP/out")" "CHG-000004: submitted -> authorized
CHG-000004: approved by erin@example.com (ecab); authorized"
expect 0 "" as erin start CHG-000004
expect 0 "" as erin complete CHG-000004 --close-code successful
same "an implemented emergency owes its review in 72 hours" \
	"$(git cat-file blob HEAD:changes/000/CHG-000004.yaml | grep '^review_due:')" "review_due: '2026-11-26T10:00:00Z'"
expect 0 "" "$CRQ" list --overdue
same "not overdue yet" "$(cat "$TMP/out")" ""
expect 0 "" env GIT_COMMITTER_DATE=2026-11-27T00:00:00Z "$CRQ" list --overdue --format '%(id) %(review_due)'
same "overdue after the deadline" "$(cat "$TMP/out")" "CHG-000004 2026-11-26T10:00:00Z"
expect 1 "field 'review_due' is set by crq" as alice set CHG-000004 review_due=2030-01-01T00:00:00Z
expect 0 "" env GIT_COMMITTER_DATE=2026-11-27T00:00:00Z GIT_AUTHOR_DATE=2026-11-27T00:00:00Z \
	"$CRQ" -c user.signingkey="$(keyfor bob)" -c user.email=bob@example.com -c user.name=bob review CHG-000004 -m "late but done"
expect 0 "" env GIT_COMMITTER_DATE=2026-11-27T00:00:00Z "$CRQ" list --overdue
same "reviewed: no longer overdue" "$(cat "$TMP/out")" ""
# standard: straight to authorized
expect 0 "" as alice new --template os-patch
expect 0 "" as alice submit CHG-000005
same "standard change is pre-authorized" "$(cat "$TMP/out")" "CHG-000005: draft -> authorized"
verify_all .
fsck_clean .
done_testing
