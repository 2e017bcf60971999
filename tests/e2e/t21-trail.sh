#!/bin/sh
# The trail proves itself: hostile histories made with plain git, a
# member's key and crq itself, one per class of the invariant, each
# refused by crq verify naming the commit and the rule.  The honest
# twins of several of them verify clean.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role cab --role implementer --role reviewer >/dev/null
as alice member add carol@example.com --key "$(keyfor carol).pub" --name Carol \
	--role cab --role security --role ecab --role admin >/dev/null
as alice member add dave@example.com --key "$(keyfor dave).pub" --name Dave \
	--role requester --role implementer >/dev/null
# CHG-1: assessed high risk; CHG-2: a draft; CHG-3: submitted
as alice new --title "Upgrade DB" --service db --impact high --urgency low \
	--set implementation_plan=a --set backout_plan=b --set test_plan=c >/dev/null
as alice submit CHG-000001 >/dev/null
as bob assess CHG-000001 --risk high >/dev/null
as dave new --title "Second" --service web >/dev/null
as dave new --title "Third" --service web --set implementation_plan=a \
	--set backout_plan=b --set test_plan=c >/dev/null
as dave submit CHG-000003 >/dev/null
expect 0 "" "$CRQ" verify
git branch -q legit
ssh-keygen -q -t ed25519 -N '' -C eve -f "$TMP/eve" </dev/null

f1=changes/000/CHG-000001.yaml
f2=changes/000/CHG-000002.yaml
f3=changes/000/CHG-000003.yaml
case_() { git checkout -q -B "$1" "${2:-legit}"; }
# edit FILE PYTHON: apply a python expression on the text s
edit() {
	$PY - "$1" "$2" <<'EOT'
import sys
p, expr = sys.argv[1], sys.argv[2]
s = open(p).read()
s = eval(expr)
open(p, "w").write(s)
EOT
}

# -- steps that change no file are steps too --------------------------
case_ emptycomment
gitas eve "$TMP/eve" commit -q --allow-empty -m "$(msg CHG-000002 comment draft draft)"
refused emptycomment unsigned
case_ emptycomment2
gitas eve "$TMP/eve" commit -q -S --allow-empty -m "$(msg CHG-000002 comment draft draft)"
refused emptycomment2 unknown-key
# a code commit with crq trailers is a step, and not a legal one
case_ codetrailers
echo code >README
git add README
gitas alice "$(keyfor alice)" commit -q -S -m "$(msg CHG-000002 comment draft draft)"
refused codetrailers one-file
# an unknown or doubled Crq- trailer
case_ oddtrailer
gitas alice "$(keyfor alice)" commit -q -S --allow-empty -m "$(msg CHG-000002 comment draft draft)
crq-approved-by: carol@example.com"
refused oddtrailer trailers
# a crq step that carries code along
case_ stepcode
edit $f2 's.replace("title: Second", "title: Second!")'
echo code >README
git add $f2 README
gitas dave "$(keyfor dave)" commit -q -S -m "$(msg CHG-000002 edit draft draft)"
refused stepcode one-file

