#!/bin/sh
# The cache under .git/crq/cache (DESIGN §9): verify records the
# commits it found legal per trusted root and never checks them again,
# on any branch or revision; the pre-receive hook costs the pushed
# commits only; forged commits on top of cached history are still
# refused; corrupt, truncated and foreign cache files are detected and
# rebuilt, never trusted; parallel writers; crq cache status|clear; the
# same answers with the cache off.
. "$(dirname "$0")/lib.sh"

entries() {	# entries of the verdict table(s) in repository $1
	"$CRQ" -C "$1" cache status --json 2>/dev/null | $PY -c '
import json, sys
d = json.load(sys.stdin)
print(sum(t["entries"] for t in d["tables"] if t["name"].startswith("verdicts-")))'
}
checked() { sed -n 's/^\([0-9]*\) commits\{0,1\} checked.*/\1/p' "$TMP/err"; }

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role implementer >/dev/null
for i in 1 2 3; do as alice new --title "Change $i" >/dev/null; done

# ---- verify records, and never checks a recorded commit again
expect 0 "" "$CRQ" verify
same "first run checks every commit after the root" "$(checked)" "$(git rev-list --count HEAD^ 2>/dev/null)"
same "each verified commit is recorded" "$(entries .)" "$(git rev-list --count HEAD^)"
expect 0 "" "$CRQ" cache status
grep -q "verdicts-.* ok$" "$TMP/out" && ok "cache status lists the verdict table as ok" || not_ok "status: $(cat "$TMP/out")"
expect 0 "" "$CRQ" verify HEAD
same "verify REV of a verified commit checks nothing" "$(checked)" 0
expect 0 "" "$CRQ" verify HEAD~2
same "nor of an older one" "$(checked)" 0
git checkout -q -b side
for i in 1 2; do as alice comment CHG-000001 -m "side $i" >/dev/null; done
expect 0 "" "$CRQ" verify side
same "a branch costs its own commits" "$(checked)" 2
git checkout -q main
as alice comment CHG-000002 -m "main" >/dev/null
git merge -q --no-ff -m "Merge side" side
expect 0 "" "$CRQ" verify
same "the merge of a verified branch costs the merge and main's new step" "$(checked)" 2
expect 0 "" "$CRQ" verify side
same "the side branch again: nothing" "$(checked)" 0

# ---- forged commits on top of recorded history are still refused
before=$(entries .)
git checkout -q -b forged
printf 'x' >>changes/000/CHG-000001.yaml
git add -A
git -c commit.gpgsign=false commit -q -m "$(msg CHG-000001 edit draft draft)"
refused forged unsigned
as alice comment CHG-000002 -m "on the forged one" >/dev/null
"$CRQ" verify forged >"$TMP/vout" 2>"$TMP/verr"
same "a legal step after a forged one: still refused" "$?" 1
grep -q "^$(git rev-parse forged~1) .* unsigned: " "$TMP/vout" && ok "... naming the forged commit, every run" || not_ok "forged: $(cat "$TMP/vout")"
"$CRQ" verify forged >"$TMP/vout2" 2>&1
grep -q "^$(git rev-parse forged~1) .* unsigned: " "$TMP/vout2" && ok "a second run refuses it again" || not_ok "again: $(cat "$TMP/vout2")"
same "neither the forged commit nor the one after it is recorded" "$(entries .)" "$before"
git checkout -q main

# ---- the same answers with the cache off, and off writes nothing
for rev in main side forged main~3; do
	"$CRQ" verify "$rev" >"$TMP/on" 2>/dev/null; a=$?
	CRQ_CACHE=off "$CRQ" verify "$rev" >"$TMP/off" 2>/dev/null; b=$?
	"$CRQ" -c crq.cache=false verify "$rev" >"$TMP/cfg" 2>/dev/null; c=$?
	if [ "$a$b$c" = "$a$a$a" ] && cmp -s "$TMP/on" "$TMP/off" && cmp -s "$TMP/on" "$TMP/cfg"; then
		ok "verify $rev: the same answer with the cache on and off (exit $a)"
	else
		not_ok "verify $rev: on $a, off $b, config $c"; diff "$TMP/on" "$TMP/off" | sed 's/^/#   /'
	fi
done
rm -rf .git/crq/cache
CRQ_CACHE=off "$CRQ" verify >/dev/null 2>&1
same "CRQ_CACHE=off writes no cache" "$(ls .git/crq/cache 2>/dev/null | wc -l)" 0
"$CRQ" -c crq.cache=false cache status >"$TMP/out"
grep -q ": off" "$TMP/out" && ok "cache status says when the cache is off" || not_ok "off: $(cat "$TMP/out")"

