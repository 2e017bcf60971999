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

raw_list='git ls-tree -r HEAD changes | cut -d" " -f3 | cut -f1 | git cat-file --batch'
raw_show='git rev-parse HEAD:changes/005/CHG-005000.yaml | git cat-file --batch'
# crq list keeps what it parsed in .git/crq/cache (summaries and JSON by
# blob id): "first" runs without those tables (removed before each run;
# writing them is part of the run), "cached" with them
nocache='rm -f .git/crq/cache/summaries-* .git/crq/cache/json-*'
crq_list="'$CRQ' list --json"
crq_text="'$CRQ' list"
crq_fmt="'$CRQ' list --format '%(id) %(state) %(title) %(services)'"
crq_show="'$CRQ' show --json CHG-005000"
"$CRQ" list --json >/dev/null	# it works before it is timed
t() { $PY "$TOP/tests/bench-time.py" "$REPS" "$@"; }
if [ -w /proc/sys/vm/drop_caches ]; then
	coldnote="page cache dropped before each cold run"
else
	coldnote="page cache not droppable here: cold = fresh process"
fi
set -- $(t cold "$raw_list"); rl_c=$1; rl_cm=$2
set -- $(t cold "$nocache; $crq_list"); cl_c=$1; cl_cm=$2
set -- $(t warm "$raw_list"); rl_w=$1; rl_m=$2
set -- $(t warm "$nocache; $crq_list"); cl_f=$1; cl_fm=$2
set -- $(t warm "$crq_list"); cl_w=$1; cl_m=$2
set -- $(t warm "$nocache; $crq_text"); ct_f=$1; ct_fm=$2
set -- $(t warm "$crq_text"); ct_w=$1; ct_m=$2
set -- $(t warm "$nocache; $crq_fmt"); cf_f=$1; cf_fm=$2
set -- $(t warm "$crq_fmt"); cf_w=$1; cf_m=$2
set -- $(t warm "$raw_show"); rs_w=$1; rs_m=$2
set -- $(t warm "$crq_show"); cs_w=$1; cs_m=$2
ratio() { $PY -c "print('%.2f' % ($1 / $2))"; }
row() { printf '%-22s %10s %10s %8s %12s %12s\n' "$@"; }
echo "best of $REPS runs ($coldnote); peak memory of the largest process"
row "" "git (ms)" "crq (ms)" "ratio" "git (KB)" "crq (KB)"
row "list --json, cold" "$rl_c" "$cl_c" "$(ratio "$cl_c" "$rl_c")x" "$rl_cm" "$cl_cm"
row "list --json, first" "$rl_w" "$cl_f" "$(ratio "$cl_f" "$rl_w")x" "$rl_m" "$cl_fm"
row "list --json, cached" "$rl_w" "$cl_w" "$(ratio "$cl_w" "$rl_w")x" "$rl_m" "$cl_m"
row "list, first" "$rl_w" "$ct_f" "$(ratio "$ct_f" "$rl_w")x" "$rl_m" "$ct_fm"
row "list, cached" "$rl_w" "$ct_w" "$(ratio "$ct_w" "$rl_w")x" "$rl_m" "$ct_m"
row "list --format, first" "$rl_w" "$cf_f" "$(ratio "$cf_f" "$rl_w")x" "$rl_m" "$cf_fm"
row "list --format, cached" "$rl_w" "$cf_w" "$(ratio "$cf_w" "$rl_w")x" "$rl_m" "$cf_m"
row "show one" "$rs_w" "$cs_w" "$(ratio "$cs_w" "$rs_w")x" "$rs_m" "$cs_m"
echo "target: first crq list --json within 1.50x of the raw git read, cached within 0.30x; under 100 MB at 100,000 changes in any format"

