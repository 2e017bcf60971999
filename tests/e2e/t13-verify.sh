#!/bin/sh
# crq verify: a legitimate history verifies clean; hostile histories
# built with plain git, ssh-keygen and git hash-object are each refused,
# naming the commit and the rule.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role cab --role implementer >/dev/null
as alice member add carol@example.com --key "$(keyfor carol).pub" --name Carol \
	--role cab --role security >/dev/null
as alice new --title "Upgrade DB" --service db --impact high --urgency low \
	--set implementation_plan=a --set backout_plan=b --set test_plan=c >/dev/null
as alice submit CHG-000001 >/dev/null
as bob assess CHG-000001 --risk medium >/dev/null
as bob approve CHG-000001 --role change-manager >/dev/null
as carol approve CHG-000001 >/dev/null
as alice new --title "Second" --service web >/dev/null
expect 0 "" "$CRQ" verify
grep -q "8 commits checked, 0 violations" "$TMP/err" && ok "the legitimate history verifies clean (the trusted root is not re-checked)" || not_ok "clean summary: $(cat "$TMP/err")"
git branch -q legit
ssh-keygen -q -t ed25519 -N '' -C eve -f "$TMP/eve" </dev/null

f1=changes/000/CHG-000001.yaml
f2=changes/000/CHG-000002.yaml
case_() { git checkout -q -B "$1" legit; }

case_ unsigned
sed -i 's/^title: Second$/title: Changed by hand/' $f2
git add $f2
git -c user.name=alice -c user.email=alice@example.com commit -q -m "$(msg CHG-000002 edit draft draft)"
refused unsigned unsigned

case_ stranger
sed -i 's/^title: Second$/title: Changed by eve/' $f2
git add $f2
gitas alice "$TMP/eve" commit -q -S -m "$(msg CHG-000002 edit draft draft)"
refused stranger unknown-key

case_ spoof
sed -i 's/^title: Second$/title: Spoofed/' $f2
git add $f2
gitas alice "$(keyfor bob)" commit -q -S -m "$(msg CHG-000002 edit draft draft)"
refused spoof committer

case_ selfapprove
$PY - "$f2" <<'EOT'
import sys
p = sys.argv[1]
s = open(p).read().replace("created:", "approvals:\n  - by: alice@example.com\n    role: cab\n    decision: approved\n    at: '2026-11-23T10:00:00Z'\n    digest: sha256:" + "0" * 64 + "\ncreated:")
open(p, "w").write(s)
EOT
git add $f2
gitas alice "$(keyfor alice)" commit -q -S -m "$(msg CHG-000002 edit draft draft)"
refused selfapprove approvals

case_ forged
$PY - "$f2" <<'EOT'
import sys
p = sys.argv[1]
s = open(p).read().replace("created:", "approvals:\n  - by: carol@example.com\n    role: cab\n    decision: approved\n    at: '2026-11-23T10:00:00Z'\n    digest: sha256:" + "0" * 64 + "\ncreated:")
open(p, "w").write(s)
EOT
git add $f2
gitas bob "$(keyfor bob)" commit -q -S -m "$(msg CHG-000002 approve draft draft)"
refused forged illegal-action

case_ twofiles
sed -i 's/^title: Second$/title: Two/' $f2
sed -i 's/^title: Upgrade DB$/title: Two too/' $f1
git add $f1 $f2
gitas alice "$(keyfor alice)" commit -q -S -m "$(msg CHG-000002 edit draft draft)"
refused twofiles one-file

case_ trailers
sed -i 's/^title: Second$/title: Trailers/' $f2
git add $f2
gitas alice "$(keyfor alice)" commit -q -S -m "$(msg CHG-000002 edit draft submitted)"
refused trailers trailers

case_ skipstate
sed -i 's/^state: draft$/state: rejected/' $f2
git add $f2
gitas alice "$(keyfor alice)" commit -q -S -m "$(msg CHG-000002 edit draft rejected)"
refused skipstate illegal-transition