# ---- crq cache clear: the next run checks everything and refills
"$CRQ" verify >/dev/null 2>&1
expect 0 "" "$CRQ" cache clear
same "clear removes the cache" "$(test -e .git/crq/cache && echo there || echo gone)" gone
expect 0 "" "$CRQ" verify
same "after clear, verify walks the whole history again" "$(checked)" "$(git rev-list --count main ^"$(cat .git/crq/trust)")"
same "... and records it" "$(entries .)" "$(checked)"
expect 0 "" "$CRQ" cache clear
expect 0 "" "$CRQ" cache clear
expect 129 "status or clear?" "$CRQ" cache
expect 129 "unknown subcommand 'purge'" "$CRQ" cache purge
expect 129 "unknown option '--json'" "$CRQ" cache clear --json
expect 129 "unexpected argument 'x'" "$CRQ" cache status x
(cd "$TMP" && expect 128 "" "$CRQ" cache status)

# ---- a history long enough for the sorted table (and its blocks)
i=0
while [ $i -lt 700 ]; do echo "comment CHG-00000$((i % 3 + 1)) -m 'c $i'"; i=$((i + 1)); done >"$TMP/batch"
"$CRQ" batch <"$TMP/batch" >/dev/null
expect 0 "" "$CRQ" verify
total=$(git rev-list --count main ^"$(cat .git/crq/trust)")
tab=$(ls .git/crq/cache/verdicts-* | grep -v '\.new$' | head -1)
[ -n "$tab" ] && [ -s "$tab" ] && ok "the verdicts went to a sorted table ($(wc -c <"$tab") bytes)" || not_ok "no sorted table: $(ls .git/crq/cache)"
same "all $total commits recorded" "$(entries .)" "$total"
expect 0 "" "$CRQ" verify HEAD~350
same "a revision deep in the table: nothing to check" "$(checked)" 0

# corruption: one byte flipped in the entries, in the middle
cp "$tab" "$TMP/good-table"
size=$(wc -c <"$tab")
$PY - "$tab" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[1056 + 32 * 300 + 3] ^= 0x40
open(p, "wb").write(b)
EOF
expect 1 "" "$CRQ" cache status
grep -q "corrupt: dropped" "$TMP/out" && ok "status finds the flipped byte" || not_ok "flip: $(cat "$TMP/out")"
same "the corrupt table is gone" "$(test -e "$tab" && echo there || echo gone)" gone
expect 0 "" "$CRQ" verify HEAD~350
same "verify without it checks from the root again" "$(checked)" "$(git rev-list --count HEAD~350 ^"$(cat .git/crq/trust)")"

# the same flip, found by a lookup (not by status): the walk is right
expect 0 "" "$CRQ" verify
cp "$TMP/good-table" "$tab"
rm -f "$tab.new"
$PY - "$tab" <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
for k in range(1056, len(b) - 8, 97):	# entries, block CRCs and values
    b[k] ^= 0xff
open(p, "wb").write(b)
EOF
expect 0 "" "$CRQ" verify HEAD~10
n=$(checked)
[ "$n" -gt 0 ] && ok "a table that fails its checksums is not trusted ($n checked)" || not_ok "trusted a corrupt table: $(cat "$TMP/err")"

# truncated, empty and foreign files
for how in truncate empty foreign header; do
	"$CRQ" cache clear
	"$CRQ" verify >/dev/null 2>&1
	tab=$(ls .git/crq/cache/verdicts-* | grep -v '\.new$' | head -1)
	case $how in
	truncate) $PY -c "import sys; p=sys.argv[1]; b=open(p,'rb').read(); open(p,'wb').write(b[:len(b)//2])" "$tab" ;;
	empty) : >"$tab" ;;
	foreign) head -c 40000 /dev/urandom >"$tab" ;;
	header) $PY -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[8]^=1; open(p,'wb').write(b)" "$tab" ;;
	esac
	expect 0 "" "$CRQ" verify HEAD~5
	same "a $how table is dropped: verify checks from the root" "$(checked)" "$(git rev-list --count HEAD~5 ^"$(cat .git/crq/trust)")"
	expect 0 "" "$CRQ" cache status
done

