#!/bin/sh
# Many writers at once: 8 processes each add 50 comments to one change;
# every step lands, signed, in one chain.  Processes killed at random
# points leave the branch at an old or a new commit, never broken.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
"$CRQ" new --title "Busy change" >/dev/null
before=$(git rev-list --count HEAD)
W=${CRQ_TEST_WRITERS:-8}
N=${CRQ_TEST_COMMENTS:-50}
w=1
while [ $w -le $W ]; do
	(
		i=1
		while [ $i -le $N ]; do
			"$CRQ" comment CHG-000001 -m "writer $w comment $i" >/dev/null 2>>"$TMP/errs" ||
				echo "writer $w comment $i failed" >>"$TMP/failed"
			i=$((i + 1))
		done
	) &
	w=$((w + 1))
done
wait
same "no writer failed" "$(cat "$TMP/failed" 2>/dev/null | wc -l)" "0"
[ -s "$TMP/errs" ] && sed 's/^/#   /' "$TMP/errs" | head -5
same "exactly $((W * N)) new commits" "$(($(git rev-list --count HEAD) - before))" "$((W * N))"
same "every comment once" "$(git log --format=%b | grep -c '^writer [0-9]* comment [0-9]*$')" "$((W * N))"
same "no comment twice" "$(git log --format=%b | grep '^writer [0-9]* comment [0-9]*$' | sort | uniq -d | wc -l)" "0"
same "history is one chain (no merges)" "$(git rev-list --merges HEAD | wc -l)" "0"
verify_all .
fsck_clean .

# killed at random points: the branch is always a valid commit, and
# every process that said it succeeded has its step on the branch
git clone -q --bare . "$TMP/bare.git"
cd "$TMP/bare.git"
i=1
while [ $i -le 40 ]; do
	d=$(awk -v i=$i 'BEGIN { srand(i); printf "%.3f", 0.002 + rand() * 0.03 }')
	if timeout -s KILL "$d" "$CRQ" comment CHG-000001 -m "kill test $i" >/dev/null 2>&1; then
		echo "kill test $i" >>"$TMP/landed"
	fi
	# a kill inside the ref update leaves git's lock file, as with git
	rm -f refs/heads/main.lock
	i=$((i + 1))
done
check "branch resolves to a commit" git rev-parse --verify -q main^{commit}
check "git fsck clean after kills" git fsck --strict --no-progress
lost=0
for m in $(sed 's/ /_/g' "$TMP/landed" 2>/dev/null); do
	git log --format=%b main | grep -qx "$(echo "$m" | sed 's/_/ /g')" || lost=$((lost + 1))
done
same "no step that reported success was lost" "$lost" "0"
expect 0 "" "$CRQ" comment CHG-000001 -m "after the kills"
done_testing
