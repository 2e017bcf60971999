#!/bin/sh
# Steps in a store of 20,000 changes (made with git fast-import): the
# index is rewritten by crq itself, so git must find it exactly as its
# own (status clean, the cache tree naming HEAD's trees, stat data
# that needs no refresh); a user's edits to the file, staged or not,
# refuse the step and stay, an unrelated staged edit stays staged; a
# held index lock, a corrupt index and a racily clean file are handled
# as git handles them.  crq batch writes its steps in packs: few loose
# objects and packs after thousands of steps, every step on the branch,
# nothing printed for a step that is not; a group refused as a whole
# when the branch moved or its file was edited meanwhile; killed, it
# leaves a sound repository.
. "$(dirname "$0")/lib.sh"

N=${CRQ_TEST_CHANGES:-20000}
cd "$TMP"
"$CRQ" init s >/dev/null
cd s
# N changes on top of crq init, one unsigned commit (as tests/bench.sh)
$PY "$TOP/tests/bench-gen.py" "$N" .crq/policy.yaml | $PY -c '
import sys
d = sys.stdin.buffer.read()
k = d.index(b"bench store\n\n") + len(b"bench store\n\n")
sys.stdout.buffer.write(d[:k] + b"from refs/heads/main^0\n" + d[k:])' |
	git fast-import --quiet
git reset -q --hard
printf 'notes\n' >notes.txt
git add notes.txt
git commit -q -m "code beside the store"
same "the store holds $N changes" "$(git ls-files changes | wc -l | tr -d ' ')" "$N"

# in_step "what": the index is exactly what git would have written
in_step() {
	if git diff-files --quiet && git diff-index --cached --quiet HEAD &&
	   [ "$(git write-tree)" = "$(git rev-parse 'HEAD^{tree}')" ] &&
	   [ -z "$(git status --porcelain)" ]; then
		ok "$1: index and work tree in step with HEAD"
	else
		not_ok "$1: index or work tree out of step"
		git status --porcelain | head -5 | sed 's/^/#   /'
	fi
}

F=changes/000/CHG-000500.yaml
expect 0 "" "$CRQ" comment CHG-000500 -m "one step at scale"
same "the index names the new blob" "$(git ls-files -s $F | cut -d' ' -f2)" "$(git rev-parse HEAD:$F)"
in_step "a comment"
# stat data as git's own (git compares it before it reads a file; git
# prints the nanoseconds unpadded, stat pads them to nine digits)
same "the entry's stat data is the file's" \
	"$(git ls-files --debug $F | sed -n 's/^  mtime: //p; s/^  dev: .*ino: //p; s/^  size: \([0-9]*\).*/\1/p' | tr '\n' ' ')" \
	"$(stat -c '%Y:%y %i %s' $F | sed 's/:[0-9-]* [0-9:]*\.\([0-9]*\) [+-][0-9]*/:\1/; s/:0*\([0-9]\)/:\1/') "