# the overlay: a flipped byte drops it; a torn one too
"$CRQ" verify >/dev/null 2>&1
as alice comment CHG-000001 -m "after the table" >/dev/null
as alice comment CHG-000002 -m "after the table" >/dev/null
expect 0 "" "$CRQ" verify
ovl=$(ls .git/crq/cache/verdicts-*.new | head -1)
[ -s "$ovl" ] && ok "the newest verdicts are in the overlay" || not_ok "no overlay: $(ls .git/crq/cache)"
$PY -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[20]^=1; open(p,'wb').write(b)" "$ovl"
expect 0 "" "$CRQ" verify
n=$(checked)
[ "$n" -ge 2 ] && ok "a flipped overlay is not trusted: its commits are checked again ($n)" || not_ok "flipped overlay: $n checked"
$PY -c "import sys; p=sys.argv[1]; b=open(p,'rb').read(); open(p,'wb').write(b[:-5])" "$ovl"
expect 0 "" "$CRQ" verify HEAD
n=$(checked)
[ "$n" -ge 2 ] && ok "a torn overlay is not trusted ($n)" || not_ok "torn overlay: $n checked"
expect 0 "" "$CRQ" verify HEAD
same "and is rebuilt" "$(checked)" 0

# ---- locks: a live writer's lock is respected, a crashed one's is not
lock="${ovl%.new}.lock"
touch "$lock"
as alice comment CHG-000003 -m "under a lock" >/dev/null
expect 0 "" "$CRQ" verify
expect 0 "" "$CRQ" verify
same "a held lock: nothing written, the answer the same" "$(checked)" 1
same "the lock is left to its holder" "$(test -e "$lock" && echo kept)" kept
touch -d '10 minutes ago' "$lock"
expect 0 "" "$CRQ" verify
expect 0 "" "$CRQ" verify
same "a stale lock (a writer killed) is taken over" "$(checked)" 0
same "and released" "$(test -e "$lock" && echo kept || echo gone)" gone

# ---- parallel processes reading and writing one table
"$CRQ" cache clear
i=0
while [ $i -lt 30 ]; do echo "comment CHG-000001 -m 'p $i'"; i=$((i + 1)); done | "$CRQ" batch >/dev/null
revs="HEAD HEAD~3 HEAD~7 HEAD~11 HEAD~200 HEAD~400 HEAD~600 HEAD~13"
for r in $revs; do
	( for k in 1 2 3; do "$CRQ" verify "$r" >"$TMP/par.$k.$(echo "$r" | tr '~' _)" 2>&1 || echo "fail $r" >>"$TMP/parfail"; done ) &
done
wait
[ ! -e "$TMP/parfail" ] && ok "24 parallel verify runs over one table all pass" || not_ok "parallel: $(cat "$TMP/parfail")"
expect 0 "" "$CRQ" cache status
grep -q "corrupt" "$TMP/out" && not_ok "parallel writers corrupted the table" || ok "the table is whole after parallel writers"
expect 0 "" "$CRQ" verify HEAD
same "and holds the walked history" "$(checked)" 0
ls .git/crq/cache | grep -q '\.tmp$\|\.lock$' && not_ok "left-over temporary files: $(ls .git/crq/cache)" || ok "no temporary files or locks left"

# ---- the pre-receive hook costs the pushed commits only
cd "$TMP"
git init -q --bare -b main server.git
"$CRQ" -C server.git hook install >/dev/null
cd s
git remote add origin "$TMP/server.git"
expect 0 "" git push -q origin main
n0=$(entries "$TMP/server.git")
same "the first push records its commits on the server" "$n0" "$(git rev-list --count main ^"$(git -C "$TMP/server.git" config crq.trust)")"
for i in 1 2 3; do as alice comment CHG-000001 -m "push $i" >/dev/null; done
expect 0 "" git push -q origin main
same "a push of 3 steps adds 3 verdicts" "$(entries "$TMP/server.git")" $((n0 + 3))
# a forged push onto the recorded history is still refused
git checkout -q -b hostile
printf 'y' >>changes/000/CHG-000002.yaml
git add -A
git -c commit.gpgsign=false commit -q -m "$(msg CHG-000002 edit draft draft)"
expect 1 "unsigned" git push origin hostile:main
same "the refused push changed nothing" "$(git -C "$TMP/server.git" rev-parse main)" "$(git rev-parse main)"
same "and recorded nothing" "$(entries "$TMP/server.git")" $((n0 + 3))
git checkout -q main
# the server's cache corrupted: the hook rebuilds it
for f in "$TMP"/server.git/crq/cache/verdicts-*; do head -c 100 /dev/urandom >"$f"; done
as alice comment CHG-000003 -m "after corruption" >/dev/null
expect 0 "" git push -q origin main
same "a push after corruption is verified from the root and recorded" "$(entries "$TMP/server.git")" "$(git rev-list --count main ^"$(git -C "$TMP/server.git" config crq.trust)")"

