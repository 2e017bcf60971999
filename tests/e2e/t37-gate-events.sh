#!/bin/sh
# The deployment gate (crq gate: inside and outside the window, before
# it opens, in a freeze, no change, a change only scheduled, a service
# through what it depends on, a history that does not verify) and crq
# deploy (the step, its guards, forged deployments refused); crq events
# (valid against schemas/event.schema.json, stable across runs,
# resumable by id, by revision and by time).
. "$(dirname "$0")/lib.sh"

at() { export GIT_COMMITTER_DATE="$1" GIT_AUTHOR_DATE="$1"; }
plans="--set implementation_plan=p --set backout_plan=b --set test_plan=t"
yq() { git cat-file blob "HEAD:$1" | "$PY" -c "
import sys, yaml
d = yaml.safe_load(sys.stdin)
print($2)"; }
policy() {
	"$CRQ" policy show --json | "$PY" -c "
import json, sys, yaml
p = json.load(sys.stdin)
$1
print(yaml.safe_dump(json.loads(json.dumps(p)), sort_keys=False), end='')" >"$TMP/p.yaml"
	as alice policy apply "$TMP/p.yaml" >/dev/null || not_ok "policy apply"
}

at 2026-11-23T09:00:00Z
cd "$TMP"
"$CRQ" init g >/dev/null
cd g
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role cab --role implementer >/dev/null
as alice member add carol@example.com --key "$(keyfor carol).pub" --name Carol \
	--role cab --role security >/dev/null
policy 'p["services"] = [{"name": "web", "depends_on": ["api"]}, {"name": "api"}, {"name": "db"}] + [{"name": n} for n in ["billing", "billing-db", "payments"]]'
as alice new --title "API 2.0" --service api --impact low --urgency low $plans >/dev/null
as alice submit CHG-000001 >/dev/null
as bob assess CHG-000001 --risk low >/dev/null
as bob approve CHG-000001 >/dev/null
as bob schedule CHG-000001 --start 2026-11-23T10:00:00Z --end 2026-11-23T12:00:00Z --implementer bob@example.com >/dev/null
as alice new --title "DB patch" --service db --impact low --urgency low $plans >/dev/null
as alice submit CHG-000002 >/dev/null
as bob assess CHG-000002 --risk low >/dev/null
as bob approve CHG-000002 >/dev/null
as bob schedule CHG-000002 --start 2026-11-23T14:00:00Z --end 2026-11-23T15:00:00Z >/dev/null
at 2026-11-23T10:05:00Z
expect 0 "" as bob start CHG-000001
f1=changes/000/CHG-000001.yaml

# ===== the gate ==========================================================
at 2026-11-23T10:30:00Z
expect 0 "" "$CRQ" gate --service api
same "inside the window: go, naming the change" "$(cat "$TMP/out")" \
	"go: CHG-000001 (API 2.0), implementing 2026-11-23T10:00:00Z to 2026-11-23T12:00:00Z"
expect 0 "" "$CRQ" gate --service web
same "a service through what it depends on" "$(head -c 14 "$TMP/out")" "go: CHG-000001"
expect 1 "CHG-000002 is scheduled (2026-11-23T14:00:00Z to 2026-11-23T15:00:00Z) but not started
hint: crq start CHG-000002, in its window" "$CRQ" gate --service db
expect 1 "no deploy of api now: CHG-000001 is implementing, but its window is 2026-11-23T10:00:00Z to 2026-11-23T12:00:00Z
hint: the window closed: reschedule CHG-000001" "$CRQ" gate --service api --at 2026-11-23T12:30:00Z
expect 1 "hint: deploy when the window opens" "$CRQ" gate --service api --at 2026-11-23T09:30:00Z
expect 0 "" "$CRQ" gate --service api --at 2026-11-23T09:50:00Z
same "from start_tolerance before the window" "$(head -c 14 "$TMP/out")" "go: CHG-000001"
expect 1 "service 'mail' is not in the policy's services catalogue" "$CRQ" gate --service mail
"$CRQ" gate --service api --json >"$TMP/g.json"
same "--json" "$("$PY" -c '
import json, sys
g = json.load(open(sys.argv[1]))
print(g["allowed"], g["change"], g["service"], g["at"], g["window"], [c["change"] for c in g["candidates"]], g["deployments"])' "$TMP/g.json")" \
	"True CHG-000001 api 2026-11-23T10:30:00Z {'start': '2026-11-23T10:00:00Z', 'end': '2026-11-23T12:00:00Z'} ['CHG-000001'] []"
"$CRQ" gate --service db --json >"$TMP/g2.json"
same "--json when the answer is no: exit 1, reason and hint" "$? $("$PY" -c '
import json, sys
g = json.load(open(sys.argv[1]))
print(g["allowed"], "change" in g, g["reason"][:30], [c["why"][:10] for c in g["candidates"]])' "$TMP/g2.json")" \
	"1 False False CHG-000002 is scheduled (2026- ['CHG-000002']"
expect 129 "--service is required" "$CRQ" gate
expect 129 "not a time" "$CRQ" gate --service api --at later
expect 129 "unknown option" "$CRQ" gate --service api --force

# ===== crq deploy ========================================================
at 2026-11-23T10:40:00Z
ref=$(git rev-parse HEAD)
art=sha256:$(printf 'build 42' | sha256sum | cut -c1-64)
pre=$(git rev-parse HEAD)
expect 0 "" as bob deploy CHG-000001 --ref "$ref" --artifact "$art" --environment prod
same "deploy says what went out" "$(cat "$TMP/out")" "CHG-000001: deployed $(echo "$ref" | cut -c1-12) to prod"
same "the deployment, with who and when" "$(yq $f1 'd["deployments"]')" \
	"[{'ref': '$ref', 'artifact': '$art', 'environment': 'prod', 'by': 'bob@example.com', 'at': '2026-11-23T10:40:00Z'}]"
same "a signed step; the state stays" "$(git log -1 --format='%(trailers:key=Crq-Action,valueonly,separator=%x20)') $(yq $f1 'd["state"]')" "deploy implementing"
git log -1 --format=%B >"$TMP/deploy.msg"
expect 0 "" "$CRQ" gate --service api
"$CRQ" gate --service api --json >"$TMP/g3.json"
same "the gate after a deploy lists it" "$("$PY" -c '
import json, sys
print([d["environment"] for d in json.load(open(sys.argv[1]))["deployments"]])' "$TMP/g3.json")" "['prod']"
expect 1 "carol@example.com may not deploy CHG-000001: needs role implementer or automation" as carol deploy CHG-000001 --ref "$ref"
expect 1 "cannot deploy CHG-000002: it is scheduled" as bob deploy CHG-000002 --ref "$ref"
expect 129 "is not a full commit id" as bob deploy CHG-000001 --ref HEAD
expect 129 "is not a digest" as bob deploy CHG-000001 --ref "$ref" --artifact latest
expect 129 "--ref COMMIT is required" as bob deploy CHG-000001
expect 1 "'NOPE' is not a change id of this store" as bob deploy NOPE --ref "$ref"
at 2026-11-23T12:30:00Z
expect 1 "its window closed at 2026-11-23T12:00:00Z" as bob deploy CHG-000001 --ref "$ref"
at 2026-11-23T10:50:00Z
expect 0 "" "$CRQ" verify

# forged deployments: in a comment step, and in someone else's name
git checkout -q -b dep-comment
as bob comment CHG-000001 -m "note" >/dev/null
"$PY" -c "
import sys
t = open(sys.argv[1]).read()
t = t.replace(\"    at: '2026-11-23T10:40:00Z'\n\", \"    at: '2026-11-23T10:40:00Z'\n  - ref: $ref\n    by: bob@example.com\n    at: '2026-11-23T10:50:00Z'\n\", 1)
open(sys.argv[1], 'w').write(t)" $f1
git add $f1
gitas bob "$(keyfor bob)" commit -q --amend -S -C HEAD
git checkout -q main
refused dep-comment deployments
git checkout -q -b dep-name "$pre"
cp "$TMP/deploy.msg" "$TMP/m"
git show main:$f1 | sed 's/    by: bob@example.com/    by: carol@example.com/' >$f1
git add $f1
GIT_COMMITTER_DATE=2026-11-23T10:40:00Z GIT_AUTHOR_DATE=2026-11-23T10:40:00Z gitas bob "$(keyfor bob)" commit -q -S -F "$TMP/m"
git checkout -q main
refused dep-name derived-field

# ===== a freeze, and a history that does not verify =====================
policy 'p["freeze"] = p.get("freeze", []) + [{"name": "api freeze", "start": "2026-11-23T10:55:00Z", "end": "2026-11-23T11:30:00Z", "services": ["api"]}]'
at 2026-11-23T11:00:00Z
expect 1 "CHG-000001 is inside the freeze 'api freeze' (2026-11-23T10:55:00Z to 2026-11-23T11:30:00Z)
hint: wait until 2026-11-23T11:30:00Z, or raise an emergency change" "$CRQ" gate --service api
expect 1 "inside the freeze" "$CRQ" gate --service web
expect 1 "cannot deploy CHG-000001 now: it is inside the freeze 'api freeze'" as bob deploy CHG-000001 --ref "$ref"
# an emergency change: no window, and the freeze does not hold it
as alice member add erin@example.com --key "$(keyfor erin).pub" --name Erin --role ecab >/dev/null
as alice new --title "Hotfix API" --type emergency --service api --set incident=INC-7 \
	--set implementation_plan=p --set backout_plan=b >/dev/null
id=$(git log -1 --format='%(trailers:key=Crq-Change,valueonly)')
as alice submit $id >/dev/null
as erin approve $id >/dev/null
expect 0 "" as bob start $id
expect 0 "" "$CRQ" gate --service api
same "the gate lets an emergency through the freeze" "$(head -c 14 "$TMP/out")" "go: $id"
"$CRQ" gate --service api --json >"$TMP/ge.json"
same "both changes could go; the first named" "$("$PY" -c '
import json, sys
g = json.load(open(sys.argv[1]))
print([(c["change"], "why" in c) for c in g["candidates"]])' "$TMP/ge.json")" "[('CHG-000001', True), ('$id', False)]"
expect 0 "" as bob deploy $id --ref "$ref" --environment prod
as bob complete $id --close-code successful >/dev/null
at 2026-11-23T11:40:00Z
expect 0 "" "$CRQ" gate --service api
good=$(git rev-parse HEAD)
sed -i 's/^title: API 2.0/title: API 3.0/' $f1
git add $f1
gitas bob "$(keyfor bob)" commit -q -S -m "$(msg CHG-000001 edit implementing implementing)"
expect 1 "the history does not verify (1 violation): no deploy may rely on it" "$CRQ" gate --service api
git reset -q --hard "$good"
expect 128 "trust" env CI=true "$CRQ" gate --service api
expect 0 "" env CI=true "$CRQ" gate --service api --trust "$(git rev-list --max-parents=0 HEAD)"

# ===== a deployment replayed by crq sync =================================
at 2026-11-23T11:45:00Z
cd "$TMP"
git clone -q --bare g server.git
git clone -q server.git k1
git clone -q server.git k2
(cd k1 && as bob deploy CHG-000001 --ref "$ref" --environment staging >/dev/null)
(cd k2 && as alice comment CHG-000002 -m "meanwhile" >/dev/null && "$CRQ" sync >/dev/null 2>&1)
cd k1
expect 0 "" as bob sync
grep -q "^replayed deploy CHG-000001" "$TMP/out" && ok "the deploy replayed" || not_ok "sync: $(cat "$TMP/out")"
same "the same deployment on the new tip" "$(yq $f1 '[(x["environment"], x["by"]) for x in d["deployments"]]')" \
	"[('prod', 'bob@example.com'), ('staging', 'bob@example.com')]"
expect 0 "" "$CRQ" verify
cd "$TMP/g"
git pull -q "$TMP/server.git" main 2>/dev/null
good=$(git rev-parse HEAD)

# ===== the server's post-receive hook notifies ===========================
git -C "$TMP/server.git" config crq.notify.log.type command
git -C "$TMP/server.git" config crq.notify.log.command "cat >>'$TMP/pushed.log'; echo >>'$TMP/pushed.log'"
git -C "$TMP/server.git" config crq.notify.log.events step
expect 0 "" "$CRQ" -C "$TMP/server.git" hook install --notify
grep -q "post-receive" "$TMP/out" && ok "post-receive installed" || not_ok "install: $(cat "$TMP/out")"
expect 129 "--notify is for the shared (bare) repository" "$CRQ" -C "$TMP/k1" hook install --notify
(cd "$TMP/k1" && as alice comment CHG-000002 -m "pushed with git" >/dev/null && git push -q origin main 2>"$TMP/push.err")
same "the push's step reached the channel, once" "$("$PY" -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print([(e["type"], e["action"], e["commit"] == sys.argv[2]) for e in ev])' "$TMP/pushed.log" "$(git -C "$TMP/k1" rev-parse HEAD)")" \
	"[('step', 'comment', True)]"
git pull -q "$TMP/server.git" main 2>/dev/null
good=$(git rev-parse HEAD)

# ===== crq events ========================================================
at 2026-11-23T13:00:00Z
expect 0 "" "$CRQ" events --json
cp "$TMP/out" "$TMP/ev1.json"
"$CRQ" events --json >"$TMP/ev2.json"
same "the stream is the same on a second run" "$(cmp "$TMP/ev1.json" "$TMP/ev2.json" && echo same)" "same"
"$PY" - "$TOP/schemas/event.schema.json" "$TMP/ev1.json" >"$TMP/schema.out" 2>&1 <<'EOT'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
v = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
ev = json.load(open(sys.argv[2]))
bad = [(e["id"], err.message) for e in ev for err in v.iter_errors(e)]
ids = [e["id"] for e in ev]
assert not bad, bad
assert len(ids) == len(set(ids)), "duplicate ids"
assert [e["time"] for e in ev] == sorted(e["time"] for e in ev), "not in time order"
print(len(ev), sorted(set(e["type"] for e in ev)))
EOT
same "every event valid against event.schema.json, unique ids, in time order" "$?" "0"
"$PY" "$TOP/tests/crosscheck.py" --items "$TOP/schemas/event.schema.json" "$TMP/ev1.json" >"$TMP/cross.out"
same "python3-jsonschema (with a strict RFC 3339 check) agrees, event by event" \
	"$(grep -vc ' valid$' "$TMP/cross.out") $(grep -c ' valid$' "$TMP/cross.out")" "0 $("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$TMP/ev1.json")"
# and refuses what is not an event
"$PY" -c '
import json, sys
ev = json.load(open(sys.argv[1]))
ev[0]["time"] = "2026-02-31T10:00:00Z"
ev[1]["id"] = "evt-1"
del ev[2]["notify"]
json.dump(ev[:3], open(sys.argv[2], "w"))' "$TMP/ev1.json" "$TMP/bad-ev.json"
same "the schema refuses a bad time, a bad id, a missing notify" \
	"$("$PY" "$TOP/tests/crosscheck.py" --items "$TOP/schemas/event.schema.json" "$TMP/bad-ev.json" | grep -c ' invalid: ')" "3"
sed 's/^/# /' "$TMP/schema.out"
same "what happened, by type" "$(cut -d' ' -f2- "$TMP/schema.out")" \
	"['deployment', 'implementation-late', 'step', 'window-starting']"
same "the deployment event" "$("$PY" -c '
import json, sys
d = [e for e in json.load(open(sys.argv[1])) if e["type"] == "deployment"][0]
print(d["change"], d["by"], d["deployment"]["environment"], d["time"], d["deployment"]["ref"] == sys.argv[2])' "$TMP/ev1.json" "$ref")" \
	"CHG-000001 bob@example.com prod 2026-11-23T10:40:00Z True"
same "the late implementation at its window's end" "$("$PY" -c '
import json, sys
print([(e["change"], e["time"]) for e in json.load(open(sys.argv[1])) if e["type"] == "implementation-late"])' "$TMP/ev1.json")" \
	"[('CHG-000001', '2026-11-23T12:00:00Z')]"
# resume by id: the events after the fifth, exactly
fifth=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))[4]["id"])' "$TMP/ev1.json")
"$CRQ" events --json --since "$fifth" >"$TMP/ev3.json"
same "resumed after an id: the rest of the stream" "$("$PY" -c '
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
print(b == a[5:], len(b) == len(a) - 5)' "$TMP/ev1.json" "$TMP/ev3.json")" "True True"
expect 1 "event 'evt-000000000000000000000000' is not in the stream" "$CRQ" events --since evt-000000000000000000000000
# resume by revision: the steps after it and the clock after its time
"$CRQ" events --json --since "$pre" >"$TMP/ev4.json"
same "since a revision" "$("$PY" -c '
import json, sys
print([(e["type"], e.get("action", "")) for e in json.load(open(sys.argv[1]))])' "$TMP/ev4.json")" \
	"[('step', 'deploy'), ('deployment', ''), ('step', 'create'), ('step', 'submit'), ('step', 'approve'), ('step', 'start'), ('step', 'deploy'), ('deployment', ''), ('step', 'complete'), ('step', 'comment'), ('step', 'deploy'), ('deployment', ''), ('step', 'comment'), ('implementation-late', '')]"
