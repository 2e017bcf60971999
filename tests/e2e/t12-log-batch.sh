#!/bin/sh
# crq log (the steps of a change from its commits) and crq batch (many
# commands in one process).
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
cat >"$TMP/cmds" <<'EOT'
# set up and submit a change in one process
new --title "Batch change" --service web
set CHG-000001 'implementation_plan=step one' "backout_plan=say \"undo\"" test_plan=t
submit CHG-000001 -m 'ready now'
comment CHG-000001 -m "second thoughts"
EOT
expect 0 "" "$CRQ" batch <"$TMP/cmds"
same "batch output: each command's stdout in order" "$(cat "$TMP/out")" "CHG-000001
CHG-000001: implementation_plan (none) -> step one, backout_plan (none) -> say \"undo\", test_plan (none) -> t
CHG-000001: draft -> submitted
CHG-000001: submitted -> submitted"
same "quoting: double quotes with escapes" "$(git cat-file blob HEAD:changes/000/CHG-000001.yaml | grep '^backout_plan')" \
	"backout_plan: say \"undo\""
same "four steps, four commits" "$(git log --format=%s | grep -c '^CHG-000001:')" "4"
printf 'comment CHG-000001 -m one\nsubmit CHG-000001\ncomment CHG-000001 -m never\n' >"$TMP/cmds2"
before=$(git rev-list --count HEAD)
expect 1 "stdin:2: stopped at 'submit' (exit 1)" "$CRQ" batch <"$TMP/cmds2"
same "steps before the failure stay, none after" "$(($(git rev-list --count HEAD) - before))" "1"
printf "comment CHG-000001 -m 'open\n" >"$TMP/cmds3"
expect 129 "stdin:1: unterminated quote" "$CRQ" batch <"$TMP/cmds3"
printf 'batch\n' >"$TMP/cmds4"
expect 129 "'batch' is not a command crq batch runs" "$CRQ" batch <"$TMP/cmds4"
expect 129 "reads its commands from stdin" "$CRQ" batch x

expect 0 "" "$CRQ" log CHG-000001
same "log: one line per step, oldest first, signatures good" "$(grep -c ' good$' "$TMP/out")" "5"
same "log shows actions in order" "$(grep ' good$' "$TMP/out" | awk '{print $3}' | tr '\n' ' ')" \
	"create edit submit comment comment "
expect 0 "" "$CRQ" log --json CHG-000001
same "log --json matches git (python json)" "$($PY -c '
import json, sys, subprocess
steps = json.load(open(sys.argv[1]))
git = subprocess.run(["git", "rev-list", "HEAD"], capture_output=True, text=True).stdout.split()
ours = [s["commit"] for s in steps]
print(all(c in git for c in ours), [s["action"] for s in steps][2], steps[2]["message"], steps[2]["from"], steps[2]["to"], all(s["signature"] == "good" for s in steps))' "$TMP/out")" \
	"True submit ready now draft submitted True"
expect 1 "no such change 'CHG-000009'" "$CRQ" log CHG-000009
verify_all .
# a step committed by hand, unsigned, and one signed by a stranger's key
git commit -q --allow-empty -m "CHG-000001: comment — x

Crq-Change: CHG-000001
Crq-Action: comment"
ssh-keygen -q -t ed25519 -N '' -C eve -f "$TMP/eve" </dev/null
git -c user.signingkey="$TMP/eve" commit -q -S --allow-empty -m "CHG-000001: comment — y

Crq-Change: CHG-000001
Crq-Action: comment"
expect 0 "" "$CRQ" log CHG-000001
same "hand-made steps are flagged" "$(tail -n 2 "$TMP/out" | awk '{print $NF}' | tr '\n' ' ')" "unsigned unknown-key "
expect 129 "which change?" "$CRQ" log
fsck_clean .

# crq batch keeps one repository handle: what it remembers of the branch
# (the policy) must follow commits made by others between its lines
cd "$TMP"
"$CRQ" init b >/dev/null
cd b
rm -f "$TMP/go"
{
	echo "new --title first"
	# wait until another process has changed the policy
	while [ ! -f "$TMP/go" ]; do sleep 0.05; done
	echo "comment CHG-000001 -m 'after the policy change'"
	echo "new --title second"
} | "$CRQ" batch >"$TMP/bout" 2>"$TMP/berr" &
bpid=$!
n=0
while [ "$(git rev-list --count HEAD)" -lt 2 ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
"$CRQ" role revoke alice@example.com change-manager >/dev/null &&
	"$CRQ" role revoke alice@example.com requester >/dev/null
"$CRQ" comment CHG-000001 -m "from outside" >/dev/null
touch "$TMP/go"
wait $bpid
same "batch sees the policy another process changed (exit)" "$?" 1
same "batch: the comment after the outside commits lands, the create is refused" \
	"$(git log --format=%s -3 | sed 's/ —.*//' | tr '\n' ' ')" \
	"CHG-000001: comment CHG-000001: comment policy: revoke requester from alice@example.com "
same "batch: refusal names the missing role" "$(grep -c 'may not create changes' "$TMP/berr")" "1"
# a policy change inside the batch applies to its next lines
printf '%s\n' "role grant alice@example.com requester" "new --title third" \
	"role revoke alice@example.com requester" "new --title fourth" >"$TMP/cmds5"
expect 1 "stdin:4: stopped at 'new' (exit 1)" "$CRQ" batch <"$TMP/cmds5"
same "batch: grant, create, revoke; the last create refused" "$(git log --format=%s -3 | sed 's/ —.*//' | tr '\n' ' ')" \
	"policy: revoke requester from alice@example.com CHG-000002: create policy: grant requester to alice@example.com "
check "crq verify is clean after the batches" "$CRQ" verify
verify_all .
fsck_clean .
done_testing