# -- roots and merges --------------------------------------------------
# an unrelated history with its own root and policy (eve admin), merged
# with a plain unsigned merge
case_ foreign
git checkout -q --orphan eve-root
edit .crq/policy.yaml "s.replace('members:', 'members:\n  - email: eve@example.com\n    name: Eve\n    roles: [admin, requester]\n    keys: [\'$(cat "$TMP/eve.pub" | cut -d" " -f1,2)\']', 1)"
git add -A
gitas eve "$TMP/eve" commit -q -S -m "crq: initialise change store"
root=$(git rev-parse HEAD)
git checkout -q foreign
git -c user.name=x -c user.email=x@example.com merge -q --allow-unrelated-histories -X theirs -m merge eve-root >/dev/null 2>&1
refused foreign root "$root"
# an evil merge inside a branch that is merged later
case_ evilinner
git checkout -q -b inner-a legit
echo a >a.txt; git add a.txt; git -c user.name=x -c user.email=x@example.com commit -q -m a
git checkout -q -b inner-b legit
echo b >b.txt; git add b.txt; git -c user.name=x -c user.email=x@example.com commit -q -m b
git -c user.name=x -c user.email=x@example.com merge -q --no-commit inner-a >/dev/null 2>&1
edit $f2 's.replace("title: Second", "title: Merged in")'
git add $f2
git -c user.name=x -c user.email=x@example.com commit -q -m "merge a"
inner=$(git rev-parse HEAD)
git checkout -q evilinner
git -c user.name=x -c user.email=x@example.com merge -q --no-ff -m "merge b" inner-b
refused evilinner evil-merge "$inner"
# both sides create the same id
case_ dup-a
as dave new --title "From a" >/dev/null
case_ dup-b
as dave new --title "From b" >/dev/null
git -c user.name=x -c user.email=x@example.com merge -q --no-ff -X ours -m merge dup-a >/dev/null 2>&1
refused dup-b both-sides
grep -q "both sides created 'changes/000/CHG-000004.yaml'" "$TMP/vout" && grep -q "^hint: run crq sync" "$TMP/vout" &&
	ok "the duplicate id names the file and points at crq sync" || not_ok "dup message: $(cat "$TMP/vout")"
# merge -s ours drops a rejection
case_ rej
as carol reject CHG-000003 -m no >/dev/null
case_ dropped
git -c user.name=x -c user.email=x@example.com merge -q -s ours -m "merge rej" rej
refused dropped both-sides
# an octopus that drops it too
case_ other
echo o >o.txt; git add o.txt; git -c user.name=x -c user.email=x@example.com commit -q -m o
case_ octopus
oct=$(git -c user.name=x -c user.email=x@example.com commit-tree -m octopus \
	-p legit -p rej -p other "$(git rev-parse legit^{tree})")
git reset -q --hard "$oct"
refused octopus both-sides
# the honest twin: the rejection merged as it is, an octopus with code
case_ honest
git -c user.name=x -c user.email=x@example.com merge -q --no-ff -m "merge" rej other >/dev/null 2>&1
expect 0 "" "$CRQ" verify honest
# a merge that carries Crq- trailers is not a step
case_ mergestep
git -c user.name=x -c user.email=x@example.com merge -q --no-ff -m "$(msg CHG-000003 comment submitted submitted)" other
refused mergestep merge-step

# -- judged where it lands ---------------------------------------------
# bob's step on an old branch, merged after bob was removed
case_ oldbranch
as bob comment CHG-000002 -m "from the old branch" >/dev/null
case_ landing-removed
as alice member remove bob@example.com >/dev/null
git -c user.name=x -c user.email=x@example.com merge -q --no-ff -m merge oldbranch
refused landing-removed landing
# a grant that expired between the step and the merge
case_ expiring
as alice role grant dave@example.com requester --until 2026-11-23 >/dev/null
git checkout -q -b expiring-side
as dave new --title "Made while it held" >/dev/null
git checkout -q expiring
GIT_COMMITTER_DATE=2026-11-25T10:00:00Z git -c user.name=x -c user.email=x@example.com merge -q --no-ff -m merge expiring-side
GIT_COMMITTER_DATE=2026-11-25T10:00:00Z "$CRQ" verify expiring >"$TMP/vout" 2>&1
grep -q "^$(git rev-parse expiring) CHG-000004 landing: .*no longer hold" "$TMP/vout" && ok "a step merged after its role expired is refused (landing)" || not_ok "expiring: $(cat "$TMP/vout")"
# the same merge on the day the grant still holds is fine
case_ expiring-ok expiring~1
git -c user.name=x -c user.email=x@example.com merge -q --no-ff -m merge expiring-side
expect 0 "" "$CRQ" verify expiring-ok