"$CRQ" events --json --since 2026-11-23T10:30:00Z --until 2026-11-23T11:59:00Z >"$TMP/ev5.json"
same "a time range" "$("$PY" -c '
import json, sys
print([(e["type"], e["time"][11:16]) for e in json.load(open(sys.argv[1]))])' "$TMP/ev5.json")" \
	"[('step', '10:40'), ('deployment', '10:40'), ('step', '11:00'), ('step', '11:00'), ('step', '11:00'), ('step', '11:00'), ('step', '11:00'), ('deployment', '11:00'), ('step', '11:00'), ('step', '11:45'), ('step', '11:45'), ('deployment', '11:45'), ('step', '11:45')]"
expect 0 "" "$CRQ" events
same "text: one line per event" "$(sed -n 1p "$TMP/out" | cut -c1-46)" "2026-11-23T09:00:00Z  step                evt-"
expect 1 "'yesterday' is neither a time (RFC 3339), an event id nor a revision" "$CRQ" events --since yesterday
expect 129 "unknown option" "$CRQ" events --follow
# ===== one escalate run, every change that is late =======================
# CHG-000001 (window closed 12:00) and CHG-000002 (scheduled, closed
# 15:00) are both more than two hours late at 17:30
as alice member add bot@example.com --key "$(keyfor bot).pub" --name Bot --role automation >/dev/null
at 2026-11-23T17:30:00Z
expect 0 "" as bot escalate
same "both escalated in one run" "$(cut -d: -f1 "$TMP/out")" "escalated CHG-000001
escalated CHG-000002"
expect 0 "" as bot escalate
same "and nothing the second time" "$(cat "$TMP/out")" "nothing to escalate"
expect 0 "" "$CRQ" verify

