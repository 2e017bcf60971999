#!/bin/sh
# crq task: tasks with owners, phases and deadlines, added, done and
# reopened by the right members and refused for the wrong ones; each a
# signed step crq verify checks; a task done by hand (plain git) by
# someone else is refused; start needs the prepare tasks done; task
# steps replay through crq sync as what they did.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role implementer >/dev/null
as alice member add carol@example.com --key "$(keyfor carol).pub" --name Carol \
	--role cab >/dev/null
as alice member add dave@example.com --key "$(keyfor dave).pub" --name Dave \
	--role cab >/dev/null
as alice new --title "Rotate keys" --impact low --urgency low >/dev/null
id=CHG-000001
f=changes/000/$id.yaml

# --- adding ---------------------------------------------------------------
expect 0 "" as alice task add $id --title "Take a backup" --owner carol@example.com \
	--phase prepare --due 2026-11-25T10:00:00Z
same "add says what it did" "$(cat "$TMP/out")" "$id: added task 1: Take a backup"
expect 0 "" as alice task add $id --title "Swap the keys" --phase deploy
expect 0 "" as bob task add $id --title "Check the logins" --phase verify --owner dave@example.com
before=$(state .)
expect 1 "carol@example.com may not task-add $id: needs role requester or change-manager" as carol task add $id --title "mine"
expect 1 "the owner of a task of $id must be a member: 'zed@example.com' is not" as alice task add $id --title x --owner zed@example.com
expect 129 "a task needs a title" as alice task add $id
expect 129 "unknown phase 'build' (valid: design, prepare, deploy, verify)" as alice task add $id --title x --phase build
expect 129 "--due 'tomorrow' is not a time" as alice task add $id --title x --due tomorrow
expect 129 "option '--title' given twice" as alice task add $id --title x --title y
expect 1 "'edit' may not change the tasks" as alice set $id "tasks=[]"
expect 1 "no such change 'CHG-000099'" as alice task add CHG-000099 --title x
same "refusals made no commit" "$(state .)" "$before"

# --- done and reopened ------------------------------------------------------
expect 1 "alice@example.com may not mark done task 1 of $id: needs role implementer, or to own the task" as alice task done $id 1
expect 1 "dave@example.com may not mark done task 1 of $id" as dave task done $id 1
expect 0 "" as carol task done $id 1 -m "backup in the vault"
same "the owner marks it done" "$(cat "$TMP/out")" "$id: task 1 done"
expect 1 "$id: task 1 is done already: nothing to change" as carol task done $id 1
expect 0 "" as bob task done $id 2
expect 0 "" as bob task reopen $id 2 -m "not yet"
expect 1 "task 2 is not done: nothing to change" as bob task reopen $id 2
expect 1 "$id has no task 9 (it has 3)" as bob task done $id 9
expect 129 "'x' is not a task number" as bob task done $id x
expect 129 "which task" as bob task done $id
same "crq records who and when" "$(git cat-file blob HEAD:$f | "$PY" -c '
import sys, yaml
t = yaml.safe_load(sys.stdin)["tasks"]
print(t[0]["done"], t[0]["done_by"], t[0]["done_at"], "done" in t[1], t[2]["owner"])')" \
	"True carol@example.com 2026-11-23T10:00:00Z False dave@example.com"
git log -1 --format=%B HEAD~2 | grep -q "^backup in the vault$" && ok "the message is in the commit" || not_ok "message"

# --- listing ------------------------------------------------------------------
expect 0 "" "$CRQ" task list $id
same "list: one line a task" "$(sed -n 1p "$TMP/out")" "$id   1 [x] prepare  Take a backup  owner carol@example.com  due 2026-11-25T10:00:00Z  done by carol@example.com at 2026-11-23T10:00:00Z"
expect 0 "" as dave task list --mine
same "--mine: the user's own" "$(cat "$TMP/out")" "$id   3 [ ] verify   Check the logins  owner dave@example.com"
as alice task add $id --title "Late one" --due 2026-11-20T00:00:00Z >/dev/null
expect 0 "" "$CRQ" task list --overdue --at 2026-11-23T10:00:00Z
same "--overdue: not done and past due" "$(cat "$TMP/out")" "$id   4 [ ] -        Late one  due 2026-11-20T00:00:00Z (overdue)"
expect 0 "" "$CRQ" task list --json
"$PY" -c '
import json, sys
t = json.load(open(sys.argv[1]))
assert [x["task"] for x in t] == [1, 2, 3, 4], t
assert t[0]["done"] and t[0]["done_by"] == "carol@example.com"
assert not t[1]["done"] and t[3]["overdue"] is True and t[1]["overdue"] is False
' "$TMP/out" && ok "--json parses and says the same" || not_ok "json: $(cat "$TMP/out")"
expect 129 "unknown task command 'close'" "$CRQ" task close $id 1
expect 129 "option '--json' given twice" "$CRQ" task list --json --json