# -- content crq derives -----------------------------------------------
# a standard change whose template fields were overridden
case_ std
as dave new --template os-patch >/dev/null
git branch -q std-base
edit changes/000/CHG-000004.yaml 's.replace("risk: low", "risk: high").replace("backout_plan: Reinstall", "backout_plan: None. Reinstall")'
git add changes/000/CHG-000004.yaml
gitas dave "$(keyfor dave)" commit -q -S -m "$(msg CHG-000004 edit draft draft)"
refused std template
git checkout -q std-base
expect 1 "'risk' of a standard change comes from its template 'os-patch'" as dave set CHG-000004 risk=high
# risk deleted from an assessed high-risk change, then "authorized"
case_ norisk
as alice set CHG-000001 risk= >/dev/null
edit $f1 's.replace("state: assessed", "state: authorized")'
git add $f1
gitas bob "$(keyfor bob)" commit -q -S -m "$(msg CHG-000001 approve assessed authorized)"
refused norisk approvals
case_ norisk-pre norisk~1
# the rule high-risk-security still asks for its security approval
expect 1 "no open requirement for any of their roles
hint: still needed: 1 security" as bob approve CHG-000001
# mk4 [OLD NEW]...: a hand-made create of CHG-000004 from CHG-000002's
# text, with replacements
mk4() {
	$PY - "$f2" "$@" <<'EOT'
import sys
s = open(sys.argv[1]).read().replace("CHG-000002", "CHG-000004")
for a, b in zip(sys.argv[2::2], sys.argv[3::2]):
    s = s.replace(a, b)
open("changes/000/CHG-000004.yaml", "w").write(s)
EOT
	git add changes/000/CHG-000004.yaml
	gitas dave "$(keyfor dave)" commit -q -S -m "$(printf 'CHG-000004: create \342\200\224 x\n\nCrq-Change: CHG-000004\nCrq-Action: create\nCrq-To: draft\n')"
}
# review_due written at creation
case_ due
mk4 "title: Second" "title: Fourth
review_due: '2099-01-01T00:00:00Z'"
refused due derived-field
# a create that names someone else as requester
case_ requester
mk4 "requester: dave@example.com" "requester: alice@example.com"
refused requester derived-field
grep -q "'requester' is not what 'create' writes" "$TMP/vout" && ok "names the requester" || not_ok "requester: $(cat "$TMP/vout")"
# the honest twin of that create verifies clean
case_ requester-ok
mk4
expect 0 "" "$CRQ" verify requester-ok
# a hand-made huge id
case_ hugeid
mkdir -p changes/999
sed "s/CHG-000002/CHG-999999/" $f2 >changes/999/CHG-999999.yaml
git add changes/999/CHG-999999.yaml
gitas dave "$(keyfor dave)" commit -q -S -m "$(printf 'CHG-999999: create \342\200\224 x\n\nCrq-Change: CHG-999999\nCrq-Action: create\nCrq-To: draft\n')"
refused hugeid id

# -- guards at the step's time -----------------------------------------
case_ freeze
as alice set CHG-000002 implementation_plan=a backout_plan=b test_plan=c >/dev/null
as dave submit CHG-000002 >/dev/null
as bob assess CHG-000002 --risk low --impact low >/dev/null
as bob approve CHG-000002 >/dev/null
as bob schedule CHG-000002 --start 2026-11-30T01:00:00Z --end 2026-11-30T02:00:00Z >/dev/null
git branch -q freeze-scheduled
"$CRQ" policy show --json | $PY -c '
import json, sys, yaml
p = json.load(sys.stdin)
p["freeze"] = [{"name": "hands off", "start": "2026-11-29T00:00:00Z",
	"end": "2026-12-01T00:00:00Z", "services": ["web"]}]