# a draft near the end (a scheduled one would read every window)
L=$(grep -l '^state: draft' changes/0$(((N - 1) / 1000))/*.yaml | tail -1 | sed 's|.*/||; s|\.yaml||')
expect 0 "" "$CRQ" comment "$L" -m "near the end of the index"
in_step "a comment at the other end"
expect 0 "" "$CRQ" new --title "the first of a new folder"
same "the new change's id" "$(head -1 "$TMP/out")" "CHG-$(printf %06d $((N + 1)))"
in_step "a create in a new folder"
expect 0 "" "$CRQ" set "CHG-$(printf %06d $((N + 1)))" "description=set at scale"
in_step "a set"
git fsck --no-progress >/dev/null 2>&1 && ok "git fsck clean" || not_ok "git fsck"

# a user's edit to the file: refused, kept
head=$(git rev-parse HEAD)
echo "# mine" >>changes/000/CHG-000042.yaml
expect 1 "'changes/000/CHG-000042.yaml' has uncommitted changes" \
	"$CRQ" comment CHG-000042 -m "over an edit"
same "nothing committed over the edit" "$(git rev-parse HEAD)" "$head"
same "the edit is kept" "$(tail -1 changes/000/CHG-000042.yaml)" "# mine"
git add changes/000/CHG-000042.yaml
expect 1 "has uncommitted changes" "$CRQ" comment CHG-000042 -m "over a staged edit"
same "the staged edit is kept" "$(git diff --cached --name-only)" "changes/000/CHG-000042.yaml"
git reset -q --hard
# a staged edit elsewhere stays staged
printf 'notes, staged\n' >notes.txt
git add notes.txt
expect 0 "" "$CRQ" comment CHG-000042 -m "beside a staged edit"
same "the unrelated staged edit is still staged" "$(git diff --cached --name-only)" "notes.txt"
same "... with its content" "$(git show :notes.txt)" "notes, staged"
same "the step's file is in step" "$(git ls-files -s changes/000/CHG-000042.yaml | cut -d' ' -f2)" \
	"$(git rev-parse HEAD:changes/000/CHG-000042.yaml)"
git diff-files --quiet && ok "no unstaged change" || not_ok "unstaged changes after the step"
git commit -q -m "the staged note"

# git's index.lock held: refused before anything is committed
head=$(git rev-parse HEAD)
: >.git/index.lock
expect 1 "index.lock' exists: another git process" "$CRQ" comment CHG-000042 -m "locked"
same "nothing committed while git held the index" "$(git rev-parse HEAD)" "$head"
test -f .git/index.lock && ok "the lock is git's: left alone" || not_ok "crq removed git's lock"
rm -f .git/index.lock

# a corrupt index is refused, not laundered under a fresh checksum
cp .git/index "$TMP/index.good"
$PY - .git/index <<'EOF'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x20
open(p, "wb").write(bytes(b))
EOF
expect 128 "index file corrupt" "$CRQ" comment CHG-000042 -m "corrupt"
same "nothing committed on a corrupt index" "$(git rev-parse HEAD)" "$head"
git fsck --no-progress >/dev/null 2>&1 && not_ok "git fsck takes the corrupt index" ||
	ok "git fsck finds it corrupt too"
cp "$TMP/index.good" .git/index

# a racily clean file: changed in the second its entry was written,
# same size, same times; the index crq writes must not make it look
# clean (git smudges such entries when it writes an index)
git config core.trustctime false
printf 'racy A\n' >notes.txt
git commit -q -am "racy A"
m=$(git ls-files --debug notes.txt | sed -n 's/^  mtime: //p' | tr : .)
printf 'racy B\n' >notes.txt
touch -d "@$m" notes.txt .git/index
expect 0 "" "$CRQ" comment CHG-000042 -m "beside a racy file"
same "the racily clean edit still shows" "$(git status --porcelain notes.txt)" " M notes.txt"
git checkout -q notes.txt
git config --unset core.trustctime
in_step "after the racy file"

# ---- crq batch: steps in packs ----
git gc -q
loose0=$(git count-objects | cut -d' ' -f1)
before=$(git rev-list --count HEAD)
batch_base=$(git rev-parse HEAD)
B=${CRQ_TEST_BATCH:-3000}
# drafts crq makes (a comment on a scheduled bench change reads every
# change holding a window: slow, and not what is measured here)
next=$((N + 2))
i=0
while [ $i -lt "$B" ]; do
	if [ $((i % 10)) = 0 ]; then
		echo "new --title 'batch $i'"
		last=$next
		next=$((next + 1))
	elif [ $((i % 10)) = 1 ]; then
		echo "set CHG-$(printf %06d $last) 'description=batch $i'"
	else
		echo "comment CHG-$(printf %06d $((N + 2 + (i * 7) % (last - N - 1)))) -m 'batch $i'"
	fi
	i=$((i + 1))
done >"$TMP/batch"
expect 0 "" "$CRQ" batch <"$TMP/batch"
same "every step of the batch on the branch" "$(($(git rev-list --count HEAD) - before))" "$B"
same "one line printed a step" "$(wc -l <"$TMP/out" | tr -d ' ')" "$B"
loose=$(git count-objects | cut -d' ' -f1)
[ $((loose - loose0)) -lt 50 ] && ok "$B steps left $((loose - loose0)) loose objects" ||
	not_ok "$B steps left $((loose - loose0)) loose objects"
packs=$(ls .git/objects/pack/*.pack | wc -l)
[ "$packs" -le 6 ] && ok "in $packs packs" || not_ok "$packs packs"
check "git verify-pack accepts them" sh -c 'for i in .git/objects/pack/*.idx; do git verify-pack "$i" || exit 1; done'
git fsck --strict --no-progress >"$TMP/fsck" 2>&1 && ok "git fsck --strict clean" || {
	not_ok "git fsck"; head -5 "$TMP/fsck" | sed 's/^/#   /'; }
in_step "after the batch"
verify_all_since() {
	"$CRQ" policy allowed-signers >"$TMP/allowed"
	bad=0
	for c in $(git rev-list "$1..HEAD" | sed -n '1~97p'); do
		git -c gpg.ssh.allowedSignersFile="$TMP/allowed" verify-commit "$c" \
			>/dev/null 2>&1 || bad=$((bad + 1))
	done
	same "git verify-commit accepts the batch's steps (every 97th)" "$bad" 0
}
verify_all_since "$batch_base"

# a group refused whole: held steps, then the file edited under them
# (the batch stopped while it holds them), or the branch moved by git
hold_then() {
	i=0
	while [ $i -lt 900 ]; do echo "comment $D -m 'held $i'"; i=$((i + 1)); done >"$TMP/held"
	head=$(git rev-parse HEAD)
	"$CRQ" batch <"$TMP/held" >"$TMP/hout" 2>"$TMP/herr" &
	bpid=$!
	sleep 0.15
	kill -STOP $bpid
	# the first line runs before the handle holds steps: it is written
	if [ "$(git rev-list --count "$head..HEAD")" != 1 ] ||
	   [ "$(wc -l <"$TMP/hout" | tr -d ' ')" != 1 ]; then
		kill -CONT $bpid
		wait $bpid
		ok "# skip $1: the group was written before it could be stopped"
		return 1
	fi
	eval "$2"
	kill -CONT $bpid
	wait $bpid
	hrc=$?
	return 0
}
D=CHG-$(printf %06d $((N + 2)))
DF=changes/0$((N / 1000))/$D.yaml
if hold_then "an edit under held steps" 'echo "# edit while held" >>$DF'; then
	same "the batch failed" "$hrc" 1
	grep -q "steps not written" "$TMP/herr" && ok "and said its steps were not written" ||
		not_ok "message: $(cat "$TMP/herr")"
	same "none of them on the branch (but the first, unheld)" "$(git rev-list --count "$head..HEAD")" 1
	same "nothing printed for them" "$(wc -l <"$TMP/hout" | tr -d ' ')" 1
	same "the edit is kept" "$(tail -1 $DF)" "# edit while held"
	git checkout -q $DF
fi
if hold_then "the branch moved under held steps" 'git commit -q --allow-empty -m "git moved it"'; then
	same "the batch failed" "$hrc" 1
	grep -q "moved while crq held steps" "$TMP/herr" && ok "because the branch moved" ||
		not_ok "message: $(cat "$TMP/herr")"
	same "git's commit is the tip" "$(git log -1 --format=%s)" "git moved it"
	same "nothing printed for the lost steps" "$(wc -l <"$TMP/hout" | tr -d ' ')" 1
fi
in_step "after the refused groups"

# killed: sound repository, and every step it printed is on the branch
i=0
while [ $i -lt 4000 ]; do echo "comment CHG-$(printf %06d $((N + 2 + i % 50))) -m 'kill $i'"; i=$((i + 1)); done >"$TMP/kill"
"$CRQ" batch <"$TMP/kill" >"$TMP/kout" 2>/dev/null &
bpid=$!
sleep 0.8
kill -KILL $bpid
wait $bpid 2>/dev/null
rm -f .git/index.lock
git fsck --strict --no-progress >/dev/null 2>&1 && ok "killed: git fsck clean" || not_ok "killed: git fsck"
git ls-files >/dev/null 2>&1 && ok "killed: git reads the index" || not_ok "killed: index unreadable"
printed=$(wc -l <"$TMP/kout" | tr -d ' ')
landed=$(git log --format=%b -n 5000 | grep -c '^kill [0-9]*$')
[ "$printed" -le "$landed" ] && ok "killed: all $printed steps it printed landed ($landed)" ||
	not_ok "killed: printed $printed, landed $landed"
git reset -q --hard
expect 0 "" "$CRQ" comment CHG-000001 -m "after the kill"
in_step "after the kill"
done_testing
