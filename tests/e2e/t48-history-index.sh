#!/bin/sh
# The history index (DESIGN §9, lib/history.c): crq log and the editors
# a decision must not come from read it instead of the whole history,
# and give the same bytes as the walk (CRQ_CACHE=off) over PR branches
# merged, code commits, hand-made commits with trailers, a tip reset
# back, a force-moved branch and two branches; new commits are indexed
# incrementally; a corrupt or half-lost index is detected, not trusted,
# and rebuilt.  Past the first 100 commits of a walk the index answers,
# so every change looked at here was made further back than that.
. "$(dirname "$0")/lib.sh"

entries() {	# entries of the history index of the repository here
	"$CRQ" cache status --json 2>/dev/null | $PY -c '
import json, sys
d = json.load(sys.stdin)
print(sum(t["entries"] for t in d["tables"] if t["name"].startswith("history-")))'
}
fp() { git rev-list --first-parent --count HEAD; }
# covered: whether the index holds every commit of the first-parent chain
# past the walk's first 100 (read from the table files, as cache.c
# writes them: a sorted file of 32-byte entries after a 1056-byte
# header, and an overlay of records)
covered() {
	git rev-list --first-parent --skip=100 HEAD | $PY -c '
import glob, os, struct, sys
keys = set()
names = glob.glob(".git/crq/cache/history-v2-*")
p = names[0][:-4] if names and names[0].endswith(".new") else (names or ["none"])[0]
if os.path.exists(p):
    b = open(p, "rb").read()
    n = struct.unpack("<Q", b[8:16])[0]
    keys.update(b[1056 + 32 * i:1076 + 32 * i].hex() for i in range(n))
if os.path.exists(p + ".new"):
    b = open(p + ".new", "rb").read()
    at = 8
    while at + 28 <= len(b):
        keys.add(b[at:at + 20].hex())
        at += 28 + struct.unpack("<I", b[at + 20:at + 24])[0]
want = sys.stdin.read().split()
print("all %d" % len(want) if all(c in keys for c in want) else
    "%d of %d" % (sum(c in keys for c in want), len(want)))'
}
# filler N ID: N comments on ID in one crq batch
filler() {
	i=0
	while [ $i -lt "$1" ]; do echo "comment $2 -m 'filler $i'"; i=$((i + 1)); done >"$TMP/batch"
	"$CRQ" batch <"$TMP/batch" >/dev/null || not_ok "filler batch failed"
}
# same_log "description" ID...: crq log, text and --json, gives the same
# stdout, stderr and exit code with the index (twice: the run that
# updates it, and one that only reads it) as without it
same_log() {
	d=$1
	shift
	bad=
	for id in "$@"; do
		for j in "" --json; do
			CRQ_CACHE=off "$CRQ" log $j "$id" >"$TMP/off" 2>"$TMP/offerr"
			a=$?
			for run in 1 2; do
				"$CRQ" log $j "$id" >"$TMP/on" 2>"$TMP/onerr"
				b=$?
				if [ $a != $b ] || ! cmp -s "$TMP/off" "$TMP/on" ||
				   ! cmp -s "$TMP/offerr" "$TMP/onerr"; then
					bad="$bad $id$j(run $run: exit $b, off $a)"
					diff "$TMP/off" "$TMP/on" | head -5 | sed 's/^/#   /'
					diff "$TMP/offerr" "$TMP/onerr" | head -5 | sed 's/^/#   /'
				fi
			done
		done
	done
	if [ -z "$bad" ]; then
		ok "$d: the same log with the index as without"
	else
		not_ok "$d:$bad"
	fi
}
# same_act "description" WHO ARGS...: a step gives the same answer with
# the index as without (each in a copy of the store: the same exit code,
# messages and resulting tree); then taken here
same_act() {
	d=$1
	shift
	rm -rf "$TMP/a-off" "$TMP/a-on"
	cp -a . "$TMP/a-off"
	cp -a . "$TMP/a-on"
	(cd "$TMP/a-off" && CRQ_CACHE=off as "$@" >"$TMP/off" 2>"$TMP/offerr"; echo $? >"$TMP/offrc")
	(cd "$TMP/a-on" && as "$@" >"$TMP/on" 2>"$TMP/onerr"; echo $? >"$TMP/onrc")
	if cmp -s "$TMP/offrc" "$TMP/onrc" && cmp -s "$TMP/off" "$TMP/on" &&
	   cmp -s "$TMP/offerr" "$TMP/onerr" &&
	   [ "$(git -C "$TMP/a-off" rev-parse HEAD^{tree})" = "$(git -C "$TMP/a-on" rev-parse HEAD^{tree})" ]; then
		ok "$d: the same answer with the index as without (exit $(cat "$TMP/onrc"))"
	else
		not_ok "$d: exit $(cat "$TMP/onrc"), off $(cat "$TMP/offrc")"
		sed 's/^/#   on: /' "$TMP/onerr"
		sed 's/^/#   off: /' "$TMP/offerr"
	fi
	as "$@" >/dev/null 2>&1
}
# flip FILE OFFSET...: flip a byte of FILE at each offset (negative:
# from the end)
flip() {
	$PY - "$@" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
for o in sys.argv[2:]:
    b[int(o)] ^= 0x55
open(p, "wb").write(b)
EOF
}

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role cab >/dev/null
as alice member add carol@example.com --key "$(keyfor carol).pub" --name Carol \
	--role cab >/dev/null