# ===== the clock's events: SLA at risk and breached, a task overdue ======
cd "$TMP"
at 2026-11-23T09:00:00Z
"$CRQ" init h >/dev/null
cd h
as alice new --title "Waiting" --service web --impact medium --urgency medium $plans >/dev/null
as alice submit CHG-000001 >/dev/null
as alice task add CHG-000001 --title "Book the room" --owner alice@example.com --due 2026-11-23T10:00:00Z >/dev/null
# general-response: 2h of office hours from 09:00, at risk from 80 %
# (10:36), breached at 11:00; the default rule breached-sla asks to
# notify the channel "changes" then
"$CRQ" events --json --since 2026-11-23T09:30:00Z --until 2026-11-23T12:00:00Z >"$TMP/sla.json"
same "the clock's events, with the rule that watches one" "$("$PY" -c '
import json, sys
for e in json.load(open(sys.argv[1])):
	print(e["time"][11:16], e["type"], e.get("rule", "-"), e.get("sla", e.get("task", {})).get("target", e.get("task", {}).get("title", "")), e["notify"])' "$TMP/sla.json")" \
	"10:00 task-overdue - Book the room []
10:36 sla-at-risk - general-response []
11:00 sla-breached - general-response []
11:00 sla-breached breached-sla general-response ['changes']"
"$CRQ" events --json --since 2026-11-23T09:30:00Z --until 2026-11-23T10:40:00Z >"$TMP/sla2.json"
same "until: what the clock had brought by then" "$("$PY" -c '
import json, sys
print([e["type"] for e in json.load(open(sys.argv[1]))])' "$TMP/sla2.json")" "['task-overdue', 'sla-at-risk']"
"$PY" "$TOP/tests/crosscheck.py" --items "$TOP/schemas/event.schema.json" "$TMP/sla.json" >"$TMP/cross2.out"
same "clock events valid against the schema" "$(grep -vc ' valid$' "$TMP/cross2.out")" "0"
cd "$TMP/g"

