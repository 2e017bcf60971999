#!/bin/sh
# make bench, at scale (issue "Scale and speed"): what verify and the
# pre-receive hook cost on big stores, as ratios in one run.
#   - crq verify with nothing new over a store of CHANGES changes
#   - a push of 10 steps through the pre-receive hook onto a store of
#     1,000 signed commits and onto one with COMMITS more (code commits
#     made by git fast-import: signing a million steps takes an hour on
#     a small machine, and a code commit costs verify a walk step all
#     the same), interleaved
# usage: tests/bench-scale.sh PATH/TO/crq
set -eu
CRQ=$1
case $CRQ in /*) ;; *) CRQ=$(pwd)/$CRQ ;; esac
TOP=$(cd "$(dirname "$0")/.." && pwd)
CHANGES=${CHANGES:-100000}
COMMITS=${COMMITS:-1000000}
ROUNDS=${ROUNDS:-5}
B=$(mktemp -d "${TMPDIR:-/tmp}/crq-bench-scale.XXXXXX")
trap 'rm -rf "$B"' EXIT
export GIT_CONFIG_NOSYSTEM=1 HOME="$B/home" LC_ALL=C
PY=/usr/bin/python3
mkdir -p "$HOME"
ssh-keygen -q -t ed25519 -N '' -C bench -f "$B/key" </dev/null
git config --global user.name Bench
git config --global user.email bench@example.com
git config --global gpg.format ssh
git config --global user.signingkey "$B/key"
git config --global init.defaultBranch main
t() { $PY "$TOP/tests/bench-time.py" "$@"; }
ms() { $PY -c "import sys; print('%.1f' % (float(sys.argv[1])))" "$1"; }
ratio() { $PY -c "import sys; print('%.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }

# ---- crq verify with nothing new, CHANGES changes
git init -q "$B/big"
(cd "$B/big" && $PY "$TOP/tests/bench-gen.py" "$CHANGES" "$TOP/examples/policy.yaml" |
	git fast-import --quiet && git reset -q --hard && git gc -q &&
	git config crq.trust "$(git rev-parse HEAD)")
set -- $(t 1 warm "cd '$B/big' && '$CRQ' verify 2>/dev/null"); first=$1
set -- $(t "$ROUNDS" warm "cd '$B/big' && '$CRQ' verify 2>/dev/null"); none=$1; nonem=$2
set -- $(t 1 warm "cd '$B/big' && CRQ_CACHE=off '$CRQ' verify 2>/dev/null"); nocache=$1
echo "verify with nothing new, $CHANGES changes:"
printf '  first run (fills the cache)   %9s ms\n' "$first"
printf '  nothing new                   %9s ms  %8s KB\n' "$none" "$nonem"
printf '  nothing new, cache off        %9s ms  (%sx the cached run)\n' "$nocache" "$(ratio "$nocache" "$none")"
echo "aim: nothing new <= 50 ms"

# ---- the pre-receive hook: 10 steps onto a small and a big store
"$CRQ" init "$B/small" >/dev/null
(cd "$B/small" && {
	i=0
	while [ $i -lt 10 ]; do echo "new --title 'change $i'"; i=$((i + 1)); done
	while [ $i -lt 1000 ]; do echo "comment CHG-00000$((i % 9 + 1)) -m 'c $i'"; i=$((i + 1)); done
} | "$CRQ" batch >/dev/null && git gc -q)
git clone -q "$B/small" "$B/large"
# COMMITS code commits on top, by git fast-import, dated before the
# steps that come after them
(cd "$B/large" && $PY - "$COMMITS" "$(git rev-parse HEAD)" "$(git log -1 --format=%ct)" <<'EOF' | git fast-import --quiet --force && git reset -q --hard
import sys
n, tip, t = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]) - int(sys.argv[1])
out = sys.stdout.buffer
for i in range(n):
    data = b"line %d\n" % i
    msg = b"code %d\n" % i
    out.write(b"commit refs/heads/main\ncommitter Code <code@example.com> %d +0000\n" % (t + i))
    out.write(b"data %d\n%s" % (len(msg), msg))
    if i == 0:
        out.write(b"from %s\n" % tip.encode())
    out.write(b"M 100644 inline src/code.txt\ndata %d\n%s\n" % (len(data), data))
EOF
)
for s in small large; do
	git clone -q --bare "$B/$s" "$B/$s.git"
	"$CRQ" -C "$B/$s.git" hook install >/dev/null 2>&1
	git clone -q "$B/$s.git" "$B/$s.client"
done
# the server verifies its history once (what its first push did)
set -- $(t 1 warm "'$CRQ' -C '$B/large.git' verify --trust \$(git -C '$B/large.git' config crq.trust) main 2>/dev/null"); vlarge=$1; vlargem=$2
n_large=$(git -C "$B/large.git" rev-list --count main)
"$CRQ" -C "$B/small.git" verify --trust "$(git -C "$B/small.git" config crq.trust)" main >/dev/null 2>&1
n_small=$(git -C "$B/small.git" rev-list --count main)
push() {	# push 10 new steps from $1.client; prints ms
	(cd "$B/$1.client" && {
		i=0
		while [ $i -lt 10 ]; do echo "comment CHG-000001 -m 'push $2 $i'"; i=$((i + 1)); done
	} | "$CRQ" batch >/dev/null)
	t 1 warm "cd '$B/$1.client' && git push -q origin main" | cut -d' ' -f1
}
r=0
sm=""
lg=""
while [ $r -lt "$ROUNDS" ]; do
	sm="$sm $(push small $r)"
	lg="$lg $(push large $r)"
	r=$((r + 1))
done
med() { echo "$@" | tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "pre-receive hook, a push of 10 signed steps (median of $ROUNDS, interleaved):"
printf '  onto %8d commits          %9s ms\n' "$n_small" "$(med $sm)"
printf '  onto %8d commits          %9s ms  %sx the small store\n' "$n_large" "$(med $lg)" "$(ratio "$(med $lg)" "$(med $sm)")"
printf '  (the server verified its %d commits once, cold: %s ms, %s KB)\n' "$n_large" "$vlarge" "$vlargem"
echo "aim: the same cost onto the big store as onto the small one, within 2x"