as alice new --title "Upgrade DB" --service db \
	--set implementation_plan=a --set backout_plan=b --set test_plan=c >/dev/null
as alice new --title "Filler" >/dev/null
as alice new --title "Third" >/dev/null
as alice submit CHG-000001 >/dev/null
filler 130 CHG-000002

# ---- a long history: the index answers past the first 100 commits
same_log "a long history" CHG-000001 CHG-000002 CHG-000003 CHG-000009
same "the index holds the chain past the walk's first 100 commits" "$(entries)" "$(($(fp) - 100))"
same "... those commits" "$(covered)" "all $(($(fp) - 100))"
as alice comment CHG-000001 -m "new one" >/dev/null
filler 6 CHG-000003
n=$(entries)
same_log "seven new commits" CHG-000001 CHG-000003
same "... indexed incrementally: seven new entries" "$(($(entries) - n))" 7

# ---- code commits, hand-made commits with trailers (some that verify
# refuses: unsigned, a trailer twice), a second create
mkdir -p src
for i in 1 2 3; do
	echo "$i" >src/code.txt
	git add src/code.txt
	git -c commit.gpgsign=false commit -q -m "code $i"
done
git -c commit.gpgsign=false commit -q --allow-empty -m "$(msg CHG-000001 comment assessed assessed)"
git -c commit.gpgsign=false commit -q --allow-empty -m "CHG-000001: comment — twice

Crq-Change: CHG-000003
Crq-Change: CHG-000001
Crq-Action: comment"
git -c commit.gpgsign=false commit -q --allow-empty -m "CHG-000001: no action

Crq-Change: CHG-000001"
git -c commit.gpgsign=false commit -q --allow-empty -m "Merge-like words

Crq-Change: CHG-000001
Crq-Action: comment
Crq-Action: edit"
filler 110 CHG-000002
same_log "code and hand-made commits" CHG-000001 CHG-000003
git -c commit.gpgsign=false commit -q --allow-empty -m "$(msg CHG-000003 create draft draft)"
filler 105 CHG-000002
same_log "a second create ends the log there" CHG-000003 CHG-000001

# ---- PR branches merged: with a merge commit (the PR's steps are not
# on the first-parent chain) and fast-forward (they are)
git checkout -q -b pr1
as bob comment CHG-000001 -m "on pr1" >/dev/null
as bob comment CHG-000003 -m "on pr1" >/dev/null
git checkout -q main
as alice comment CHG-000002 -m "on main meanwhile" >/dev/null
git -c user.name=alice -c user.email=alice@example.com merge -q --no-ff -m "Merge pull request #1" pr1
git checkout -q -b pr2
as bob comment CHG-000001 -m "on pr2" >/dev/null
git checkout -q main
git merge -q --ff-only pr2
filler 105 CHG-000002
same_log "PR branches merged" CHG-000001 CHG-000003