print(yaml.safe_dump(p, sort_keys=False), end="")' >"$TMP/freeze.yaml"
expect 0 "" as alice policy apply "$TMP/freeze.yaml"
# inside the window (in-window), which is inside the freeze
export GIT_COMMITTER_DATE="2026-11-30T01:05:00Z" GIT_AUTHOR_DATE="2026-11-30T01:05:00Z"
expect 1 "overlaps the freeze 'hands off'" as bob start CHG-000002
edit $f2 's.replace("state: scheduled", "state: implementing")'
git add $f2
gitas bob "$(keyfor bob)" commit -q -S -m "$(msg CHG-000002 start scheduled implementing)"
refused freeze no-freeze
export GIT_COMMITTER_DATE="2026-11-23T10:00:00Z" GIT_AUTHOR_DATE="2026-11-23T10:00:00Z"
# schedule into the freeze, by hand
case_ freeze2 freeze
git reset -q --hard freeze~1
edit $f2 's.replace("2026-11-30T01:00:00Z", "2026-11-29T01:00:00Z")'
git add $f2
gitas bob "$(keyfor bob)" commit -q -S -m "$(msg CHG-000002 schedule scheduled scheduled)"
refused freeze2 no-freeze
# a review that claims an earlier time
case_ review freeze-scheduled
export GIT_COMMITTER_DATE="2026-11-30T01:05:00Z" GIT_AUTHOR_DATE="2026-11-30T01:05:00Z"
as bob start CHG-000002 >/dev/null
as bob complete CHG-000002 --close-code successful >/dev/null
as bob review CHG-000002 -m "went well" >/dev/null
git branch -q review-ok
git reset -q --hard HEAD~1
as bob review CHG-000002 -m "went well" >/dev/null
$PY - "$f2" <<'EOT'
import sys, re
p = sys.argv[1]
s = open(p).read()
head, _, tail = s.partition("\nreview:\n")
tail = re.sub(r"^(  at: '?)2026-11-30", r"\g<1>2026-11-29", tail, count=1, flags=re.M)
open(p, "w").write(head + "\nreview:\n" + tail)
EOT
git add $f2
gitas bob "$(keyfor bob)" commit -q --amend --no-edit -S
refused review derived-field
expect 0 "" "$CRQ" verify review-ok

# -- time ---------------------------------------------------------------
case_ future
GIT_COMMITTER_DATE=2099-01-01T00:00:00Z GIT_AUTHOR_DATE=2099-01-01T00:00:00Z \
	as dave comment CHG-000002 -m "from the future" >/dev/null
refused future time
# crq never writes a time before its parent's
GIT_COMMITTER_DATE=2026-11-23T10:00:00Z as dave comment CHG-000002 -m "now" >/dev/null
same "crq writes no time before its parent's" "$(git log -1 --format=%ct)" "$(git log -1 --format=%ct HEAD~1)"
case_ backwards
echo x >x.txt; git add x.txt
GIT_COMMITTER_DATE=2026-11-25T00:00:00Z git -c user.name=x -c user.email=x@example.com commit -q -m later
edit $f2 's.replace("title: Second", "title: Back")'
git add $f2
GIT_COMMITTER_DATE=2026-11-23T10:00:00Z GIT_AUTHOR_DATE=2026-11-23T10:00:00Z \
	gitas dave "$(keyfor dave)" commit -q -S -m "$(msg CHG-000002 edit draft draft)"
refused backwards time

# -- who --------------------------------------------------------------
# the author field names someone else than the signer
case_ author
edit $f2 's.replace("title: Second", "title: By whom")'
git add $f2
git -c user.name=dave -c user.email=dave@example.com -c gpg.format=ssh \
	-c user.signingkey="$(keyfor dave)" commit -q -S \
	--author "Carol <carol@example.com>" -m "$(msg CHG-000002 edit draft draft)"
refused author committer
# a policy proposal that lists approvals the other admins never signed
case_ threshold
"$CRQ" policy show --json | $PY -c '
import json, sys, yaml
p = json.load(sys.stdin)
p["admin_threshold"] = 2
print(yaml.safe_dump(p, sort_keys=False), end="")' >"$TMP/t2.yaml"
expect 0 "" as alice policy apply "$TMP/t2.yaml"
git branch -q threshold-base
expect 0 "" as alice role grant dave@example.com cab
$PY - <<'EOT'
import re
p = ".crq/policy.yaml"
s = open(p).read()
head, _, tail = s.partition("\npending:\n")
tail = re.sub(r"^(\s*)- alice@example.com$", r"\g<0>\n\g<1>- carol@example.com", tail, count=1, flags=re.M)
open(p, "w").write(head + "\npending:\n" + tail)
EOT
git add .crq/policy.yaml
gitas alice "$(keyfor alice)" commit -q -S --amend --no-edit
same "the proposal now lists carol's approval" \
	"$(git show HEAD:.crq/policy.yaml | $PY -c 'import sys, yaml; print(yaml.safe_load(sys.stdin)["pending"]["approvals"])')" \
	"['alice@example.com', 'carol@example.com']"