# Signed steps: STEPS transitions with crq (crq set: an edit, one signed
# commit each) against STEPS signed `git commit -S` (ssh) doing the same
# file edit, one process per step on both sides.
STEPS=${STEPS:-1000}
S="$B/steps"
mkdir -p "$S/home"
ssh-keygen -q -t ed25519 -N '' -C bench -f "$S/key" </dev/null
export HOME="$S/home"
git config --global user.name Bench
git config --global user.email bench@example.com
git config --global gpg.format ssh
git config --global user.signingkey "$S/key"
"$CRQ" init "$S/crq" >/dev/null
(cd "$S/crq" && "$CRQ" new --title "Bench change" >/dev/null)
git init -q -b main "$S/git"
(cd "$S/git" && echo init >f && git add f && git commit -q -S -m init)
crq_steps="cd '$S/crq' && i=0; while [ \$i -lt $STEPS ]; do '$CRQ' set CHG-000001 description=\$i || exit 1; i=\$((i + 1)); done"
git_steps="cd '$S/git' && i=0; while [ \$i -lt $STEPS ]; do echo \$i >f; git commit -q -S -am step || exit 1; i=\$((i + 1)); done"
i=0
while [ $i -lt "$STEPS" ]; do echo "set CHG-000001 'description=batch $i'"; i=$((i + 1)); done >"$S/batch"
batch_steps="cd '$S/crq' && '$CRQ' batch <'$S/batch' >/dev/null"
set -- $($PY "$TOP/tests/bench-time.py" 1 warm "$git_steps"); gs=$1
set -- $($PY "$TOP/tests/bench-time.py" 1 warm "$crq_steps"); cs=$1
set -- $($PY "$TOP/tests/bench-time.py" 1 warm "$batch_steps"); bs=$1
per() { $PY -c "print('%.2f' % ($1 / $STEPS))"; }
echo "$STEPS signed steps (same file edit, each one signed commit):"
printf '  git commit -S, a process per step  %8s ms/step\n' "$(per "$gs")"
printf '  crq set, a process per step        %8s ms/step  %sx faster than git\n' "$(per "$cs")" "$(ratio "$gs" "$cs")"
printf '  crq batch, one process             %8s ms/step  %sx faster than git\n' "$(per "$bs")" "$(ratio "$gs" "$bs")"
same_count=$(git -C "$S/crq" rev-list --count HEAD)
"$CRQ" -C "$S/crq" policy allowed-signers >"$S/allowed"
echo "crq store: $same_count commits (init, new, 2 x $STEPS edits); git's verdicts (%G?): $(git -C "$S/crq" -c gpg.ssh.allowedSignersFile="$S/allowed" log --format=%G? | sort | uniq -c | tr -s ' ' | tr '\n' ' ')"
echo "aim: crq at least 5x faster per step than git commit -S"

# Verification: the steps store above now holds 2 x STEPS + 2 signed
# crq commits.  crq verify cold (no .git/crq state) against stock git
# checking every signature (git log --show-signature), then warm: ten
# new steps re-verified from the remembered tip.
cd "$S/crq"
verify_cold="cd '$S/crq' && rm -rf .git/crq && '$CRQ' verify 2>/dev/null"
git_sigs="cd '$S/crq' && git -c gpg.ssh.allowedSignersFile='$S/allowed' log --show-signature >/dev/null 2>&1"
set -- $($PY "$TOP/tests/bench-time.py" 1 warm "$git_sigs"); gv=$1
set -- $($PY "$TOP/tests/bench-time.py" 3 warm "$verify_cold"); vc=$1
"$CRQ" verify >/dev/null 2>&1
i=0
while [ $i -lt 10 ]; do echo "set CHG-000001 'description=warm $i'"; i=$((i + 1)); done | "$CRQ" batch >/dev/null
verify_warm="cd '$S/crq' && '$CRQ' verify 2>/dev/null"
set -- $($PY "$TOP/tests/bench-time.py" 1 warm "$verify_warm"); vw=$1
echo "verify $(git rev-list --count HEAD) signed commits:"
printf '  git log --show-signature   %9s ms\n' "$gv"
printf '  crq verify, cold           %9s ms  %sx faster than git\n' "$vc" "$(ratio "$gv" "$vc")"
printf '  crq verify, 10 new commits %9s ms  %s%% of cold\n' "$vw" "$($PY -c "print('%.1f' % (100 * $vw / $vc))")"
echo "aim: cold verify 20x faster than git; warm re-verify of 10 commits under 5% of cold"

# Evidence: the audit pack and the report each walk the whole history
# through verify (no cache), on the same store, against git checking
# every signature.
audit_run="cd '$S/crq' && '$CRQ' audit --format json >/dev/null 2>&1; [ \$? -le 1 ]"
report_run="cd '$S/crq' && '$CRQ' report --format json >/dev/null 2>&1; [ \$? -le 1 ]"
set -- $($PY "$TOP/tests/bench-time.py" 3 warm "$audit_run"); au=$1
set -- $($PY "$TOP/tests/bench-time.py" 3 warm "$report_run"); rp=$1
echo "evidence over $(git rev-list --count HEAD) signed commits:"
printf '  git log --show-signature   %9s ms\n' "$gv"
printf '  crq audit --format json    %9s ms  %sx faster than git\n' "$au" "$(ratio "$gv" "$au")"
printf '  crq report --format json   %9s ms  %sx faster than git\n' "$rp" "$(ratio "$gv" "$rp")"