# ---- the tip reset back, a force-moved branch, another branch
n=$(entries)
git reset -q --hard HEAD~40
same_log "the tip reset back" CHG-000001 CHG-000003
same "... costs no new entries" "$(entries)" "$n"
git reset -q --hard HEAD~80
as carol comment CHG-000001 -m "after the force move" >/dev/null
filler 101 CHG-000003
same_log "a force-moved branch" CHG-000001 CHG-000003
git checkout -q -b other HEAD~150
as bob comment CHG-000001 -m "on other" >/dev/null
filler 102 CHG-000002
same_log "another branch" CHG-000001 CHG-000003
git checkout -q main
same_log "back on main" CHG-000001 CHG-000003

# ---- the editors: an edit on a PR branch counts, whether the merge
# took its file or main's
as bob assess CHG-000001 --risk medium --impact low >/dev/null
git branch -q base
git checkout -q -b pr-edit
as bob set CHG-000001 description=by-bob >/dev/null
git checkout -q main
as alice comment CHG-000002 -m "main moves on" >/dev/null
git -c user.name=alice -c user.email=alice@example.com merge -q --no-ff -m "Merge pull request #3" pr-edit
filler 120 CHG-000002
same_act "bob edited it in a merged PR" bob approve CHG-000001
grep -q "bob@example.com may not approve CHG-000001: they changed it since the last approval" "$TMP/onerr" &&
	ok "... and is refused" || not_ok "bob: $(cat "$TMP/onerr")"
git checkout -q -B main-ours base
git checkout -q -b pr-lost
as bob set CHG-000001 description=lost >/dev/null
git checkout -q main-ours
as alice comment CHG-000002 -m "main moves on" >/dev/null
git -c user.name=alice -c user.email=alice@example.com merge -q --no-ff -s ours -m "Merge pull request #4" pr-lost
filler 120 CHG-000002
same_act "bob's edit lost by the merge" bob approve CHG-000001
# he edited the plan since the last approval, on a branch the merge
# then dropped: that is still an edit (DESIGN: anyone who edited since
# the last approval), and verify refuses such a merge anyway
grep -q "bob@example.com may not approve CHG-000001: they changed it since the last approval" "$TMP/onerr" &&
	ok "... still bars him" || not_ok "bob, lost edit: $(cat "$TMP/onrc") $(cat "$TMP/onerr")"
git checkout -q main
same_act "carol did not edit it" carol approve CHG-000001
same_log "the decisions" CHG-000001

# ---- the index is used: with old commits' objects gone (a loose one,
# or the pack crq batch wrote them in), the walk fails and the index
# still answers (in a copy)
rm -rf "$TMP/gone"
cp -a . "$TMP/gone"
"$CRQ" log CHG-000001 >"$TMP/want"
old=$(git log --first-parent --format='%H %s' | sed -n '150,$p' | grep -m1 ' CHG-000002: comment' | cut -d' ' -f1)
rm -f "$TMP/gone/.git/objects/$(echo "$old" | cut -c1-2)/$(echo "$old" | cut -c3-)"
for idx in "$TMP/gone/.git/objects/pack/"*.idx; do
	[ -f "$idx" ] && git show-index <"$idx" | grep -q " $old" &&
		rm -f "$idx" "${idx%.idx}.pack" "${idx%.idx}.rev"
done
(cd "$TMP/gone" && git cat-file -e "$old" 2>/dev/null) && not_ok "$old still there"
(cd "$TMP/gone" && CRQ_CACHE=off "$CRQ" log CHG-000001 >/dev/null 2>"$TMP/err")
grep -q "cannot read history: object not found" "$TMP/err" &&
	ok "without the index the log needs every commit" || not_ok "walk: $(cat "$TMP/err")"