refused threshold policy-proposal
# ... and one that puts itself in force at once
case_ threshold2 threshold-base
$PY - <<'EOT'
import yaml
p = ".crq/policy.yaml"
s = open(p).read()
s = s.replace("      - implementer\n    keys:", "      - implementer\n      - admin\n    keys:", 1)
import re
s = re.sub(r"^version: (\d+)$", lambda m: "version: %d" % (int(m.group(1)) + 1), s, flags=re.M)
open(p, "w").write(s)
EOT
git add .crq/policy.yaml
gitas alice "$(keyfor alice)" commit -q -S -m "policy: grant admin

Crq-Action: policy
Crq-Policy-Version: $(sed -n 's/^version: //p' .crq/policy.yaml)"
refused threshold2 policy-admins

# -- found by trying as an attacker ------------------------------------
# the store layout cannot change: a new shard size would give one id two
# paths, one under each side's policy
case_ layout
"$CRQ" policy show --json | $PY -c '
import json, sys, yaml
p = json.load(sys.stdin)
p["store"]["shard_size"] = 10
print(yaml.safe_dump(p, sort_keys=False), end="")' >"$TMP/layout.yaml"
expect 1 "the store layout (store.prefix, store.shard_size) cannot change" as alice policy apply "$TMP/layout.yaml"
sed -i 's/^  shard_size: 1000$/  shard_size: 10/' .crq/policy.yaml
$PY - <<'EOT'
import re
p = ".crq/policy.yaml"
s = open(p).read()
s = re.sub(r"^version: (\d+)$", lambda m: "version: %d" % (int(m.group(1)) + 1), s, flags=re.M)
open(p, "w").write(s)
EOT
git add .crq/policy.yaml
gitas alice "$(keyfor alice)" commit -q -S -m "policy: layout

Crq-Action: policy
Crq-Policy-Version: $(sed -n 's/^version: //p' .crq/policy.yaml)"
refused layout policy-store
# an editor may not approve after someone else approved: only a decision
# that moves the change on ends the round
case_ sod-round2
as bob assess CHG-000003 --risk medium --impact low >/dev/null
"$CRQ" policy show --json | $PY -c '
import json, sys, yaml
p = json.load(sys.stdin)
for m in p["members"]:
    if m["email"] == "bob@example.com":
        m["roles"].append("requester")
print(yaml.safe_dump(p, sort_keys=False), end="")' >"$TMP/bobreq.yaml"
expect 0 "" as alice policy apply "$TMP/bobreq.yaml"
expect 0 "" as bob set CHG-000003 implementation_plan=bob-changed
expect 0 "" as carol approve CHG-000003 --role cab
expect 1 "changed it since the last approval" as bob approve CHG-000003
# by hand, with the approval crq would have written
git checkout -q -B sod-round3 sod-round2
$PY - "$f3" <<'EOT'
import sys, re, hashlib, subprocess
p = sys.argv[1]
s = open(p).read()
dig = re.search(r"digest: (sha256:[0-9a-f]+)", s).group(1)
s = s.replace("  - by: carol@example.com", "  - by: carol@example.com", 1)
s = s.replace("created:", "", 0)
lines = s.split("\n")
i = max(k for k, l in enumerate(lines) if l.startswith("    digest:"))
lines[i + 1:i + 1] = ["  - by: bob@example.com", "    role: change-manager",
	"    decision: approved", "    at: '2026-11-23T10:00:00Z'",
	"    digest: " + dig]
