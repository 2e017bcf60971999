#!/bin/sh
# Policy commands: every change an admin commit that bumps the version;
# refusals for non-admins, shared keys, unknown roles, losing the last
# admin; policy check on files; allowed-signers for git.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
cp "$(keyfor bob)" "$TMP/bob"; cp "$(keyfor bob).pub" "$TMP/bob.pub"
cp "$(keyfor carol)" "$TMP/carol"; cp "$(keyfor carol).pub" "$TMP/carol.pub"
version() { git cat-file blob HEAD:.crq/policy.yaml | sed -n 's/^version: //p'; }

same "a new store's policy is version 1" "$(version)" "1"
expect 0 "" as alice member add bob@example.com --name Bob --role cab --key "$TMP/bob.pub"
same "member add says what it did" "$(cat "$TMP/out")" "added member bob@example.com (Bob) with roles cab and a key (policy version 2)"
same "version bumped by one" "$(version)" "2"
same "commit subject and trailers" "$(git log -1 --format='%s|%(trailers:key=Crq-Action,key=Crq-Policy-Version,valueonly,separator=%x2C)')" \
	"policy: add member bob@example.com|policy,2"
same "one file changed" "$(git show --format= --name-only HEAD)" ".crq/policy.yaml"
same "member recorded (PyYAML)" "$(git cat-file blob HEAD:.crq/policy.yaml | $PY -c '
import sys, yaml
m = [m for m in yaml.safe_load(sys.stdin)["members"] if m["email"] == "bob@example.com"][0]
print(m["name"], m["roles"], m["keys"][0].split()[0])')" "Bob ['cab'] ssh-ed25519"
expect 0 "" as alice role grant bob@example.com implementer --until 2027-06-30
same "a grant says what it did" "$(cat "$TMP/out")" "granted implementer to bob@example.com until 2027-06-30 (policy version 3)"
expect 1 "nothing to change" as alice role grant bob@example.com implementer --until 2027-06-30
expect 1 "bob@example.com already holds cab: nothing to change" as alice role grant bob@example.com cab
expect 0 "" as alice role grant bob@example.com implementer
expect 0 "" as alice role revoke bob@example.com implementer
same "grants and revocations (PyYAML)" "$(git cat-file blob HEAD:.crq/policy.yaml | $PY -c '
import sys, yaml
print([m["roles"] for m in yaml.safe_load(sys.stdin)["members"] if m["email"] == "bob@example.com"][0])')" "['cab']"
same "version 5 after four changes (the refused ones made none)" "$(version)" "5"

before=$(state .)
expect 1 "bob@example.com may not change the policy: only its admins may" as bob member add x@example.com --name X
expect 1 "already belongs to 'bob@example.com': one key, one member" as alice member add carol@example.com --name Carol --key "$TMP/bob.pub"
expect 1 "role 'wizard' is not defined under roles" as alice member add carol@example.com --name Carol --role wizard
expect 1 "no member holds the admin role" as alice member remove alice@example.com
expect 1 "'bob@example.com' is already a member" as alice member add bob@example.com --name Bob
expect 1 "'zed@example.com' is not a member" as alice member remove zed@example.com
expect 1 "does not hold role 'security'" as alice role revoke bob@example.com security
expect 1 "cannot open '$TMP/none.pub'" as alice member add carol@example.com --name Carol --key "$TMP/none.pub"
expect 129 "a member needs a name" as alice member add carol@example.com
expect 129 "add or remove?" as alice member
expect 129 "which member and role?" as alice role grant bob@example.com
same "refused policy changes made no commit" "$(state .)" "$before"

expect 1 "'github' is not FORGE=NAME" as alice member add carol@example.com --name Carol --handle github
expect 0 "" as alice member add carol@example.com --name Carol --role security --key "$TMP/carol.pub" \
	--handle github=carol-gh --handle gitlab=carol
same "forge handles recorded (PyYAML)" "$(git cat-file blob HEAD:.crq/policy.yaml | $PY -c '
import sys, yaml
print([m.get("handles") for m in yaml.safe_load(sys.stdin)["members"] if m["email"] == "carol@example.com"][0])')" \
	"{'github': 'carol-gh', 'gitlab': 'carol'}"