(cd "$TMP/gone" && "$CRQ" log CHG-000001 >"$TMP/got" 2>&1)
cmp -s "$TMP/want" "$TMP/got" && ok "with it, only the change's own" || not_ok "index: $(head -3 "$TMP/got")"

# ---- corruption: flipped bytes in the sorted table and the overlay
tab=$(ls .git/crq/cache/history-v2-* | head -1)
tab=${tab%.new}
[ -s "$tab" ] && ok "the index is a sorted table ($(wc -c <"$tab") bytes)" || not_ok "no table: $(ls .git/crq/cache)"
as alice comment CHG-000003 -m "for the overlay" >/dev/null
filler 3 CHG-000002
same_log "before" CHG-000001
[ -s "$tab.new" ] && ok "the newest entries are in the overlay" || not_ok "no overlay: $(ls .git/crq/cache)"
n=$(entries)
cp "$tab" "$TMP/good"
cp "$tab.new" "$TMP/good.new"
size=$(wc -c <"$tab")
for where in 8 1030 1100 $((1056 + 32 * 100 + 5)) $((size / 2)) -3; do
	cp "$TMP/good" "$tab"
	cp "$TMP/good.new" "$tab.new"
	flip "$tab" $where
	same_log "a byte flipped in the table at $where" CHG-000001 CHG-000003
	same "... the index is rebuilt" "$(covered)" "all $(($(fp) - 100))"
done
for where in 3 40 -2; do
	cp "$TMP/good" "$tab"
	cp "$TMP/good.new" "$tab.new"
	flip "$tab.new" $where
	same_log "a byte flipped in the overlay at $where" CHG-000001 CHG-000003
	same "... the index is rebuilt" "$(covered)" "all $(($(fp) - 100))"
done
cp "$TMP/good" "$tab"
cp "$TMP/good.new" "$tab.new"
flip "$tab" 8
expect 1 "" "$CRQ" cache status
grep -q "history-v2-.*corrupt: dropped" "$TMP/out" && ok "cache status finds it" || not_ok "status: $(cat "$TMP/out")"
"$CRQ" log CHG-000001 >/dev/null

# ---- lost writes: the overlay gone, the table gone (the overlay left)
rm -f "$tab.new"
same_log "the overlay lost" CHG-000001 CHG-000003
same "... and indexed again" "$(covered)" "all $(($(fp) - 100))"
"$CRQ" log CHG-000003 >/dev/null
as alice comment CHG-000001 -m "one more" >/dev/null
filler 2 CHG-000002
"$CRQ" log CHG-000001 >/dev/null
[ -s "$tab.new" ] || not_ok "no overlay to keep"
rm -f "$tab"
filler 3 CHG-000002
same_log "the table lost, its overlay left, new commits" CHG-000001 CHG-000003
same "... and indexed again" "$(covered)" "all $(($(fp) - 100))"
# a small overlay on a table that goes: what is new cannot be indexed
# on the rest, which is indexed again (a chain of more than 512: a
# table is written whole)
[ "$(fp)" -gt 620 ] || filler $((620 - $(fp))) CHG-000002
"$CRQ" cache clear
"$CRQ" log CHG-000001 >/dev/null
filler 2 CHG-000002
"$CRQ" log CHG-000001 >/dev/null
[ -s "$tab" ] && [ -s "$tab.new" ] || not_ok "no table and overlay: $(ls .git/crq/cache)"
rm -f "$tab"
filler 40 CHG-000002
same_log "the table lost, a small overlay left, 40 new commits" CHG-000001
same "... and indexed again" "$(covered)" "all $(($(fp) - 100))"

# ---- parallel readers and writers of one index; off writes nothing
filler 20 CHG-000002
CRQ_CACHE=off "$CRQ" log --json CHG-000001 >"$TMP/want"
for k in 1 2 3 4 5 6; do
	( "$CRQ" log --json CHG-000001 >"$TMP/par.$k" 2>&1 || echo "fail $k" >>"$TMP/parfail" ) &
