#!/bin/sh
# crq audit, the evidence pack: a fixed-date history of five changes
# (a normal change through to close with a deployment, a late-reviewed
# emergency change without a test plan, a standard change, an emergency
# change whose review is not due yet, an open change).  Every step is
# checked against git (its commit, its Crq-Action, its signer's key
# fingerprint as ssh-keygen -l prints it), every control passing and
# failing (the failing ones on histories forged with plain git: a start
# without authorization, an authorization on a side branch that is not
# the start's ancestor, an approval by the requester, an unsigned and a
# stranger-signed commit); the JSON against schemas/audit.schema.json,
# the CSV through python's csv module, --sign through ssh-keygen -Y
# verify; the filters; --permissions (grants with who made them,
# revokes, expiring grants, admins, keys); the errors.
. "$(dirname "$0")/lib.sh"

at() { export GIT_COMMITTER_DATE="$1" GIT_AUTHOR_DATE="$1"; }
plans="--set implementation_plan=p --set backout_plan=b --set test_plan=t"
link=1111111111111111111111111111111111111111
fp() { ssh-keygen -lf "$(keyfor "$1").pub" | cut -d' ' -f2; }
# jq-like: python over the JSON file $1
pj() { "$PY" -c "
import json, sys
d = json.load(open(sys.argv[1]))
$2" "$1"; }
controls() { pj "$1" "
c = [x for x in d['changes'] if x['id'] == '$2'][0]
print(' '.join(x['status'] for x in c['controls']))"; }
schema_ok() {
	if "$PY" -c '
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2])))' "$1" "$TOP/schemas/$2.schema.json" 2>"$TMP/serr"; then
		ok "$1 is valid against schemas/$2.schema.json"
	else
		not_ok "$1 against $2.schema.json: $(tail -3 "$TMP/serr")"
	fi
}

at 2026-11-02T09:00:00Z
cd "$TMP"
"$CRQ" init g >/dev/null
cd g
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role cab --role implementer --role reviewer >/dev/null
as alice member add carol@example.com --key "$(keyfor carol).pub" --name Carol \
	--role cab --role security >/dev/null
as alice member add erin@example.com --key "$(keyfor erin).pub" --name Erin \
	--role ecab --role implementer >/dev/null
as alice member add dave@example.com --key "$(keyfor dave).pub" --name Dave >/dev/null
as alice role grant dave@example.com cab --until 2026-11-20 >/dev/null

# CHG-000001: normal, medium risk, through to close, deployed
at 2026-11-02T10:00:00Z
as alice new --title "API 2.0" --service api --impact low --urgency low $plans \
	--set "links=[{type: commit, ref: '$link'}]" >/dev/null
as alice submit CHG-000001 >/dev/null
at 2026-11-02T11:00:00Z
as bob assess CHG-000001 --risk medium >/dev/null
at 2026-11-02T12:00:00Z
as bob approve CHG-000001 >/dev/null
as carol approve CHG-000001 >/dev/null
as bob schedule CHG-000001 --start 2026-11-03T10:00:00Z --end 2026-11-03T12:00:00Z \
	--implementer bob@example.com >/dev/null
at 2026-11-03T10:05:00Z
as bob start CHG-000001 >/dev/null
as bob deploy CHG-000001 --ref $link --environment prod >/dev/null
as bob complete CHG-000001 --close-code successful >/dev/null
at 2026-11-04T10:00:00Z
as bob review CHG-000001 -m "went well" >/dev/null
as bob close CHG-000001 >/dev/null

# CHG-000002: emergency, no test plan (reviewed after its deadline, below)
at 2026-11-04T12:00:00Z
as alice new --title "Hotfix TLS" --type emergency --set incident=INC-7 \
	--set implementation_plan=p --set backout_plan=b >/dev/null
as alice submit CHG-000002 >/dev/null
as erin approve CHG-000002 >/dev/null
as erin start CHG-000002 >/dev/null
as erin complete CHG-000002 --close-code successful >/dev/null
due2=$(git cat-file blob HEAD:changes/000/CHG-000002.yaml | sed -n "s/^review_due: '\(.*\)'$/\1/p")
same "the emergency review is due 72 hours after it was implemented" "$due2" "2026-11-07T12:00:00Z"

# CHG-000003: standard, pre-authorized by its template
at 2026-11-05T09:00:00Z
as alice new --template os-patch >/dev/null
as alice submit CHG-000003 >/dev/null

# CHG-000004: emergency, implemented; its review is not due yet
at 2026-11-06T10:00:00Z
as alice new --title "Hotfix DNS" --type emergency --set incident=INC-8 \
	--set implementation_plan=p --set backout_plan=b --set test_plan=t >/dev/null
