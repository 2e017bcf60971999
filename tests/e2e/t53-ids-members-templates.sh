#!/bin/sh
# Ids as people type them (42, chg-42, CHG-42 mean CHG-000042; stored
# ids stay full), crq member list, crq template list|show.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
"$CRQ" new --title "Patch web" --service web --risk low >/dev/null
"$CRQ" new --title "DB upgrade" --service db --risk high >/dev/null

# ---- abbreviated ids ----
"$CRQ" show CHG-000001 >"$TMP/full"
for id in 1 chg-1 CHG-1 Chg-000001 0001; do
	expect 0 "" "$CRQ" show "$id"
	same "show $id is show CHG-000001, byte for byte" \
		"$(cmp -s "$TMP/out" "$TMP/full" && echo same)" "same"
done
"$CRQ" log CHG-000001 >"$TMP/logfull"
expect 0 "" "$CRQ" log 1
same "log 1 is log CHG-000001" "$(cat "$TMP/out")" "$(cat "$TMP/logfull")"
check "log 1 lists the create" grep -q create "$TMP/out"
expect 0 "" "$CRQ" show --json 2
same "show --json 2 is CHG-000002" \
	"$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$TMP/out")" \
	"CHG-000002"
for bad in 0 chg-0 12abc CHG- chg-1x ABC-1 ' 1' 1.0; do
	"$CRQ" show "$bad" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ $rc = 1 ] && [ "$(wc -l <"$TMP/err")" = 1 ] &&
	   grep -qF "'$bad' is not a change id of this store" "$TMP/err"; then
		ok "show '$bad': exit 1, one line naming it"
	else
		not_ok "show '$bad': exit $rc"
		sed 's/^/#   /' "$TMP/err"
	fi
done
expect 1 "no such change '99999999999'" "$CRQ" show 99999999999
same "an unknown id: one line" "$(wc -l <"$TMP/err")" "1"
expect 1 "is not a change id" "$CRQ" show 1234567890123456789
"$CRQ" show -5 >"$TMP/out" 2>"$TMP/err"
rc=$?
if [ $rc = 1 ] || [ $rc = 129 ]; then
	ok "show -5 is refused ($rc): $(head -1 "$TMP/err")"
else
	not_ok "show -5 exited $rc"
fi

expect 0 "" "$CRQ" set 1 risk=medium
same "set 1: the commit names the full id" \
	"$(git log -1 --format=%B | sed -n 's/^Crq-Change: //p')" "CHG-000001"
same "set 1: the subject starts with the full id" \
	"$(git log -1 --format=%s | cut -d: -f1)" "CHG-000001"
same "set 1: the file keeps the full id" \
	"$(git show HEAD:changes/000/CHG-000001.yaml | sed -n 's/^id: //p')" \
	"CHG-000001"
same "set 1 changed CHG-000001" \
	"$(git show HEAD:changes/000/CHG-000001.yaml | sed -n 's/^risk: //p')" \
	"medium"
same "set 1 touched only CHG-000001's file" \
	"$(git show --format= --name-only HEAD)" "changes/000/CHG-000001.yaml"
expect 0 "" "$CRQ" comment chg-2 -m "looks fine"
same "comment chg-2: the commit names CHG-000002" \
	"$(git log -1 --format=%B | sed -n 's/^Crq-Change: //p')" "CHG-000002"

# an approval by abbreviated ids: the commits and the file carry CHG-000001
cp "$(keyfor bob).pub" "$TMP/bob.pub"
as alice member add bob@example.com --name Bob --role cab --role change-manager \
	--key "$TMP/bob.pub" >/dev/null
expect 0 "" as alice set CHG-1 implementation_plan=a backout_plan=b test_plan=c impact=low urgency=low
expect 0 "" as alice submit chg-1
expect 0 "" as bob assess 1 --risk low
expect 0 "" as bob approve Chg-1
same "approve chg-1: the commit names CHG-000001" \
	"$(git log -1 --format=%B | sed -n 's/^Crq-Change: //p')" "CHG-000001"
same "approve: the subject names CHG-000001" \
	"$(git log -1 --format=%s | cut -d: -f1)" "CHG-000001"
same "no commit names an abbreviated id" \
	"$(git log --format=%B | grep '^Crq-Change:' | grep -cv 'CHG-[0-9]\{6\}$')" "0"
same "the file's approval is stored with the full id" \
	"$(git show HEAD:changes/000/CHG-000001.yaml | sed -n 's/^id: //p')" "CHG-000001"
same "the approved change is the same file" \
	"$(git show --format= --name-only HEAD)" "changes/000/CHG-000001.yaml"
expect 0 "" "$CRQ" verify

# ---- crq member list ----
git show HEAD:.crq/policy.yaml >"$TMP/policy.yaml"
expect 0 "" "$CRQ" member list --json
same "member list --json: the e-mails of the policy (python yaml)" \
	"$($PY -c 'import json,sys; print([m["email"] for m in json.load(open(sys.argv[1]))])' "$TMP/out")" \
	"$($PY -c 'import yaml,sys; print([m["email"] for m in yaml.safe_load(open(sys.argv[1]))["members"]])' "$TMP/policy.yaml")"
same "member list --json: bob's name, roles and key type" \
	"$($PY -c 'import json,sys; m=[m for m in json.load(open(sys.argv[1])) if m["email"]=="bob@example.com"][0]; print(m["name"], [r["role"] for r in m["roles"]], [k["type"] for k in m["keys"]])' "$TMP/out")" \
	"Bob ['cab', 'change-manager'] ['ssh-ed25519']"