s = "\n".join(lines).replace("state: assessed", "state: authorized")
open(p, "w").write(s)
EOT
git add $f3
gitas bob "$(keyfor bob)" commit -q -S -m "$(msg CHG-000003 approve assessed authorized)
Crq-Digest: $(sed -n 's/.*digest: //p' $f3 | tail -1)"
refused sod-round3 separation
# a merged-in step is judged again under the policy where it lands: its
# approval rules and freezes too
case_ land-rules
as bob assess CHG-000003 --risk low --impact low >/dev/null
git branch -q land-side
"$CRQ" policy show --json | $PY -c '
import json, sys, yaml
p = json.load(sys.stdin)
for r in p["approval_rules"]:
    if r["name"] == "low-risk":
        r["require"][0]["count"] = 2
print(yaml.safe_dump(p, sort_keys=False), end="")' >"$TMP/strict.yaml"
expect 0 "" as alice policy apply "$TMP/strict.yaml"
git checkout -q land-side
expect 0 "" as bob approve CHG-000003
git checkout -q land-rules
git -c user.name=x -c user.email=x@example.com merge -q --no-ff -m merge land-side
"$CRQ" verify land-rules >"$TMP/vout" 2>&1
grep -q "^$(git rev-parse land-rules) CHG-000003 landing: step .* ('approve') lands under a policy where it writes another 'state'" "$TMP/vout" &&
	ok "an approval merged in under stricter rules is refused where it lands" || not_ok "land-rules: $(cat "$TMP/vout")"
# the same when the walk resumes from a remembered tip, and in crq check
case_ land-cache
as bob assess CHG-000003 --risk low --impact low >/dev/null
git checkout -q -B main land-cache
expect 0 "" "$CRQ" verify
git checkout -q -B land-alt land-cache~1
expect 0 "" as alice member remove bob@example.com
git -c user.name=x -c user.email=x@example.com merge -q --no-ff -m merge land-cache
git checkout -q main
git merge -q --ff-only land-alt
expect 1 "" "$CRQ" verify
grep -q " - landing: step .* by bob@example.com lands where that key is no member's" "$TMP/out" &&
	ok "a resumed walk still judges what a merge lands" || not_ok "resumed: $(cat "$TMP/out")"
expect 1 "" "$CRQ" check --base land-cache --head land-alt
grep -q "landing: " "$TMP/out" && ok "crq check judges it too" || not_ok "check: $(cat "$TMP/out")"
git checkout -q -B main legit
rm -f .git/crq/verified
# replace refs: git would show another history than the one verified
git replace "$(git rev-parse legit~1)" "$(git rev-parse legit~2)"
expect 1 "" "$CRQ" verify legit
grep -q " - replace-ref: 1 replace ref" "$TMP/out" && ok "a replace ref is reported" || not_ok "replace: $(cat "$TMP/out")"
git replace -d "$(git rev-parse legit~1)"

# a merge that lands main's stricter policy on the branch with bob's
# approval, the branch first (git merge main on a pull request's branch,
# then a fast-forward): judged the same as the other way round
case_ swap-side
as bob assess CHG-000003 --risk low --impact low >/dev/null
git branch -q swap-base
as bob approve CHG-000003 >/dev/null
git checkout -q -B swap-main swap-base
expect 0 "" as alice member remove bob@example.com
git checkout -q swap-side
git -c user.name=x -c user.email=x@example.com merge -q --no-ff -m "merge main" swap-main
"$CRQ" verify swap-side >"$TMP/vout" 2>&1
grep -q "^$(git rev-parse swap-side) .* landing: step .* by bob@example.com lands where that key is no member's" "$TMP/vout" &&
	ok "a step lands on every parent that lacks it, whichever comes first" || not_ok "swap: $(cat "$TMP/vout")"