# ---- emergency reviews owed: kept per tip, updated from what changed
as alice member add erin@example.com --key "$(keyfor erin).pub" --name Erin \
	--role ecab --role implementer --role reviewer >/dev/null
for n in 4 5; do
	as alice new --title "Hotfix $n" --type emergency --set incident=INC-$n \
		--set implementation_plan=p --set backout_plan=b >/dev/null
	as alice submit CHG-00000$n >/dev/null
	as erin approve CHG-00000$n >/dev/null
	as erin start CHG-00000$n >/dev/null
	as erin complete CHG-00000$n --close-code successful >/dev/null
done
late="env GIT_COMMITTER_DATE=2026-11-27T00:00:00Z"
expect 1 "" $late "$CRQ" verify
grep -c "review-overdue" "$TMP/out" | grep -qx 2 && ok "two reviews owed" || not_ok "owed: $(cat "$TMP/out")"
expect 1 "" $late "$CRQ" verify
grep -c "review-overdue" "$TMP/out" | grep -qx 2 && ok "again, from the table kept for the tip" || not_ok "owed again: $(cat "$TMP/out")"
GIT_COMMITTER_DATE=2026-11-27T00:00:00Z GIT_AUTHOR_DATE=2026-11-27T00:00:00Z as erin review CHG-000004 -m late >/dev/null
expect 1 "" $late "$CRQ" verify
grep -q "CHG-000004 review-overdue" "$TMP/out" && not_ok "a done review still owed: $(cat "$TMP/out")" || ok "a review taken is no longer owed"
grep -q "CHG-000005 review-overdue: the emergency review was due" "$TMP/out" && ok "the other still is" || not_ok "owed 5: $(cat "$TMP/out")"
$late "$CRQ" verify >"$TMP/on" 2>/dev/null
CRQ_CACHE=off $late "$CRQ" verify >"$TMP/off" 2>/dev/null
cmp -s "$TMP/on" "$TMP/off" && ok "owed reviews: the same answer without the cache" || not_ok "owed differ: $(diff "$TMP/on" "$TMP/off")"
# at the default clock (before the deadline) nothing is owed yet, and
# the review dated later is in this clock's future: recorded or not
expect 1 "" "$CRQ" verify
same "before the deadline nothing is owed yet" "$(grep -c review-overdue "$TMP/out")" 0
grep -q "^$(git rev-parse HEAD) CHG-000004 time: committed in the future" "$TMP/out" && ok "the later review is in this clock's future, though recorded" || not_ok "early clock: $(cat "$TMP/out")"
CRQ_CACHE=off "$CRQ" verify >"$TMP/off" 2>/dev/null
cmp -s "$TMP/out" "$TMP/off" && ok "... as without the cache" || not_ok "early clock differs: $(diff "$TMP/out" "$TMP/off")"

# ---- a walk resumed from the remembered tip sees the clock as the whole
# walk does: a code commit dated back is the tip, the step after it is
# dated before the step before it
cd "$TMP"
at() { d=$1; shift; GIT_COMMITTER_DATE=$d GIT_AUTHOR_DATE=$d "$@"; }
at 2026-11-01T00:00:00Z "$CRQ" init hw >/dev/null
cd hw
at 2026-11-02T00:00:00Z as alice new --title "Clock" >/dev/null
at 2026-11-20T00:00:00Z as alice comment CHG-000001 -m late >/dev/null
echo code >code.txt
git add code.txt
at 2026-11-10T00:00:00Z git -c commit.gpgsign=false commit -q -m "code, dated back"
for mode in off on; do
	rm -rf .git/crq/cache .git/crq/verified .git/crq/verified-root
	expect 0 "" env CRQ_CACHE=$mode "$CRQ" verify