same "member list --json: the roles of each member as the policy has them" \
	"$($PY -c 'import json,sys; print([[r["role"] for r in m["roles"]] for m in json.load(open(sys.argv[1]))])' "$TMP/out")" \
	"$($PY -c 'import yaml,sys; print([[r if isinstance(r,str) else r["role"] for r in m["roles"]] for m in yaml.safe_load(open(sys.argv[1]))["members"]])' "$TMP/policy.yaml")"
expect 0 "" "$CRQ" member list
same "member list: one line per member" "$(wc -l <"$TMP/out" | tr -d ' ')" \
	"$($PY -c 'import yaml,sys; print(len(yaml.safe_load(open(sys.argv[1]))["members"]))' "$TMP/policy.yaml")"
bobfp=$(ssh-keygen -lf "$TMP/bob.pub" | cut -d' ' -f2)
same "member list: bob's line, his key's fingerprint as ssh-keygen -lf has it" \
	"$(grep '^bob@example.com ' "$TMP/out" | tr -s ' ')" "bob@example.com Bob cab,change-manager ssh-ed25519 $bobfp"
same "member list: the columns are aligned" \
	"$(awk '{ print index($0, $2) }' "$TMP/out" | sort -u | wc -l | tr -d ' ')" "1"
# every key's fingerprint, by ssh-keygen from the policy's own key lines;
# a member with two keys (carol), to show each is its own
ssh-keygen -q -t ed25519 -N '' -C carol2 -f "$TMP/carol2" </dev/null
as alice member add carol@example.com --name Carol --role cab \
	--key "$(keyfor carol).pub" >/dev/null
git show HEAD:.crq/policy.yaml | awk -v k="$(cut -d' ' -f1,2 "$TMP/carol2.pub")" '
	{ print } /^  - email: / { c = ($3 == "carol@example.com") }
	c && /^    keys:$/ { print "      - " k }' >"$TMP/policy.yaml"
check "policy apply: carol gets a second key" "$CRQ" policy apply "$TMP/policy.yaml"
git show HEAD:.crq/policy.yaml >"$TMP/policy.yaml"
$PY -c 'import yaml,sys
for m in yaml.safe_load(open(sys.argv[1]))["members"]:
    for k in m.get("keys", []):
        print(m["email"], k)' "$TMP/policy.yaml" >"$TMP/keylines"
same "carol has two keys in the policy" "$(grep -c '^carol@' "$TMP/keylines")" "2"
: >"$TMP/want-fp"
while read -r email type b64; do
	printf '%s %s\n' "$type" "$b64" >"$TMP/one.pub"
	printf '%s %s %s\n' "$email" "$type" "$(ssh-keygen -lf "$TMP/one.pub" | cut -d' ' -f2)" >>"$TMP/want-fp"
done <"$TMP/keylines"
expect 0 "" "$CRQ" member list --json
same "member list --json: each key's fingerprint is ssh-keygen -lf's" \
	"$($PY -c 'import json,sys
for m in json.load(open(sys.argv[1])):
    for k in m["keys"]:
        print(m["email"], k["type"], k["fingerprint"])' "$TMP/out")" "$(cat "$TMP/want-fp")"
same "member list --json: each key as the policy has it" \
	"$($PY -c 'import json,sys
for m in json.load(open(sys.argv[1])):
    for k in m["keys"]:
        print(m["email"], k["key"])' "$TMP/out")" "$(cat "$TMP/keylines")"
same "member list --json: the two fingerprints of carol differ" \
	"$($PY -c 'import json,sys; m=[m for m in json.load(open(sys.argv[1])) if m["email"]=="carol@example.com"][0]; print(len(set(k["fingerprint"] for k in m["keys"])))' "$TMP/out")" "2"
expect 0 "" "$CRQ" member list
same "member list: carol's keys, each with its fingerprint" \
	"$(grep '^carol@example.com ' "$TMP/out" | tr -s ' ' | cut -d' ' -f4-)" \
	"$(grep '^carol@' "$TMP/want-fp" | cut -d' ' -f2,3 | sed 's/$/,/' | tr '\n' ' ' | sed 's/, $//')"
expect 129 "unknown option '--yaml'" "$CRQ" member list --yaml
expect 129 "option '--json' given twice" "$CRQ" member list --json --json
expect 0 "" "$CRQ" member -h
grep -q "list \[--json\]" "$TMP/out" && ok "member -h names list" || not_ok "member -h lacks list"

# ---- crq template list|show ----
ls .crq/templates/*.yaml | sed 's,.*/,,; s,\.yaml$,,' | sort >"$TMP/want"
expect 0 "" "$CRQ" template list
same "template list: the files of .crq/templates" \
	"$(cut -d' ' -f1 "$TMP/out")" "$(cat "$TMP/want")"
expect 0 "" "$CRQ" template list --json
same "template list --json: the same names" \
	"$($PY -c 'import json,sys; print("\n".join(t["name"] for t in json.load(open(sys.argv[1]))))' "$TMP/out")" \
	"$(cat "$TMP/want")"
first=$(head -1 "$TMP/want")
expect 0 "" "$CRQ" template show "$first"
same "template show prints the file byte for byte" \
	"$(git show HEAD:.crq/templates/"$first".yaml | cmp -s - "$TMP/out" && echo same)" "same"
expect 1 "no such template 'nope'" "$CRQ" template show nope
expect 1 "bad template name '../x'" "$CRQ" template show ../x
expect 129 "which template?" "$CRQ" template show
expect 129 "unknown subcommand 'frob'" "$CRQ" template frob
expect 129 "list or show?" "$CRQ" template
expect 0 "" "$CRQ" template -h
grep -q "^usage: crq template list" "$TMP/out" && ok "template -h shows usage" || not_ok "template -h"
expect 0 "" "$CRQ" help
grep -q "template" "$TMP/out" && ok "crq help lists template" || not_ok "crq help lacks template"

fsck_clean .
done_testing