# ... and through an octopus whose last side removed him
git checkout -q -B swap-oct swap-base
git -c user.name=x -c user.email=x@example.com merge -q --no-ff -m octopus swap-side~1 swap-main >/dev/null 2>&1
same "octopus made" "$(git rev-list --parents -1 swap-oct | wc -w)" 4
"$CRQ" verify swap-oct >"$TMP/vout" 2>&1
grep -q "landing: step .* by bob@example.com" "$TMP/vout" && ok "an octopus lands each side on the others" || not_ok "octopus landing: $(cat "$TMP/vout")"
# a code commit dated back does not reset the clock for the next step
case_ backcode
GIT_COMMITTER_DATE=2026-11-25T10:00:00Z GIT_AUTHOR_DATE=2026-11-25T10:00:00Z \
	as dave comment CHG-000002 -m later >/dev/null
echo c >c.txt; git add c.txt
GIT_COMMITTER_DATE=2026-11-23T11:00:00Z git -c user.name=x -c user.email=x@example.com commit -q -m "dated back"
GIT_COMMITTER_DATE=2026-11-23T11:00:00Z GIT_AUTHOR_DATE=2026-11-23T11:00:00Z \
	as dave comment CHG-000002 -m again >/dev/null
same "crq writes no time before the last step, past a code commit" \
	"$(git log -1 --format=%cI)" "2026-11-25T10:00:00+00:00"
git reset -q --hard HEAD~1
edit $f2 's.replace("updated: \x272026-11-25T10:00:00Z\x27", "updated: \x272026-11-23T11:00:00Z\x27")'
git add $f2
GIT_COMMITTER_DATE=2026-11-23T11:00:00Z GIT_AUTHOR_DATE=2026-11-23T11:00:00Z \
	gitas dave "$(keyfor dave)" commit -q -S -m "$(msg CHG-000002 comment draft draft)"
GIT_COMMITTER_DATE=2026-11-25T10:00:00Z "$CRQ" verify backcode >"$TMP/vout" 2>&1
grep -q "^$(git rev-parse backcode) CHG-000002 time: committer time goes backwards" "$TMP/vout" &&
	ok "a step after a code commit dated back is refused" || not_ok "backcode: $(cat "$TMP/vout")"
# grafts, like replace refs, show git another history
git checkout -q legit
echo "$(git rev-parse legit) $(git rev-parse legit~2)" >.git/info/grafts
expect 1 "" "$CRQ" verify legit
grep -q "replace-ref: .*info/grafts makes git show another history" "$TMP/out" && ok "grafts are reported" || not_ok "grafts: $(cat "$TMP/out")"
rm .git/info/grafts

# -- trust from outside the history ------------------------------------
git checkout -q legit
expect 128 "no trusted root" env CI=true "$CRQ" -C "$TMP/s" verify
grep -q "hint: pass --trust" "$TMP/err" && ok "CI without an anchor says how to give one" || not_ok "ci hint: $(cat "$TMP/err")"
root=$(git rev-list --max-parents=0 legit)
expect 0 "" env CI=true "$CRQ" verify --trust "$root"
expect 0 "" env CI=true "$CRQ" -c crq.trust="$root" verify legit
expect 1 "" env CI=true "$CRQ" check --base legit --head future --trust "$root"
# the policy deleted and added again
case_ reroot
git rm -q .crq/policy.yaml
gitas alice "$(keyfor alice)" commit -q -S -m "policy: gone

Crq-Action: policy"
refused reroot policy-invalid
# annotated tags verify as their target
git tag -a -m "release" v1 legit
expect 0 "" "$CRQ" verify v1
git tag -a -m "bad" v2 emptycomment
expect 1 "" "$CRQ" verify v2
# a shallow clone cannot prove anything
git clone -q --depth 2 "file://$TMP/s" "$TMP/shallow" 2>/dev/null
expect 128 "fetch-depth: 0" "$CRQ" -C "$TMP/shallow" verify
# a key type verify does not accept is not accepted as a member key
ssh-keygen -q -t ecdsa -N '' -f "$TMP/ec" </dev/null
git checkout -q -B keys legit
expect 1 "not an ssh-ed25519 key" as alice member add frank@example.com --name Frank --key "$TMP/ec.pub"
git checkout -q legit
fsck_clean .
done_testing