as alice submit CHG-000004 >/dev/null
as erin approve CHG-000004 >/dev/null
as erin start CHG-000004 >/dev/null
as erin complete CHG-000004 --close-code successful_with_issues >/dev/null

# CHG-000005: open, assessed (low risk: one change-manager authorizes)
at 2026-11-06T11:00:00Z
as alice new --title "Cache warmup" --service web --impact low --urgency low $plans >/dev/null
as alice submit CHG-000005 >/dev/null
as bob assess CHG-000005 --risk low >/dev/null
at 2026-11-06T12:00:00Z
as alice role revoke carol@example.com security >/dev/null
as alice role grant bob@example.com ops >/dev/null
at 2026-11-08T13:00:00Z
as bob review CHG-000002 -m "late review" >/dev/null
git branch -q legit

# ===== the pack ==========================================================
at 2026-11-08T14:00:00Z
expect 1 "the audit found refused commits or failing controls" \
	"$CRQ" audit --format json -o "$TMP/pack.json"
schema_ok "$TMP/pack.json" audit
same "verify ran over the whole history and is clean" \
	"$(pj "$TMP/pack.json" "print(d['verify']['clean'], d['verify']['checked'], d['root'] == '$(git rev-list --max-parents=0 HEAD)', d['tip'] == '$(git rev-parse HEAD)')")" \
	"True $(git rev-list --count HEAD~0 --not $(git rev-list --max-parents=0 HEAD)) True True"
# every step is a commit git knows with its Crq-Action, oldest first
git log --reverse --format='%H %(trailers:key=Crq-Action,valueonly,separator=)' \
	$(git rev-list --max-parents=0 HEAD)..HEAD >"$TMP/gitsteps"
pj "$TMP/pack.json" "
for s in d['steps']:
    print(s['commit'], s['action'])" >"$TMP/packsteps"
same "one row per step, the same commits and actions as git log" \
	"$(cat "$TMP/packsteps")" "$(cat "$TMP/gitsteps")"
same "each row's key fingerprint is the signer's, as ssh-keygen -l prints it" \
	"$(pj "$TMP/pack.json" "print(sorted(set((s['by'], s['key']) for s in d['steps'])))")" \
	"$("$PY" -c "import sys; print(sorted(set(zip(sys.argv[1::2], sys.argv[2::2]))))" \
		alice@example.com "$(fp alice)" bob@example.com "$(fp bob)" \
		carol@example.com "$(fp carol)" erin@example.com "$(fp erin)")"
same "signature and verify verdicts: all good, all accepted" \
	"$(pj "$TMP/pack.json" "print(set(s['signature'] for s in d['steps']), set(s['verdict'] for s in d['steps']))")" \
	"{'good'} {'accepted'}"
same "the role each step used, from the rule engine" \
	"$(pj "$TMP/pack.json" "print([(s['action'], s['by'][0], s['role']) for s in d['steps'] if s['change'] == 'CHG-000001'])")" \
	"[('create', 'a', 'requester'), ('submit', 'a', 'requester'), ('assess', 'b', 'change-manager'), ('approve', 'b', 'change-manager'), ('approve', 'c', 'cab'), ('schedule', 'b', 'change-manager'), ('start', 'b', 'implementer'), ('deploy', 'b', 'implementer'), ('complete', 'b', 'implementer'), ('review', 'b', 'reviewer'), ('close', 'b', 'change-manager')]"
same "policy steps: the admin role, the version in force before each" \
	"$(pj "$TMP/pack.json" "print([(s['role'], s['policy_version']) for s in d['steps'] if s['change'] is None])")" \
	"[('admin', 1), ('admin', 2), ('admin', 3), ('admin', 4), ('admin', 5), ('admin', 6), ('admin', 7)]"
same "from -> to as the trailers say" \
	"$(pj "$TMP/pack.json" "print([(s['from'], s['to']) for s in d['steps'] if s['change'] == 'CHG-000003'])")" \
	"[(None, 'draft'), ('draft', 'authorized')]"

# the controls, one change at a time
same "CHG-000001: every control passes (and emergency review is n/a)" \
	"$(controls "$TMP/pack.json" CHG-000001)" "pass pass pass n/a pass pass"
same "CHG-000002: no test plan, review late, no deployment recorded" \
	"$(controls "$TMP/pack.json" CHG-000002)" "pass pass fail fail pass not-recorded"
same "CHG-000003: standard, not implemented" \
	"$(controls "$TMP/pack.json" CHG-000003)" "n/a n/a pass n/a n/a n/a"
same "CHG-000004: the review is pending until its deadline" \
	"$(controls "$TMP/pack.json" CHG-000004)" "pass pass pass pending pending not-recorded"