case_ symlink
git rm -q $f2
ln -s ../../.crq/policy.yaml $f2
git add $f2
gitas alice "$(keyfor alice)" commit -q -S -m "$(msg CHG-000002 edit draft draft)"
refused symlink file-mode

case_ comment_edits
sed -i 's/^implementation_plan: a$/implementation_plan: something else/' $f1
git add $f1
gitas alice "$(keyfor alice)" commit -q -S -m "$(msg CHG-000001 comment authorized authorized)"
refused comment_edits changed-field

case_ replay
# carol's approval of CHG-000001 copied onto CHG-000002 by carol herself
$PY - "$f1" "$f2" <<'EOT'
import sys, yaml
a = yaml.safe_load(open(sys.argv[1]))["approvals"][-1]
p = sys.argv[2]
s = open(p).read().replace("created:", "approvals:\n  - by: %s\n    role: %s\n    decision: approved\n    at: '%s'\n    digest: %s\ncreated:" % (a["by"], a["role"], a["at"], a["digest"]))
open(p, "w").write(s)
EOT
git add $f2
gitas carol "$(keyfor carol)" commit -q -S -m "$(msg CHG-000002 approve draft draft)"
refused replay illegal-action

case_ earlyauth
# a change pushed to authorized with an approve step the rules do not cover
as alice set CHG-000002 implementation_plan=a backout_plan=b test_plan=c >/dev/null
as alice submit CHG-000002 >/dev/null
as bob assess CHG-000002 --risk high --impact low >/dev/null
$PY - "$f2" <<'EOT'
import sys, yaml, hashlib
p = sys.argv[1]
s = open(p).read().replace("state: assessed", "state: authorized")
s = s.replace("created:", "approvals:\n  - by: bob@example.com\n    role: cab\n    decision: approved\n    at: '2026-11-23T10:00:00Z'\n    digest: sha256:" + "0" * 64 + "\ncreated:")
open(p, "w").write(s)
EOT
git add $f2
gitas bob "$(keyfor bob)" commit -q -S -m "$(msg CHG-000002 approve assessed authorized)"
refused earlyauth approvals

case_ replay2
# the same replay where an approval is legal: the digest gives it away
as alice set CHG-000002 implementation_plan=a backout_plan=b test_plan=c >/dev/null
as alice submit CHG-000002 >/dev/null
as bob assess CHG-000002 --risk medium --impact low >/dev/null
$PY - "$f1" "$f2" <<'EOT'
import sys, yaml
a = yaml.safe_load(open(sys.argv[1]))["approvals"][-1]
p = sys.argv[2]
s = open(p).read().replace("created:", "approvals:\n  - by: %s\n    role: %s\n    decision: approved\n    at: '%s'\n    digest: %s\ncreated:" % (a["by"], a["role"], a["at"], a["digest"]))
open(p, "w").write(s)
EOT
git add $f2
gitas carol "$(keyfor carol)" commit -q -S -m "$(msg CHG-000002 approve assessed assessed)"
refused replay2 approvals
# its legitimate twin: carol approves through crq
git checkout -q -B replay2ok replay2~1
expect 0 "" as carol approve CHG-000002
expect 0 "" "$CRQ" verify replay2ok

case_ afterapproval
sed -i 's/^implementation_plan: a$/implementation_plan: switched after approval/' $f1
git add $f1
gitas alice "$(keyfor alice)" commit -q -S -m "$(msg CHG-000001 edit authorized authorized)"
refused afterapproval illegal-action

case_ rollback
git show "$(git rev-list --max-parents=0 legit)":.crq/policy.yaml >.crq/policy.yaml
git add .crq/policy.yaml
gitas alice "$(keyfor alice)" commit -q -S -m "policy: back to the old one

Crq-Action: policy"
refused rollback policy-version

case_ norequired
# scheduled without a window
sed -i 's/^state: authorized$/state: scheduled/' $f1
git add $f1
gitas bob "$(keyfor bob)" commit -q -S -m "$(msg CHG-000001 schedule authorized scheduled)"
refused norequired required-field