# ===== the CI recipes call commands and options crq has ==================
for f in "$TOP"/examples/github-actions*.yml "$TOP"/examples/gitlab-ci*.yml; do
	"$PY" - "$CRQ" "$f" >"$TMP/recipe" 2>&1 <<'EOT'
import re, subprocess, sys, yaml
crq, path = sys.argv[1:3]
# the shell the jobs run: run (GitHub), script and before_script (GitLab)
def shell(node, key=None):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from shell(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from shell(v, key)
    elif isinstance(node, str) and key in ("run", "script", "before_script"):
        yield node
text = "\n".join(shell(yaml.safe_load(open(path)))).replace("\\\n", " ")
seen = 0
for line in text.splitlines():
    # crq where a command starts: the line's start, after ; & | ( {
    for m in re.finditer(r"(?:^|[;&|({])\s*crq ([a-z][a-z-]*)([^|;&)\n]*)", line):
        cmd, rest = m.group(1), m.group(2)
        h = subprocess.run([crq, "help", cmd], capture_output=True, text=True)
        assert h.returncode == 0, "crq %s: no such command" % cmd
        for opt in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", rest):
            assert opt in h.stdout, "crq %s has no option %s" % (cmd, opt)
        seen += 1
assert seen, "no crq command in " + path
print(seen)
EOT
	same "$(basename "$f"): every crq command and option exists" "$?" "0" || sed 's/^/#   /' "$TMP/recipe"
done
fsck_clean .
done_testing