same "CHG-000005: nothing applies yet" \
	"$(controls "$TMP/pack.json" CHG-000005)" "n/a n/a n/a n/a n/a n/a"
same "the late review's detail names the deadline" \
	"$(pj "$TMP/pack.json" "
c = [x for x in d['changes'] if x['id'] == 'CHG-000002'][0]['controls']
print([x['detail'] for x in c if x['control'] == 'emergency-review'][0].split(', ')[1])")" \
	"after the deadline $due2"
same "the missing plan is named" \
	"$(pj "$TMP/pack.json" "
c = [x for x in d['changes'] if x['id'] == 'CHG-000002'][0]['controls']
print([x['detail'] for x in c if x['control'] == 'plans'][0][-9:])")" "test_plan"
# each proof is the commit git says: the authorizing approval is an
# ancestor of the start; the proving review is the review step
auth1=$(pj "$TMP/pack.json" "print([x['commit'] for x in d['changes'][0]['controls'] if x['control'] == 'authorized-before-implementation'][0])")
start1=$(git log --format=%H --grep='^Crq-Action: start$' -- changes/000/CHG-000001.yaml)
same "the proof of authorization is carol's approval, the one into authorized" \
	"$(git log -1 --format='%ae %(trailers:key=Crq-Action,valueonly,separator=) %(trailers:key=Crq-To,valueonly,separator=)' "$auth1")" \
	"carol@example.com approve authorized"
check "git: the authorizing commit is an ancestor of the start" \
	git merge-base --is-ancestor "$auth1" "$start1"
same "the PIR proof is the review step" \
	"$(git log -1 --format="%(trailers:key=Crq-Action,valueonly,separator=)" "$(pj "$TMP/pack.json" "print([x['commit'] for x in d['changes'][0]['controls'] if x['control'] == 'post-implementation-review'][0])")")" \
	"review"
same "the deployment proof is the deploy step" \
	"$(git log -1 --format="%(trailers:key=Crq-Action,valueonly,separator=)" "$(pj "$TMP/pack.json" "print([x['commit'] for x in d['changes'][0]['controls'] if x['control'] == 'deployed-as-authorized'][0])")")" \
	"deploy"
same "the summary counts" \
	"$(pj "$TMP/pack.json" "print(d['summary'])")" \
	"{'changes': 5, 'steps': $(wc -l <"$TMP/gitsteps"), 'refused': 0, 'violations': 0, 'controls': {'pass': 12, 'fail': 2, 'pending': 2, 'not-recorded': 2, 'n/a': 12}}"
same "tasks, windows and deployments come along for the HTML" \
	"$(pj "$TMP/pack.json" "c = d['changes'][0]; print(c['window'], [x['environment'] for x in c['deployments']], c['implementer'])")" \
	"{'start': '2026-11-03T10:00:00Z', 'end': '2026-11-03T12:00:00Z'} ['prod'] bob@example.com"

# text
expect 1 "" "$CRQ" audit
grep -q "^crq verify: clean, " "$TMP/out" && ok "text: verify's verdict first" || not_ok "text head: $(head -2 "$TMP/out")"
grep -q "^  fail         plans  .*without test_plan$" "$TMP/out" && ok "text: a failing control with its proof" || not_ok "text plans line"
grep -q "^5 changes, $(wc -l <"$TMP/gitsteps") steps (0 refused); controls: 12 pass, 2 fail, 2 pending, 2 not recorded, 12 n/a$" "$TMP/out" &&
	ok "text: the summary line" || not_ok "text summary: $(tail -1 "$TMP/out")"

# CSV: one row per step, the same as the JSON
expect 1 "" "$CRQ" audit --format csv -o "$TMP/pack.csv"
same "CSV parses, one row per step, equal to the JSON" "$("$PY" -c '
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
d = json.load(open(sys.argv[2]))
want = [{k: ("" if v is None else str(v)) for k, v in s.items()} for s in d["steps"]]
print(len(rows), rows == want, list(rows[0].keys())[:4])' "$TMP/pack.csv" "$TMP/pack.json")" \
	"$(wc -l <"$TMP/gitsteps") True ['commit', 'time', 'change', 'title']"

# --sign: stock ssh-keygen checks the export
expect 1 "signed: $TMP/pack.json.sig (namespace crq-audit)" \
	"$CRQ" audit --format json -o "$TMP/pack.json" --sign
echo "alice@example.com namespaces=\"crq-audit\" $(cut -d' ' -f1,2 "$(keyfor alice).pub")" >"$TMP/allowed"
if ssh-keygen -Y verify -f "$TMP/allowed" -I alice@example.com -n crq-audit \
	-s "$TMP/pack.json.sig" <"$TMP/pack.json" >"$TMP/kv" 2>&1; then
	ok "ssh-keygen -Y verify accepts the signed pack ($(head -c 40 "$TMP/kv"))"
