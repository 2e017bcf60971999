#!/bin/sh
# Hostile YAML through the real binary: refused quickly, clearly, and
# without touching the repository.  Concurrent writers never lose a step.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
"$CRQ" new --title first >/dev/null

# alias bomb ("billion laughs")
{
	echo 'a: &a ["x","x","x","x","x","x","x","x","x"]'
	echo 'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]'
	echo 'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]'
	echo 'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]'
	echo 'e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]'
} >"$TMP/bomb.yaml"
expect 1 "bomb.yaml:1:4: anchors are not allowed" "$CRQ" validate "$TMP/bomb.yaml"
$PY -c 'import sys; sys.stdout.write("["*(2*1024*1024))' >"$TMP/deep2m.yaml"
expect 1 "larger than 1048576 bytes" "$CRQ" validate "$TMP/deep2m.yaml"
$PY -c 'import sys; sys.stdout.write("["*(1024*1024 - 1))' >"$TMP/deep1m.yaml"
expect 1 "nesting deeper than 64 levels" "$CRQ" validate "$TMP/deep1m.yaml"
$PY -c 'import sys; sys.stdout.write("a:\n" + "".join("  "*i + "- \n" for i in range(1, 200)))' >"$TMP/deepblock.yaml"
expect 1 "nesting deeper than 64 levels" "$CRQ" validate "$TMP/deepblock.yaml"
printf 'title: a\0b\n' >"$TMP/nul.yaml"
expect 1 "nul.yaml:1:9" "$CRQ" validate "$TMP/nul.yaml"
printf 'title: caf\351\n' >"$TMP/latin1.yaml"
expect 1 "latin1.yaml:1:11: invalid UTF-8" "$CRQ" validate "$TMP/latin1.yaml"
printf 'title: x\ntitle: y\n' >"$TMP/dup.yaml"
expect 1 "dup.yaml:2:1: duplicate key 'title'" "$CRQ" validate "$TMP/dup.yaml"
printf 'title: !!str x\n' >"$TMP/tag.yaml"
expect 1 "tags are not allowed" "$CRQ" validate "$TMP/tag.yaml"
printf '%%YAML 1.1\n---\ntitle: x\n' >"$TMP/dir.yaml"
expect 1 "directives are not allowed" "$CRQ" validate "$TMP/dir.yaml"
printf 'title: x\n---\ntitle: y\n' >"$TMP/multi.yaml"
expect 1 "only one document is allowed" "$CRQ" validate "$TMP/multi.yaml"
printf 'base: {a: 1}\n<<: {b: 2}\n' >"$TMP/merge.yaml"
expect 1 "merge keys are not allowed" "$CRQ" validate "$TMP/merge.yaml"
printf '? [a, b]\n: c\n' >"$TMP/complex.yaml"
expect 1 "complex keys are not allowed" "$CRQ" validate "$TMP/complex.yaml"
for v in no on off yes 0755 12:30 '~' null 1e3 0x1F .inf 2026-01-02; do
	printf 'title: %s\n' "$v" >"$TMP/amb.yaml"
	expect 1 "amb.yaml:1:8: ambiguous plain scalar '$v' in a string field; quote it" "$CRQ" validate --kind change "$TMP/amb.yaml"
done

# the same hostile bytes committed by hand: crq refuses to read, never crashes
before=$(state .)
cp "$TMP/bomb.yaml" changes/000/CHG-000001.yaml
git commit -qam "hostile"
expect 1 "anchors are not allowed" "$CRQ" show CHG-000001
expect 1 "anchors are not allowed" "$CRQ" set CHG-000001 risk=low
git reset -q --hard HEAD~1
same "repository back where it was" "$(state .)" "$before"

# two writers racing on one branch: every step lands, ids stay unique
for w in 1 2; do
	( for i in 1 2 3 4 5 6 7 8; do "$CRQ" new --title "writer $w #$i" >>"$TMP/ids$w" 2>>"$TMP/race-err" || echo FAIL >>"$TMP/ids$w"; done ) &
done
wait
same "no writer failed" "$(cat "$TMP/ids1" "$TMP/ids2" | grep -c FAIL)" "0"
same "16 new ids, all distinct" "$(cat "$TMP/ids1" "$TMP/ids2" | sort -u | wc -l)" "16"
same "17 changes on the branch" "$(git ls-tree -r --name-only HEAD changes | wc -l)" "17"
same "one commit per step" "$(git rev-list --count HEAD)" "18"
fsck_clean .
done_testing