# Verification per commit must not grow with the store: histories of
# SMALL and LARGE creates (each a signed step adding one change file),
# verified cold.  A step's delta opens only the subtrees that differ.
SMALL=${SMALL:-2000}
LARGE=${LARGE:-8000}
for n in $SMALL $LARGE; do
	"$CRQ" init "$B/creates$n" >/dev/null
	i=0
	while [ $i -lt "$n" ]; do echo "new --title 'change $i'"; i=$((i + 1)); done |
		(cd "$B/creates$n" && "$CRQ" batch >/dev/null)
done
set -- $($PY "$TOP/tests/bench-time.py" 3 warm "cd '$B/creates$SMALL' && rm -rf .git/crq && '$CRQ' verify 2>/dev/null"); vs=$1; ms=$2
set -- $($PY "$TOP/tests/bench-time.py" 3 warm "cd '$B/creates$LARGE' && rm -rf .git/crq && '$CRQ' verify 2>/dev/null"); vl=$1; ml=$2
ps=$($PY -c "print('%.3f' % ($vs / $SMALL))")
pl=$($PY -c "print('%.3f' % ($vl / $LARGE))")
echo "verify per commit, a history of creates:"
printf '  %6d creates  %9s ms  %s ms/commit  %8s KB\n' "$SMALL" "$vs" "$ps" "$ms"
printf '  %6d creates  %9s ms  %s ms/commit  %8s KB  %sx the smaller per commit\n' "$LARGE" "$vl" "$pl" "$ml" "$($PY -c "print('%.2f' % ($pl / $ps))")"
echo "aim: per-commit cost within 1.2x as the store grows (linear, not quadratic)"

# Start-up: what one small command costs as a process of its own.
# crq show against git cat-file -p of the same blob, and one crq set
# against one git commit -S (ssh) making the same one-file edit, on the
# steps stores above; the four are run in turn, RUNS rounds, and each
# one's median is compared.
RUNS=${RUNS:-31}
su=$($PY - "$RUNS" "$CRQ" "$S/crq" "$S/git" <<'PYEOF'
import statistics, subprocess, sys, time
runs, crq, store, repo = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
out = subprocess.DEVNULL

def show():
	subprocess.run([crq, "show", "CHG-000001"], cwd=store, stdout=out, check=True)

def cat():
	subprocess.run(["git", "cat-file", "-p", "HEAD:changes/000/CHG-000001.yaml"],
		cwd=store, stdout=out, check=True)

def crq_set(i):
	subprocess.run([crq, "set", "CHG-000001", "description=start-up %d" % i],
		cwd=store, stdout=out, check=True)

def git_commit(i):
	with open(repo + "/f", "w") as f:	# the edit is part of the step
		f.write("start-up %d\n" % i)
	subprocess.run(["git", "commit", "-q", "-S", "-am", "step"], cwd=repo,
		stdout=out, check=True)

ms = {k: [] for k in ("show", "cat", "set", "commit")}
for i in range(runs):
	for k, fn in (("show", show), ("cat", cat), ("set", lambda: crq_set(i)),
			("commit", lambda: git_commit(i))):
		t0 = time.perf_counter()
		fn()
		ms[k].append((time.perf_counter() - t0) * 1000)
print(" ".join("%.2f" % statistics.median(ms[k]) for k in ("show", "cat", "set", "commit")))
PYEOF
)
set -- $su; su_show=$1; su_cat=$2; su_set=$3; su_commit=$4
echo "start-up, one process each, median of $RUNS interleaved runs:"
printf '  git cat-file -p      %8s ms\n' "$su_cat"
printf '  crq show             %8s ms  %sx git cat-file -p\n' "$su_show" "$(ratio "$su_show" "$su_cat")"
printf '  git commit -S (ssh)  %8s ms\n' "$su_commit"
printf '  crq set              %8s ms  %sx git commit -S\n' "$su_set" "$(ratio "$su_set" "$su_commit")"
echo "aim: crq show within 1.5x of git cat-file -p; a crq set at most 0.5x a git commit -S"