else
	not_ok "ssh-keygen -Y verify: $(cat "$TMP/kv")"
fi
sed 's/API 2.0/API 2.1/' "$TMP/pack.json" >"$TMP/tampered.json"
if ssh-keygen -Y verify -f "$TMP/allowed" -I alice@example.com -n crq-audit \
	-s "$TMP/pack.json.sig" <"$TMP/tampered.json" >/dev/null 2>&1; then
	not_ok "a tampered pack verified"
else
	ok "ssh-keygen refuses a tampered pack"
fi
if ssh-keygen -Y verify -f "$TMP/allowed" -I alice@example.com -n git \
	-s "$TMP/pack.json.sig" <"$TMP/pack.json" >/dev/null 2>&1; then
	not_ok "the audit signature passed as a git signature"
else
	ok "the signature is for namespace crq-audit only, not git"
fi
expect 0 "" "$CRQ" audit --change CHG-000001 --format csv -o "$TMP/one.csv" --sign
check "a signed CSV verifies too" sh -c "ssh-keygen -Y verify -f '$TMP/allowed' -I alice@example.com -n crq-audit -s '$TMP/one.csv.sig' <'$TMP/one.csv'"
expect 128 "cannot" "$CRQ" -c user.signingkey="$TMP/no-such-key" \
	audit --format json -o "$TMP/nokey.json" --sign
same "no signing key: nothing written" "$(ls "$TMP"/nokey* 2>/dev/null)" ""

# filters
ids() { "$CRQ" audit --format json "$@" 2>/dev/null | "$PY" -c 'import json, sys; d = json.load(sys.stdin); print(" ".join(c["id"] for c in d["changes"]), len(d["steps"]))'; }
same "--change: one change, its steps only" "$(ids --change CHG-000001)" "CHG-000001 11"
expect 0 "" "$CRQ" audit --change CHG-000001
same "--member: the changes erin took a step on" "$(ids --member erin@example.com)" "CHG-000002 CHG-000004 11"
same "--role: the changes a step was taken on as ecab" "$(ids --role ecab)" "CHG-000002 CHG-000004 11"
same "--since: changes with a step from then, and the policy steps since" "$(ids --since 2026-11-06)" "CHG-000002 CHG-000004 CHG-000005 16"
same "--until (a date: to its end), with that day's policy steps" "$(ids --until 2026-11-02)" "CHG-000001 16"
same "--grep, in any case, in the title" "$(ids --grep hotfix)" "CHG-000002 CHG-000004 11"
same "--since and --until together" "$(ids --since 2026-11-05T00:00:00Z --until 2026-11-05T23:00:00Z)" "CHG-000003 2"

# ===== --permissions =====================================================
expect 0 "" "$CRQ" audit --permissions --format json -o "$TMP/perm.json"
schema_ok "$TMP/perm.json" permissions
same "dave's grant with its end, and who made it" \
	"$(pj "$TMP/perm.json" "print([(e['by'], e['kind'], e['role'], e['until']) for e in d['events'] if e['member'] == 'dave@example.com'])")" \
	"[('alice@example.com', 'member-add', None, None), ('alice@example.com', 'key-add', None, None), ('alice@example.com', 'grant', 'cab', '2026-11-20')]"
same "the revoke, dated and signed" \
	"$(pj "$TMP/perm.json" "print([(e['time'], e['by'], e['member'], e['role']) for e in d['events'] if e['kind'] == 'revoke'])")" \
	"[('2026-11-06T12:00:00Z', 'alice@example.com', 'carol@example.com', 'security')]"
same "the revoke's commit is the role revoke step in git" \
	"$(git log -1 --format=%s "$(pj "$TMP/perm.json" "print([e['commit'] for e in d['events'] if e['kind'] == 'revoke'][0])")")" \
	"$(git log --format=%s -1 --grep=revoke)"
same "grants expiring within 30 days" "$(pj "$TMP/perm.json" "print(d['expiring'])")" \
	"[{'email': 'dave@example.com', 'role': 'cab', 'until': '2026-11-20'}]"
same "admins" "$(pj "$TMP/perm.json" "print(d['admins'])")" "['alice@example.com']"
same "who holds what now, since when, granted by whom" \
	"$(pj "$TMP/perm.json" "print([(r['role'], r['since'], r['granted_by']) for m in d['members'] if m['email'] == 'bob@example.com' for r in m['roles']])")" \
	"[('change-manager', '2026-11-02T09:00:00Z', 'alice@example.com'), ('cab', '2026-11-02T09:00:00Z', 'alice@example.com'), ('implementer', '2026-11-02T09:00:00Z', 'alice@example.com'), ('reviewer', '2026-11-02T09:00:00Z', 'alice@example.com'), ('ops', '2026-11-06T12:00:00Z', 'alice@example.com')]"