expect 0 "" "$CRQ" policy allowed-signers
same "allowed-signers: one line per key" "$(cut -d' ' -f1,2,3 "$TMP/out")" \
	"alice@example.com namespaces=\"git\" ssh-ed25519
bob@example.com namespaces=\"git\" ssh-ed25519
carol@example.com namespaces=\"git\" ssh-ed25519"
# ssh-keygen accepts the file and finds bob's key in it
printf 'payload' >"$TMP/payload"
ssh-keygen -q -Y sign -n git -f "$TMP/bob" "$TMP/payload" 2>/dev/null
check "ssh-keygen verifies bob against crq's allowed-signers" \
	sh -c "ssh-keygen -Y verify -f '$TMP/out' -I bob@example.com -n git -s '$TMP/payload.sig' <'$TMP/payload'"
expect 0 "" "$CRQ" policy show --json
same "policy show --json (python json)" "$($PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["version"], len(d["members"]))' "$TMP/out")" "6 3"
expect 0 "" "$CRQ" policy check
git cat-file blob HEAD:.crq/policy.yaml | sed 's/^version: .*/version: 0/' >"$TMP/bad.yaml"
expect 1 "bad.yaml:3:10" "$CRQ" policy check "$TMP/bad.yaml"
git cat-file blob HEAD:.crq/policy.yaml | sed 's/- cab$/- wizard/' >"$TMP/role.yaml"
expect 1 "role 'wizard' is not defined under roles" "$CRQ" policy check "$TMP/role.yaml"
expect 129 "unknown subcommand 'frob'" "$CRQ" policy frob

# any policy edit: crq policy apply, by an admin, version + 1
expect 0 "" as alice role grant bob@example.com admin
same "threshold 1: in force at once" "$(version)" "7"
git cat-file blob HEAD:.crq/policy.yaml | sed 's/^admin_threshold: 1/admin_threshold: 2/' >"$TMP/two.yaml"
git cat-file blob HEAD:.crq/policy.yaml | sed 's/^admin_threshold: 1/admin_threshold: 3/' >"$TMP/three.yaml"
expect 1 "carol@example.com may not change the policy" as carol policy apply "$TMP/two.yaml"
expect 1 "role 'wizard' is not defined under roles" as alice policy apply "$TMP/role.yaml"
expect 1 "admin_threshold is 3 but only 2 members hold the admin role" as alice policy apply "$TMP/three.yaml"
expect 0 "" as alice policy apply "$TMP/two.yaml"
same "apply bumps the version" "$(version)" "8"
same "apply commit" "$(git log -1 --format=%s)" "policy: edit"

# threshold 2: a change is proposed, in force with a second admin
expect 0 "" as alice member remove carol@example.com
same "a proposal says so" "$(cat "$TMP/out")" "proposed: removed member carol@example.com (1 of 2 admins; in force when approved: crq policy approve)"
same "only proposed: the version stays" "$(version)" "8"
same "proposal commit" "$(git log -1 --format=%s)" "policy: propose remove member carol@example.com (1 of 2 admins)"
same "carol is still a member while it is pending" "$("$CRQ" policy allowed-signers | grep -c '^carol@')" "1"
before=$(state .)
expect 1 "a policy change is pending: 'remove member carol@example.com'" as alice role revoke bob@example.com cab
expect 1 "alice@example.com already approved the pending policy change" as alice policy approve
expect 1 "carol@example.com may not change the policy" as carol policy approve
same "refusals made no commit" "$(state .)" "$before"
expect 0 "" as bob policy approve
same "second admin puts it in force" "$(git log -1 --format=%s)" "policy: approve remove member carol@example.com (2 of 2 admins: in force)"
same "version 9, carol gone, nothing pending" "$("$CRQ" policy show --json | $PY -c '
import json, sys
p = json.load(sys.stdin)
print(p["version"], [m["email"] for m in p["members"]], "pending" in p)')" \
	"9 ['alice@example.com', 'bob@example.com'] False"
expect 0 "" as bob member add dan@example.com --name Dan
expect 0 "" as alice policy withdraw
same "withdrawn" "$(git log -1 --format=%s)" "policy: withdraw add member dan@example.com"
expect 1 "no policy change is pending" as alice policy approve
same "still version 9" "$(version)" "9"
verify_all .
fsck_clean .
done_testing