# --- verify: task steps are steps -----------------------------------------------
expect 0 "" "$CRQ" verify
git checkout -q -b forged
# dave marks carol's... no: dave marks task 2 (not his, no implementer role) by hand
"$PY" - "$f" <<'EOT'
import sys
p = sys.argv[1]
s = open(p).read().replace("  - title: Swap the keys\n    phase: deploy\n",
	"  - title: Swap the keys\n    phase: deploy\n    done: true\n    done_by: dave@example.com\n    done_at: '2026-11-23T10:00:00Z'\n")
open(p, "w").write(s)
EOT
git add $f
gitas dave "$(keyfor dave)" commit -q -S -m "$(msg $id task-done draft draft)"
refused forged role
git reset -q --hard HEAD~1
# bob (an implementer) marks it, but claims carol did it
"$PY" - "$f" <<'EOT'
import sys
p = sys.argv[1]
s = open(p).read().replace("  - title: Swap the keys\n    phase: deploy\n",
	"  - title: Swap the keys\n    phase: deploy\n    done: true\n    done_by: carol@example.com\n    done_at: '2026-11-23T10:00:00Z'\n")
open(p, "w").write(s)
EOT
git add $f
gitas bob "$(keyfor bob)" commit -q -S -m "$(msg $id task-done draft draft)"
"$CRQ" verify forged >"$TMP/vout" 2>&1
grep -q "^$(git rev-parse forged) $id .*'tasks' is not what 'task-done' writes here" "$TMP/vout" && ok "refused: done_by must be the signer" || not_ok "done_by: $(cat "$TMP/vout")"
git reset -q --hard HEAD~1
# an edit that ticks a task off
sed -i 's/^    phase: deploy$/    phase: deploy\n    done: true/' $f
git add $f
gitas alice "$(keyfor alice)" commit -q -S -m "$(msg $id edit draft draft)"
refused forged tasks
git checkout -q main
git branch -q -D forged

# --- start needs the prepare tasks done -------------------------------------
as alice set $id implementation_plan=p backout_plan=b test_plan=t >/dev/null
as alice task add $id --title "Drain traffic" --phase prepare --owner bob@example.com >/dev/null
as alice submit $id >/dev/null
as bob assess $id --risk low >/dev/null
as bob approve $id >/dev/null
as bob schedule $id --start 2026-11-23T10:10:00Z --end 2026-11-23T11:00:00Z >/dev/null
expect 1 "cannot start $id: a task of the phases it needs is not done: 5 'Drain traffic'" as bob start $id
expect 0 "" as bob task done $id 5
expect 0 "" as bob start $id
same "approvals still hold after ticking tasks off" "$("$CRQ" show $id --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["state"])')" "implementing"
expect 0 "" "$CRQ" verify

# --- sync: task steps replay as what they did ----------------------------------
cd "$TMP"
git clone -q --bare s server.git
(cd server.git && "$CRQ" hook install >/dev/null)
git clone -q server.git a
git clone -q server.git b
(cd a && as bob task done $id 2 >/dev/null && as bob sync >/dev/null)
cd b
expect 0 "" as dave task done $id 3
expect 0 "" as dave sync
grep -q "^replayed task-done $id" "$TMP/out" && ok "dave's tick replays onto bob's" || not_ok "replay: $(cat "$TMP/out")"
same "both ticks on the server" "$(git -C ../server.git show main:$f | "$PY" -c '
import sys, yaml
t = yaml.safe_load(sys.stdin)["tasks"]
print(t[1].get("done_by"), t[2].get("done_by"))')" "bob@example.com dave@example.com"
expect 0 "" "$CRQ" verify
fsck_clean "$TMP/b"
done_testing