same "keys per member, as ssh-keygen -l prints them" \
	"$(pj "$TMP/perm.json" "print([(m['email'][0], [k['fingerprint'] for k in m['keys']]) for m in d['members']])")" \
	"[('a', ['$(fp alice)']), ('b', ['$(fp bob)']), ('c', ['$(fp carol)']), ('e', ['$(fp erin)']), ('d', ['$(fp dave)'])]"
expect 0 "" "$CRQ" audit --permissions
grep -q "^  dave@example.com cab until 2026-11-20$" "$TMP/out" && ok "text: the expiring grant" || not_ok "permissions text"
expect 0 "" "$CRQ" audit --permissions --format csv -o "$TMP/perm.csv"
same "permissions CSV: one row per event" "$("$PY" -c '
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
d = json.load(open(sys.argv[2]))
print(len(rows) == len(d["events"]), rows[0]["kind"], rows[-1]["kind"], rows[-1]["role"])' "$TMP/perm.csv" "$TMP/perm.json")" "True member-add grant ops"
expect 0 "" "$CRQ" audit --permissions -o "$TMP/perm.txt" --sign
check "a signed permission audit verifies" sh -c "ssh-keygen -Y verify -f '$TMP/allowed' -I alice@example.com -n crq-audit -s '$TMP/perm.txt.sig' <'$TMP/perm.txt'"

# a trusted root later than the store's first commit: its members are in
# force there, granted by no one the walk saw
mid=$(git log --format=%H --grep='^Crq-Action: policy$' --reverse | sed -n 5p)
expect 0 "" "$CRQ" audit --permissions --trust "$mid" --format json -o "$TMP/pt.json"
same "--trust: who was there at the root is in force, not granted by its committer" \
	"$(pj "$TMP/pt.json" "print(sorted(set(e['by'] for e in d['events'] if e['commit'] == '$mid')), [(r['role'], r['granted_by'], r['proven']) for m in d['members'] if m['email'] == 'alice@example.com' for r in m['roles']][:1])")" \
	"[None] [('admin', None, True)]"
expect 0 "" "$CRQ" audit --permissions --trust "$mid"
grep -q "by the trusted root in $(echo "$mid" | cut -c1-7)" "$TMP/out" && ok "text: granted at the trusted root" || not_ok "trust text: $(grep admin "$TMP/out" | head -2)"

# ===== HTML ==============================================================
expect 1 "" "$CRQ" audit --format html -o "$TMP/pack.html"
same "one HTML file" "$(head -c 15 "$TMP/pack.html")" "<!DOCTYPE html>"

# ===== errors ============================================================
expect 129 "--format 'pdf': text, json, csv or html" "$CRQ" audit --format pdf
expect 129 "--sign needs -o FILE" "$CRQ" audit --sign
expect 129 "--permissions takes no filters" "$CRQ" audit --permissions --change CHG-000001
expect 129 "--permissions comes as text, json or csv" "$CRQ" audit --permissions --format html
expect 129 "--since 'yesterday' is not a time" "$CRQ" audit --since yesterday
expect 129 "--until '2026-11-01' is before --since '2026-11-05'" "$CRQ" audit --since 2026-11-05 --until 2026-11-01
expect 129 "unknown option '--all'" "$CRQ" audit --all
expect 129 "option '--change' given twice" "$CRQ" audit --change CHG-000001 --change CHG-000002
expect 129 "unexpected argument 'CHG-000001'" "$CRQ" audit CHG-000001
expect 1 "no change 'CHG-000099' in the store" "$CRQ" audit --change CHG-000099
expect 128 "cannot write '$TMP/no/such/dir/p.json'" "$CRQ" audit --format json -o "$TMP/no/such/dir/p.json"
expect 128 "" sh -c "cd '$TMP' && '$CRQ' audit"
expect 128 "no trusted root" env CI=true "$CRQ" audit
expect 1 "" env CI=true "$CRQ" audit --trust "$(git rev-list --max-parents=0 HEAD)"

# an emergency review owed past its deadline: verify says so at the tip,
# the control fails, but no commit of the change is refused (and the
# report keeps counting it)
expect 1 "" env GIT_COMMITTER_DATE=2026-11-10T12:00:00Z "$CRQ" audit --format json -o "$TMP/late.json"
same "the review owed: emergency-review fails, the change's steps stand" \
	"$(pj "$TMP/late.json" "c = [x for x in d['changes'] if x['id'] == 'CHG-000004'][0]; print(c['verdict'], c['controls'][3]['status'], c['controls'][3]['detail'], [v['rule'] for v in d['verify']['violations']])")" \
	"accepted fail the review was due 2026-11-09T10:00:00Z and is still owed ['review-overdue']"