case_ dupid
# a second "create" of an id that exists: the new content replaces it
sed -i 's/^title: Second$/title: Another second/' $f2
git add $f2
gitas alice "$(keyfor alice)" commit -q -S -m "$(msg CHG-000002 create draft draft | sed '/^Crq-From/d')"
refused dupid trailers

case_ escalate
$PY - <<'EOT'
p = ".crq/policy.yaml"
s = open(p).read().replace("      - change-manager\n      - cab\n      - implementer", "      - change-manager\n      - cab\n      - implementer\n      - admin", 1)
s = s.replace("version: 3", "version: 4")
open(p, "w").write(s)
EOT
git add .crq/policy.yaml
gitas bob "$(keyfor bob)" commit -q -S -m "policy: grant admin to bob

Crq-Action: policy"
refused escalate policy-admin

case_ noversion
sed -i 's/^  cab: change advisory board member$/  cab: the board/' .crq/policy.yaml
git add .crq/policy.yaml
gitas alice "$(keyfor alice)" commit -q -S -m "policy: quietly

Crq-Action: policy"
refused noversion policy-version

case_ twin
mkdir -p changes/001
cp $f2 changes/001/CHG-000002.yaml
git add changes/001/CHG-000002.yaml
gitas alice "$(keyfor alice)" commit -q -S -m "$(msg CHG-000002 edit draft draft)"
refused twin path

case_ big
$PY -c 'import sys; sys.stdout.write("title: x\ndescription: " + "y" * (1536 * 1024) + "\n")' >$f2
git add $f2
gitas alice "$(keyfor alice)" commit -q -S -m "$(msg CHG-000002 edit draft draft)"
refused big file-size

# separation of duties: bob edits, then an approval of his lands anyway
git checkout -q -B sod_x legit
as alice set CHG-000002 implementation_plan=a backout_plan=b test_plan=c >/dev/null
as alice submit CHG-000002 >/dev/null
as bob assess CHG-000002 --risk low --impact low >/dev/null
git checkout -q -B sod sod_x
as bob approve CHG-000002 >/dev/null
approve_commit=$(git rev-parse HEAD)
git checkout -q -B sod sod_x
# bob's edit that changes nothing the approval covers (only the time,
# written as crq would: the file's updated is the commit's time)
sed -i "s/^updated: .*/updated: '2026-11-23T10:00:01Z'/" $f2
git add $f2
GIT_COMMITTER_DATE=2026-11-23T10:00:01Z GIT_AUTHOR_DATE=2026-11-23T10:00:01Z \
	gitas bob "$(keyfor bob)" commit -q -S -m "$(msg CHG-000002 edit assessed assessed)"
git show "$approve_commit:$f2" >$f2
git add $f2
gitas bob "$(keyfor bob)" commit -q -S -C "$approve_commit"
# an edit that changes nothing is no step at all
refused sod nothing-to-change sod~1
# the same when the walk starts later (a trusted commit, a resumed run):
# the edits before it are read from the history
"$CRQ" verify --trust sod~1 sod >"$TMP/vout" 2>&1
grep -q "^$(git rev-parse sod) CHG-000002 separation: " "$TMP/vout" && ok "separation found across a later start" || not_ok "sod resumed: $(cat "$TMP/vout")"
# ... also when the first step after the start is someone else's and the
# editor's decision comes later
git checkout -q -B sod2 sod~1
as alice comment CHG-000002 -m "looks fine" >/dev/null
git show "$approve_commit:$f2" >$f2
git add $f2
gitas bob "$(keyfor bob)" commit -q -S -C "$approve_commit"
"$CRQ" verify --trust sod2~2 sod2 >"$TMP/vout" 2>&1
grep -q "^$(git rev-parse sod2) CHG-000002 separation: " "$TMP/vout" && ok "separation found when the decision comes after other steps" || not_ok "sod2 resumed: $(cat "$TMP/vout")"