done
wait
bad=0
for k in 1 2 3 4 5 6; do cmp -s "$TMP/want" "$TMP/par.$k" || bad=$((bad + 1)); done
[ ! -e "$TMP/parfail" ] && [ $bad = 0 ] && ok "six parallel runs: the same log" || not_ok "parallel: $bad differ"
expect 0 "" "$CRQ" cache status
grep -q "corrupt" "$TMP/out" && not_ok "parallel writers corrupted the index" || ok "the index is whole after parallel writers"
same_log "after them" CHG-000001
"$CRQ" cache clear
CRQ_CACHE=off "$CRQ" log CHG-000001 >/dev/null
same "CRQ_CACHE=off writes no index" "$(ls .git/crq/cache 2>/dev/null | wc -l)" 0
fsck_clean .

# ---- random histories (git fast-import): code commits, steps, trailers
# twice or without an action, second creates, a side branch merged in;
# the log of every change at tips along main and on the side branch
cat >"$TMP/gen_history.py" <<'EOF'
import random, sys
random.seed(int(sys.argv[1]))
out = sys.stdout.buffer
ids = ["CHG-%06d" % i for i in range(1, 13)]
t, n = 1795000000, [0]
def commit(branch, msg, frm, merge=None, f=None):
    n[0] += 1
    out.write(b"commit refs/heads/%s\nmark :%d\n" % (branch.encode(), n[0]))
    out.write(b"committer Code <code@example.com> %d +0000\n" % (t + n[0]))
    out.write(b"data %d\n%s" % (len(msg), msg.encode()))
    out.write(b"from %s\n" % frm.encode())
    if merge:
        out.write(b"merge %s\n" % merge.encode())
    if f:
        d = str(n[0]).encode()
        out.write(b"M 100644 inline %s\ndata %d\n%s\n" % (f.encode(), len(d), d))
    return ":%d" % n[0]
def msg():
    r, c, d = random.random(), random.choice(ids), random.choice(ids)
    if r < 0.4: return "code\n"
    if r < 0.5: return "x\n\nCrq-Change: %s\nCrq-Change: %s\nCrq-Action: comment\n" % (c, d)
    if r < 0.55: return "x\n\nCrq-Change: %s\n" % c
    if r < 0.58: return "x\n\nCrq-Change: %s\nCrq-Action: create\n" % c
    return "%s: comment\n\nCrq-Change: %s\nCrq-Action: comment\nCrq-From: a\nCrq-To: b\n" % (c, c)
main, side = sys.argv[2], None
for i in range(1500):
    r = random.random()
    if r < 0.04 and not side:
        side = commit("side", msg(), main, f="side/%d" % i)
    elif r < 0.1 and side:
        side = commit("side", msg(), side)
    elif r < 0.13 and side:
        main, side = commit("main", random.choice(["Merge\n", msg()]), main, side), None
    else:
        main = commit("main", msg(), main, f="src/f" if r > 0.8 else None)
if side:
    commit("side", msg(), side)
EOF
cd "$TMP"
for seed in 1 2 3; do
	"$CRQ" init "r$seed" >/dev/null
	cd "r$seed"
	$PY "$TMP/gen_history.py" "$seed" "$(git rev-parse HEAD)" | git fast-import --quiet --force
	git reset -q --hard main
	[ "$(git rev-list --count side)" -gt 1000 ] || not_ok "random history $seed: not made"
	bad=
	for rev in main main~3 main~700 side main~1100 main; do
		git update-ref refs/heads/main "$(git rev-parse "$rev")"
		for i in 01 02 03 04 05 06 07 08 09 10 11 12; do
			CRQ_CACHE=off "$CRQ" log CHG-0000$i >"$TMP/off" 2>&1
			a=$?
			"$CRQ" log CHG-0000$i >"$TMP/on" 2>&1
			[ $? = $a ] && cmp -s "$TMP/off" "$TMP/on" || bad="$bad $rev:$i"
		done
	done
	[ -z "$bad" ] && ok "random history $seed ($(git rev-list --count side) commits): the same logs with the index as without" ||
		not_ok "random history $seed:$bad"
	cd "$TMP"
done
done_testing