same "the report does not leave the change out" \
	"$(GIT_COMMITTER_DATE=2026-11-10T12:00:00Z "$CRQ" report --format json 2>/dev/null | "$PY" -c 'import json, sys; d = json.load(sys.stdin); print(d["excluded"], d["changes"])')" \
	"[] 5"

# ===== forged histories: each control failing, each verdict ============
f5=changes/000/CHG-000005.yaml
# a start with no authorization at all, signed by the implementer
git checkout -q -B nostart legit
sed -i 's/^state: assessed$/state: implementing/' $f5
git add $f5
gitas bob "$(keyfor bob)" commit -q -S -m "$(msg CHG-000005 start assessed implementing)"
expect 1 "" "$CRQ" audit --format json -o "$TMP/f1.json"
schema_ok "$TMP/f1.json" audit
same "the forged start: good signature, refused by verify with its rule" \
	"$(pj "$TMP/f1.json" "s = d['steps'][-1]; print(s['action'], s['signature'], s['verdict'], s['rule'] is not None, s['commit'] == '$(git rev-parse HEAD)')")" \
	"start good refused True True"
same "and the change shows as refused, started with no authorization" \
	"$(pj "$TMP/f1.json" "c = [x for x in d['changes'] if x['id'] == 'CHG-000005'][0]; print(c['verdict'], c['controls'][0]['status'], c['controls'][0]['detail'])")" \
	"refused fail started in $(git rev-parse --short=11 HEAD) with no authorizing step before it"
same "verify's violation is in the pack" "$(pj "$TMP/f1.json" "print(d['verify']['clean'], [v['commit'] for v in d['verify']['violations']] == ['$(git rev-parse HEAD)'])")" "False True"

# authorized on a side branch, started on main: earlier in time, but not
# the start's ancestor; the side branch merged afterwards
git checkout -q -B side legit
at 2026-11-08T15:00:00Z
as bob approve CHG-000005 >/dev/null
git checkout -q -B main2 legit
git show side:$f5 | sed 's/^state: authorized$/state: implementing/' >$f5
git add $f5
at 2026-11-08T16:00:00Z
gitas bob "$(keyfor bob)" commit -q -S -m "$(msg CHG-000005 start authorized implementing)"
at 2026-11-08T17:00:00Z
git -c user.name=alice -c user.email=alice@example.com merge -q -s ours --no-edit side
at 2026-11-08T18:00:00Z
expect 1 "" "$CRQ" audit --format json -o "$TMP/f2.json"
same "authorized before it started, but not in its ancestry: fail" \
	"$(pj "$TMP/f2.json" "c = [x for x in d['changes'] if x['id'] == 'CHG-000005'][0]['controls'][0]; print(c['status'], c['commit'] == '$(git rev-parse HEAD^1)', 'is not an ancestor of the start' in c['detail'])")" \
	"fail True True"
same "the side branch's approval is in the trail, accepted" \
	"$(pj "$TMP/f2.json" "print(sorted((s['action'], s['verdict']) for s in d['steps'] if s['change'] == 'CHG-000005'))")" \
	"[('approve', 'accepted'), ('assess', 'accepted'), ('create', 'accepted'), ('start', 'refused'), ('submit', 'accepted')]"
check "git agrees: the approval is not an ancestor of the start" \
	sh -c "! git merge-base --is-ancestor side main2^1"

# an approval by the requester: bob's legitimate approval, re-made as
# alice's with her own key
git checkout -q -B selfapp legit
at 2026-11-08T15:00:00Z
as bob approve CHG-000005 >/dev/null
tree=$(git rev-parse HEAD^{tree})
git log -1 --format=%B >"$TMP/appmsg"
git reset -q --hard legit
c=$(gitas alice "$(keyfor alice)" commit-tree -S "$tree" -p legit -F "$TMP/appmsg")
git update-ref refs/heads/selfapp "$c"
expect 1 "" "$CRQ" audit --format json -o "$TMP/f3.json"
same "separation of duties: the requester's approval fails, proven by its commit" \
	"$(pj "$TMP/f3.json" "c = [x for x in d['changes'] if x['id'] == 'CHG-000005'][0]['controls'][1]; print(c['status'], c['commit'] == '$c', c['detail'].endswith('is the requester'))")" \
	"fail True True"