# a removed member's key, back-dated to before the removal
case_ removed
as alice member remove carol@example.com >/dev/null
sed -i 's/^title: Second$/title: Carol was here/' $f2
git add $f2
GIT_COMMITTER_DATE=2026-11-20T10:00:00Z GIT_AUTHOR_DATE=2026-11-20T10:00:00Z \
	gitas carol "$(keyfor carol)" commit -q -S -m "$(msg CHG-000002 edit draft draft)"
refused removed unknown-key

# self-escalation in two steps: a non-admin grants himself admin, then uses it
case_ escalate2
sed -i '0,/      - implementer$/s//      - implementer\n      - admin/' .crq/policy.yaml
sed -i 's/^version: 3$/version: 4/' .crq/policy.yaml
git add .crq/policy.yaml
gitas bob "$(keyfor bob)" commit -q -S -m "policy: tidy

Crq-Action: policy"
first=$(git rev-parse HEAD)
sed -i 's/^version: 4$/version: 5/; s/^admin_threshold: 1$/admin_threshold: 1/' .crq/policy.yaml
sed -i 's/^  shard_size: 1000$/  shard_size: 999/' .crq/policy.yaml
git add .crq/policy.yaml
gitas bob "$(keyfor bob)" commit -q -S -m "policy: use it

Crq-Action: policy"
refused escalate2 policy-admin "$first"

# object surgery on the tip of the legitimate history
tipc=$(git rev-parse legit)
git cat-file commit "$tipc" >"$TMP/obj"
tamper() {
	new=$($PY - "$TMP/obj" "$1" <<'EOT' | git hash-object -t commit -w --stdin
import sys
raw = open(sys.argv[1], "rb").read()
head, _, body = raw.partition(b"\n\n")
lines = head.split(b"\n")
mode = sys.argv[2]
if mode == "payload":
    body = body.replace(b"Second", b"Sekond", 1)
elif mode == "moved":
    sig = [l for l in lines if l.startswith(b"gpgsig ") or l.startswith(b" ")]
    lines = [l for l in lines if not (l.startswith(b"gpgsig ") or l.startswith(b" "))]
    body = body + b"\n" + b"\n".join(sig) + b"\n"
elif mode == "junk":
    i = max(i for i, l in enumerate(lines) if l.startswith(b" -----END"))
    lines.insert(i + 1, b" junk")
elif mode == "dup":
    sig = [l for l in lines if l.startswith(b"gpgsig ") or l.startswith(b" ")]
    lines = lines + sig
elif mode == "rewrap":
    i0 = [i for i, l in enumerate(lines) if l.startswith(b"gpgsig ")][0]
    i1 = max(i for i, l in enumerate(lines) if l.startswith(b" -----END"))
    b64 = b"".join(l[1:] for l in lines[i0 + 1:i1])
    wrapped = [b" " + b64[j:j + 76] for j in range(0, len(b64), 76)]
    lines = lines[:i0 + 1] + wrapped + lines[i1:]
elif mode in ("reserved", "namespace"):
    import base64, struct
    i0 = [i for i, l in enumerate(lines) if l.startswith(b"gpgsig ")][0]
    i1 = max(i for i, l in enumerate(lines) if l.startswith(b" -----END"))
    blob = base64.b64decode(b"".join(l[1:] for l in lines[i0 + 1:i1]))
    def fields(b):
        out, p = [b[:6], b[6:10]], 10
        for _ in range(5):
            n = struct.unpack(">I", b[p:p + 4])[0]
            out.append(b[p + 4:p + 4 + n]); p += 4 + n
        return out
    magic, ver, pk, ns, res, alg, sig = fields(blob)
    if mode == "reserved":
        res = b"x"
    else:
        ns = b"file"
    s = lambda x: struct.pack(">I", len(x)) + x
    blob = magic + ver + s(pk) + s(ns) + s(res) + s(alg) + s(sig)
    b64 = base64.b64encode(blob)
    wrapped = [b" " + b64[j:j + 70] for j in range(0, len(b64), 70)]
    lines = lines[:i0 + 1] + wrapped + lines[i1:]
elif mode == "extra":
    lines.insert(1 + [i for i, l in enumerate(lines) if l.startswith(b"committer ")][0], b"encoding ISO-8859-1")
sys.stdout.buffer.write(b"\n".join(lines) + b"\n\n" + body)
EOT
)
	git update-ref "refs/heads/$1" "$new"
}
for m in payload moved junk dup rewrap extra reserved namespace; do tamper $m; done
refused payload bad-signature
refused moved unsigned
refused junk bad-signature
refused dup commit-format
refused rewrap bad-signature
refused extra commit-format
refused reserved bad-signature
refused namespace bad-signature
git checkout -q legit
"$CRQ" policy allowed-signers >"$TMP/as"
for m in junk dup rewrap reserved; do
	git -c gpg.ssh.allowedSignersFile="$TMP/as" verify-commit $m >/dev/null 2>&1 &&
		ok "stock git calls the $m variant Good; crq refuses it" || not_ok "git on $m"
