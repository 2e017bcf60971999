#!/bin/sh
# make bench: a store of 10,000 realistic changes; crq list (cold and
# warm) and crq show, each against reading the same blobs with stock git
# (git ls-tree -r + git cat-file --batch), measured in one run.
# usage: tests/bench.sh PATH/TO/crq [N]
set -eu
CRQ=$1
N=${2:-10000}
case $CRQ in /*) ;; *) CRQ=$(pwd)/$CRQ ;; esac
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=$(mktemp -d "${TMPDIR:-/tmp}/crq-bench.XXXXXX")
trap 'rm -rf "$B"' EXIT
export GIT_CONFIG_NOSYSTEM=1 HOME="$B"
PY=/usr/bin/python3
REPS=${REPS:-7}

git init -q -b main "$B/store"
cd "$B/store"
$PY "$TOP/tests/bench-gen.py" "$N" "$TOP/examples/policy.yaml" | git fast-import --quiet
git reset -q --hard
git gc -q
echo "store: $N changes, $(du -sh .git | cut -f1) in .git (packed)"

now() { $PY -c 'import time; print(time.perf_counter())'; }
drop_caches() {
	sync
	if [ -w /proc/sys/vm/drop_caches ] && echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then
		return 0
	fi
	return 1
}
raw_list() {
	git ls-tree -r HEAD changes | awk '{print $3}' | git cat-file --batch >/dev/null
}
raw_show() {
	git ls-tree HEAD changes/005/CHG-005000.yaml | awk '{print $3}' | git cat-file --batch >/dev/null
}
crq_list() { "$CRQ" list --json >/dev/null; }
crq_show() { "$CRQ" show --json CHG-005000 >/dev/null; }

# best of REPS wall-clock runs, in milliseconds
best() {
	cold=$1
	shift
	b=
	i=0
	while [ $i -lt "$REPS" ]; do
		[ "$cold" = cold ] && { drop_caches || true; }
		t0=$(now)
		"$@"
		t1=$(now)
		ms=$($PY -c "print(round(($t1 - $t0) * 1000, 1))")
		if [ -z "$b" ] || $PY -c "import sys; sys.exit(0 if $ms < $b else 1)"; then
			b=$ms
		fi
		i=$((i + 1))
	done
	echo "$b"
}

if drop_caches; then coldnote="page cache dropped before each run"; else coldnote="could not drop the page cache: cold = fresh process, no crq cache"; fi
crq_list >/dev/null   # check it works before timing
rl_c=$(best cold raw_list); cl_c=$(best cold crq_list)
rl_w=$(best warm raw_list); cl_w=$(best warm crq_list)
rs_w=$(best warm raw_show); cs_w=$(best warm crq_show)
ratio() { $PY -c "print('%.2f' % ($1 / $2))"; }
echo "best of $REPS runs ($coldnote)"
printf '%-22s %10s %10s %8s\n' "" "git (ms)" "crq (ms)" "ratio"
printf '%-22s %10s %10s %8s\n' "list, cold" "$rl_c" "$cl_c" "$(ratio "$cl_c" "$rl_c")x"
printf '%-22s %10s %10s %8s\n' "list, warm" "$rl_w" "$cl_w" "$(ratio "$cl_w" "$rl_w")x"
printf '%-22s %10s %10s %8s\n' "show one" "$rs_w" "$cs_w" "$(ratio "$cs_w" "$rs_w")x"
echo "target: cold crq list within 2.00x of the raw git read"