# unsigned, and signed by a stranger's key
ssh-keygen -q -t ed25519 -N '' -C eve -f "$TMP/eve" </dev/null
git checkout -q -B unsigned legit
sed -i 's/^title: Cache warmup$/title: Changed by hand/' $f5
git add $f5
git -c user.name=alice -c user.email=alice@example.com commit -q -m "$(msg CHG-000005 edit assessed assessed)"
git checkout -q -B stranger legit
sed -i 's/^title: Cache warmup$/title: Changed by eve/' $f5
git add $f5
gitas alice "$TMP/eve" commit -q -S -m "$(msg CHG-000005 edit assessed assessed)"
for b in unsigned stranger; do
	git checkout -q $b
	"$CRQ" audit --format json -o "$TMP/$b.json" 2>/dev/null
	pj "$TMP/$b.json" "s = d['steps'][-1]; print(s['signature'], s['verdict'], s['rule'], s['key'])" >"$TMP/$b.v"
done
same "an unsigned commit: unsigned, refused, no key" "$(cat "$TMP/unsigned.v")" "unsigned refused unsigned None"
same "a stranger's key: unknown-key, refused, the stranger's fingerprint" "$(cat "$TMP/stranger.v")" \
	"unknown-key refused unknown-key $(ssh-keygen -lf "$TMP/eve.pub" | cut -d' ' -f2)"
schema_ok "$TMP/stranger.json" audit

# a hostile commit: an action with a terminal escape, a file that no
# longer parses at the tip
git checkout -q -B hostile legit
echo "junk: [" >>$f5
git add $f5
printf 'x\n\nCrq-Change: CHG-000005\nCrq-Action: ev\033[2Jil\nCrq-From: assessed\nCrq-To: assessed\n' >"$TMP/hmsg"
gitas alice "$(keyfor alice)" commit -q -S -F "$TMP/hmsg"
expect 1 "" "$CRQ" audit --change CHG-000005
grep -q "  ev?\[2Jil CHG-000005 " "$TMP/out" && ok "text: a control character from the history is shown as ?" ||
	not_ok "escape in text: $(grep -a ev "$TMP/out" | od -c | head -3)"
if grep -q "$(printf '\033')" "$TMP/out"; then not_ok "an escape reached the terminal"; else ok "no escape reaches the terminal"; fi
"$CRQ" audit --change CHG-000005 --format json >"$TMP/h.json" 2>/dev/null
same "a change whose file no longer parses: its steps, the last refused" \
	"$(pj "$TMP/h.json" "print(len(d['changes']), len(d['steps']), d['steps'][-1]['verdict'], d['steps'][-1]['action'] == 'ev\x1b[2Jil')")" \
	"0 4 refused True"

# a review dated back below its parent: verify refuses it for its time;
# the audit must not take it as a review on time
git checkout -q -B tmpreview legit
at 2026-11-08T20:00:00Z
as bob review CHG-000004 -m "on time?" >/dev/null
"$CRQ" audit --change CHG-000004 --format json -o "$TMP/ontime.json" 2>/dev/null
same "an emergency change reviewed by its deadline passes, proven by the review" \
	"$(pj "$TMP/ontime.json" "c = d['changes'][0]['controls'][3]; print(c['status'], c['commit'] == '$(git rev-parse HEAD)')")" \
	"pass True"
tree=$(git rev-parse HEAD^{tree})
git log -1 --format=%B >"$TMP/revmsg"
c=$(GIT_COMMITTER_DATE=2026-11-08T12:00:00Z GIT_AUTHOR_DATE=2026-11-08T12:00:00Z \
	gitas bob "$(keyfor bob)" commit-tree -S "$tree" -p legit -F "$TMP/revmsg")
git checkout -q -B backdated "$c"
expect 1 "" "$CRQ" audit --change CHG-000004 --format json -o "$TMP/bd.json"
same "a step refused for its time is refused in the pack, and proves no review" \
	"$(pj "$TMP/bd.json" "s = d['steps'][-1]; c = d['changes'][0]; print(s['action'], s['verdict'], s['rule'], c['verdict'], c['controls'][3]['status'], c['controls'][4]['status'])")" \
	"review refused time refused fail fail"

# a deployment of a commit the authorized change does not name
git checkout -q -B wrongref legit
at 2026-11-09T09:00:00Z
as alice set CHG-000005 "links=[{type: commit, ref: '$link'}]" >/dev/null
as bob approve CHG-000005 >/dev/null
as bob schedule CHG-000005 --start 2026-11-09T10:00:00Z --end 2026-11-09T12:00:00Z \
	--implementer bob@example.com >/dev/null
at 2026-11-09T10:05:00Z
as bob start CHG-000005 >/dev/null
as bob deploy CHG-000005 --ref 2222222222222222222222222222222222222222 >/dev/null
expect 1 "" "$CRQ" audit --change CHG-000005 --format json -o "$TMP/wr.json"
same "deployed-as-authorized fails on a commit the change does not name, proven by the deploy" \
	"$(pj "$TMP/wr.json" "c = d['changes'][0]['controls'][5]; print(c['status'], c['commit'] == '$(git rev-parse HEAD)', c['detail'].endswith('deployed a commit the authorized change does not name'))")" \
	"fail True True"