done

# an evil merge: crq content that matches neither parent
git checkout -q -B evil2 legit
git checkout -q -b feature legit
git -c user.name=x -c user.email=x@example.com commit -q --allow-empty -m "code"
git checkout -q evil2
git -c user.name=alice -c user.email=alice@example.com merge -q --no-ff --no-commit feature 2>/dev/null
sed -i 's/^title: Second$/title: Evil/' $f2
git add $f2
git -c user.name=alice -c user.email=alice@example.com commit -q -m "merge feature"
refused evil2 evil-merge
# its legitimate twin: a plain merge of code verifies clean
git checkout -q -B goodmerge legit
git -c user.name=alice -c user.email=alice@example.com merge -q --no-ff -m "merge feature" feature
expect 0 "" "$CRQ" verify goodmerge
expect 0 "" "$CRQ" verify --json legit
same "verify --json of a clean history is []" "$(tr -d ' \n' <"$TMP/out")" "[]"
"$CRQ" verify --json unsigned >"$TMP/vj"
same "verify --json names commit, change, rule (python json)" "$($PY -c '
import json, sys
v = json.load(open(sys.argv[1]))[0]
print(v["change"], v["rule"], len(v["commit"]))' "$TMP/vj")" "CHG-000002 unsigned 40"
# what a step changed, as verify reads it (only the subtrees that
# differ), against git's own diff of the same commits
case_ nested
sed -i 's/^title: Second$/title: Nested/' $f2
mkdir -p docs/a/b
echo 1 >docs/a/b/one
echo 2 >docs/a/two
git add $f2 docs
gitas alice "$(keyfor alice)" commit -q -S -m "$(msg CHG-000002 edit draft draft)"
refused nested one-file
others=$(git diff --name-only HEAD^ HEAD | grep -vc '^changes/\|^\.crq/')
grep -q "this one $others other paths too" "$TMP/vout" && ok "verify counts the $others other paths git diff names" ||
	not_ok "other paths: git says $others: $(cat "$TMP/vout")"
case_ shardfile
git rm -q -r changes/000
mkdir -p changes
echo x >changes/000
git add changes/000
gitas alice "$(keyfor alice)" commit -q -S -m "$(msg CHG-000002 edit draft draft)"
"$CRQ" verify shardfile >"$TMP/vout" 2>&1
n=$(git diff --name-only HEAD^ HEAD | wc -l)
grep -q "$(git rev-parse HEAD) .* one-file: a crq step changes exactly one file, this one $n" "$TMP/vout" &&
	ok "a shard turned into a file: the $n paths git diff names, refused" ||
	not_ok "shard as a file ($n paths): $(cat "$TMP/vout")"
case_ codeonly
mkdir -p src/x
echo code >src/x/main.c
git add src
git -c user.name=x -c user.email=x@example.com commit -q -m "code only"
expect 0 "" "$CRQ" verify codeonly
git checkout -q legit
expect 128 "cannot resolve 'nope'" "$CRQ" verify nope
expect 129 "unknown option '--frob'" "$CRQ" verify --frob
done_testing