done
grep -q "^$(git rev-parse HEAD) [0-9]" .git/crq/verified && ok "the remembered tip keeps its high-water time" || not_ok "verified: $(cat .git/crq/verified)"
# crq itself dates a step after the ones under it: this one is by hand
sed -i 's/^title: .*/title: Clock, dated back/' changes/000/CHG-000001.yaml
git add changes
at 2026-11-15T00:00:00Z gitas alice "$(keyfor alice)" commit -q -S -m "$(msg CHG-000001 edit draft draft)"
for mode in off on; do
	env CRQ_CACHE=$mode "$CRQ" verify >"$TMP/hw-$mode" 2>/dev/null
	same "cache $mode: the resumed walk refuses the back-dated step" "$?" 1
	grep -q "^$(git rev-parse HEAD) .*committer time goes backwards" "$TMP/hw-$mode" && ok "... naming it ($mode)" || not_ok "hw $mode: $(cat "$TMP/hw-$mode")"
done
rm -f .git/crq/verified
CRQ_CACHE=off "$CRQ" verify >"$TMP/hw-full" 2>"$TMP/err"
full=$(checked)
cmp -s "$TMP/hw-off" "$TMP/hw-full" && ok "the resumed walk says what the full walk says" || not_ok "resumed vs full: $(diff "$TMP/hw-off" "$TMP/hw-full")"
printf '%s\n' "$(git rev-parse HEAD~1)" >.git/crq/verified
cp .git/crq/verified-root "$TMP/vroot" 2>/dev/null || git rev-list --max-parents=0 HEAD >.git/crq/verified-root
CRQ_CACHE=off "$CRQ" verify >/dev/null 2>"$TMP/err"
same "a remembered tip without its time (an older crq's) is not resumed from" "$(checked)" "$full"
cd "$TMP/s"

# ---- verdicts and remembered tips hold for the rules and clock that
# made them: a step verified under a later clock is "in the future"
# for an earlier one, and other schemas (CRQ_DATADIR) judge again
cd "$TMP"
at 2026-11-01T00:00:00Z "$CRQ" init fut >/dev/null
cd fut
at 2026-11-02T00:00:00Z as alice new --title "Ahead" --risk high >/dev/null
at 2026-11-24T10:00:00Z as alice comment CHG-000001 -m ahead >/dev/null
expect 0 "" env GIT_COMMITTER_DATE=2026-11-25T00:00:00Z "$CRQ" verify
early="env GIT_COMMITTER_DATE=2026-11-23T00:00:00Z"
$early CRQ_CACHE=off "$CRQ" verify HEAD >"$TMP/f-off" 2>/dev/null
same "an earlier clock, no cache: the step is in the future" "$?" 1
grep -q "^$(git rev-parse HEAD) CHG-000001 time: committed in the future" "$TMP/f-off" && ok "... naming it" || not_ok "future off: $(cat "$TMP/f-off")"
$early "$CRQ" verify HEAD >"$TMP/f-on" 2>/dev/null
cmp -s "$TMP/f-off" "$TMP/f-on" && ok "recorded verdicts: the same answer" || not_ok "future, table: $(diff "$TMP/f-off" "$TMP/f-on")"
$early CRQ_CACHE=off "$CRQ" verify >"$TMP/f-tip" 2>/dev/null
cmp -s "$TMP/f-off" "$TMP/f-tip" && ok "the remembered tip: the same answer" || not_ok "future, tip: $(diff "$TMP/f-off" "$TMP/f-tip")"
expect 0 "" env GIT_COMMITTER_DATE=2026-11-25T00:00:00Z "$CRQ" verify
mkdir -p "$TMP/data"
cp -r "$TOP/schemas" "$TOP/examples" "$TMP/data/"
$PY - "$TMP/data/schemas/change.schema.json" <<'PY'
import json, sys
p = sys.argv[1]
s = json.load(open(p))
s["definitions"]["level"]["enum"] = ["low", "medium"]
open(p, "w").write(json.dumps(s, indent=2))
PY
other="env CRQ_DATADIR=$TMP/data GIT_COMMITTER_DATE=2026-11-25T00:00:00Z"
$other CRQ_CACHE=off "$CRQ" verify >"$TMP/d-off" 2>/dev/null
same "other schemas, no cache: risk 'high' is refused" "$?" 1
grep -q "invalid-file: .*'risk' must be one of: low, medium" "$TMP/d-off" && ok "... naming it" || not_ok "schema off: $(cat "$TMP/d-off")"
$other "$CRQ" verify >"$TMP/d-on" 2>/dev/null
cmp -s "$TMP/d-off" "$TMP/d-on" && ok "other schemas: the table and the remembered tip are not theirs" || not_ok "schema, cache: $(diff "$TMP/d-off" "$TMP/d-on")"
cd "$TMP/s"

fsck_clean "$TMP/s"
done_testing