# an evil merge rewrites a change that passed every control: no control
# of it may pass any more
at 2026-11-09T21:00:00Z
git checkout -q -B code legit
echo code >code.txt
git add code.txt
git -c user.name=bob -c user.email=bob@example.com commit -q -m "code"
git checkout -q -B evil legit
git -c user.name=bob -c user.email=bob@example.com merge -q --no-ff --no-commit code >/dev/null 2>&1
sed -i 's/^implementation_plan: p$/implementation_plan: "   "/' changes/000/CHG-000001.yaml
git add changes/000/CHG-000001.yaml
gitas bob "$(keyfor bob)" commit -q -S -m "merge code"
expect 1 "" "$CRQ" audit --format json -o "$TMP/evil.json"
same "verify names the change the evil merge rewrote" \
	"$(pj "$TMP/evil.json" "print([(v['change'], v['rule']) for v in d['verify']['violations']])")" \
	"[('CHG-000001', 'evil-merge'), ('CHG-000004', 'review-overdue')]"
same "the rewritten change: refused, and its passes are now fails naming the merge" \
	"$(pj "$TMP/evil.json" "c = d['changes'][0]; print(c['verdict'], [x['status'] for x in c['controls']], c['controls'][0]['commit'] == '$(git rev-parse HEAD)', c['controls'][0]['detail'][:58])")" \
	"refused ['fail', 'fail', 'fail', 'n/a', 'fail', 'fail'] True not proven: crq verify refuses $(git rev-parse --short=11 HEAD) (evil-merge) of"
same "and the report leaves it out" \
	"$("$CRQ" report --format json 2>/dev/null | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["excluded"])')" \
	"['CHG-000001']"

# a step whose trailer names another change than the file it wrote is
# filed under the file's change
git checkout -q -B misfiled legit
sed -i 's/^title: Cache warmup$/title: Misfiled/' $f5
git add $f5
gitas bob "$(keyfor bob)" commit -q -S -m "$(msg CHG-000001 comment closed closed)"
"$CRQ" audit --change CHG-000005 --format json -o "$TMP/mis.json" 2>/dev/null
same "the tampering commit is in CHG-000005's trail, refused" \
	"$(pj "$TMP/mis.json" "s = d['steps'][-1]; print(s['commit'] == '$(git rev-parse HEAD)', s['change'], s['verdict'], d['changes'][0]['verdict'])")" \
	"True CHG-000005 refused refused"

# permissions: a new end keeps the grant's origin; a refused self-grant
# of admin makes nobody an admin
git checkout -q -B perms legit
at 2026-11-08T22:00:00Z
as alice role grant dave@example.com cab --until 2026-12-31 >/dev/null
"$CRQ" policy show --json | "$PY" -c '
import json, sys, yaml
p = json.load(sys.stdin)
p["version"] += 1
for m in p["members"]:
    if m["email"] == "dave@example.com":
        m["roles"].append("admin")
print(yaml.safe_dump(p, sort_keys=False), end="")' >.crq/policy.yaml
git add .crq/policy.yaml
at 2026-11-08T23:00:00Z
gitas dave "$(keyfor dave)" commit -q -S -m "$(printf 'policy: admin\n\nCrq-Action: policy\nCrq-Policy-Version: 9')"
expect 1 "crq verify refuses commits of this history" "$CRQ" audit --permissions --format json -o "$TMP/p2.json"
schema_ok "$TMP/p2.json" permissions
same "a new until keeps who granted it and when" \
	"$(pj "$TMP/p2.json" "print([(r['since'], r['granted_by'], r['until']) for m in d['members'] if m['email'] == 'dave@example.com' for r in m['roles'] if r['role'] == 'cab'])")" \
	"[('2026-11-02T09:00:00Z', 'alice@example.com', '2026-12-31')]"
same "the refused self-grant: shown refused, not proven, no admin" \
	"$(pj "$TMP/p2.json" "print(d['admins'], [(r['role'], r['proven']) for m in d['members'] if m['email'] == 'dave@example.com' for r in m['roles']], [e['verdict'] for e in d['events'] if e['role'] == 'admin' and e['member'] == 'dave@example.com'])")" \
	"['alice@example.com'] [('cab', True), ('admin', False)] ['refused']"
expect 1 "" "$CRQ" audit --permissions
grep -q "role admin  *NOT PROVEN: no step crq verify accepts granted it" "$TMP/out" && ok "text: the unproven grant says so" || not_ok "unproven text"
git checkout -q main
fsck_clean .
done_testing
