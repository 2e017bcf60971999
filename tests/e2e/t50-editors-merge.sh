#!/bin/sh
# Separation of duties across merges (DESIGN §4, §6): who edited a
# change since its last approval is read in the graph sense, the edits
# the commit reaches less those a decision that moved the change on
# reaches too, by crq approve, by a full verify walk, by one resumed
# from the verdict cache or from .git/crq/verified, by the landing check
# of a merge and by the pre-receive hook, all alike.  An edit on a side
# branch counts even when the merge's file equals its first parent's
# (the same edit made on both sides); a stale branch forked before the
# approval does not bring back the editors that approval cleared.
. "$(dirname "$0")/lib.sh"

f=changes/000/CHG-000001.yaml
offas() { CRQ_CACHE=off; export CRQ_CACHE; as "$@"; r=$?; unset CRQ_CACHE; return $r; }
mergeas() { git -c user.name=alice -c user.email=alice@example.com merge -q --no-ff -m "Merge $1" "$1"; }

# forge WHO TEMPLATE: commit on HEAD, signed by WHO, the step crq wrote
# as TEMPLATE (another commit whose parent holds the same file, where
# WHO may take it): its file and its message
forge() {
	for p in $(git diff-tree --no-commit-id --name-only -r "$2"); do
		git show "$2:$p" >"$p"
		git add "$p"
	done
	gitas "$1" "$(keyfor "$1")" commit -q -S -C "$2"
}

# checkpoint: verify the branch now (cache on), keep what it remembered
checkpoint() {
	rm -rf .git/crq/cache .git/crq/verified .git/crq/verified-root "$TMP/ckpt"
	"$CRQ" verify >/dev/null 2>&1 || not_ok "checkpoint: $(git log -1 --format=%s) does not verify"
	cp -a .git/crq "$TMP/ckpt"
}
restore() { rm -rf .git/crq; cp -a "$TMP/ckpt" .git/crq; }

# modes NAME: crq verify of the branch, the full walk with the cache off
# and nothing remembered, then resumed: from the verdict cache, from
# .git/crq/verified (cache off), from both; the same output every time
# (in $TMP/v.full)
modes() {
	rm -rf .git/crq/cache .git/crq/verified .git/crq/verified-root
	CRQ_CACHE=off "$CRQ" verify >"$TMP/v.full" 2>"$TMP/e.full"
	rc=$?
	bad=
	restore
	rm -f .git/crq/verified .git/crq/verified-root
	"$CRQ" verify >"$TMP/v.cache" 2>"$TMP/e.cache" || :
	grep -q "^[1-9][0-9]* commits\{0,1\} checked\|^1 commit checked" "$TMP/e.cache" || :
	restore
	CRQ_CACHE=off "$CRQ" verify >"$TMP/v.verified" 2>"$TMP/e.verified" || :
	restore
	"$CRQ" verify >"$TMP/v.both" 2>"$TMP/e.both" || :
	for m in cache verified both; do
		cmp -s "$TMP/v.full" "$TMP/v.$m" || bad="$bad $m"
	done
	# the resumed runs really resumed: fewer commits checked
	full=$(sed -n 's/^\([0-9]*\) commits\{0,1\} checked.*/\1/p' "$TMP/e.full")
	for m in cache verified both; do
		n=$(sed -n 's/^\([0-9]*\) commits\{0,1\} checked.*/\1/p' "$TMP/e.$m")
		[ "$n" -lt "$full" ] || bad="$bad $m-did-not-resume($n/$full)"
	done
	if [ -z "$bad" ]; then
		ok "$1: the same verdict (exit $rc) full, from the cache, from verified, from both"
	else
		not_ok "$1: differs in$bad"
		for m in cache verified both; do diff "$TMP/v.full" "$TMP/v.$m" | sed "s/^/#   $m /"; done
	fi
	return $rc
}

cd "$TMP"
"$CRQ" init s >/dev/null
cd s
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role cab --role ecab >/dev/null
as alice member add carol@example.com --key "$(keyfor carol).pub" --name Carol \
	--role cab --role ecab >/dev/null
as alice member add dave@example.com --key "$(keyfor dave).pub" --name Dave \
	--role change-manager >/dev/null
as alice member add erin@example.com --key "$(keyfor erin).pub" --name Erin \
	--role change-manager >/dev/null
# a second round: an authorized change may be reopened for assessment
git cat-file blob HEAD:.crq/policy.yaml | awk '
/^    - name: task-add$/ { print "    - name: reopen\n      types: [normal]\n      from: [authorized]\n      to: assessed\n      roles: [change-manager]" }
{ print }' >"$TMP/policy.yaml"
as alice policy apply "$TMP/policy.yaml" >/dev/null
git init -q --bare -b main "$TMP/server.git"
"$CRQ" -C "$TMP/server.git" hook install >/dev/null
git remote add origin "$TMP/server.git"

# ---- 1. the attack: alice and bob make the same edit on two branches
as alice new --title "Upgrade DB" --service db --set implementation_plan=a \
	--set backout_plan=b --set test_plan=c >/dev/null
as alice submit CHG-000001 >/dev/null
git branch side1
as alice set CHG-000001 description=same >/dev/null
git branch clean1
git checkout -q side1
as bob set CHG-000001 description=same >/dev/null
git checkout -q main
same "the two edits wrote the same file" "$(git rev-parse main:$f)" "$(git rev-parse side1:$f)"
mergeas side1
same "the merge's file is its first parent's" "$(git rev-parse main:$f)" "$(git rev-parse main^1:$f)"
as alice assess CHG-000001 --risk low --impact low >/dev/null
expect 1 "bob@example.com may not approve CHG-000001: they changed it since the last approval" as bob approve CHG-000001
grep -q "hint: separation of duties; another member must" "$TMP/err" && ok "... with the hint" || not_ok "hint: $(cat "$TMP/err")"
expect 0 "" env CRQ_CACHE=off "$CRQ" verify
expect 1 "they changed it since the last approval" offas bob approve CHG-000001
# what crq would have written, made where bob did not edit
git checkout -q clean1
as alice assess CHG-000001 --risk low --impact low >/dev/null
same "the clean branch holds the same file" "$(git rev-parse clean1:$f)" "$(git rev-parse main:$f)"
as bob approve CHG-000001 >/dev/null
template=$(git rev-parse HEAD)
git checkout -q main
expect 0 "" git push -q origin main
checkpoint
forge bob "$template"
same "the forged approval is the file crq wrote" "$(git rev-parse main:$f)" "$(git rev-parse clean1:$f)"
modes "bob's forged approval"
same "... refused" "$?" 1
line=$(grep " separation: " "$TMP/v.full")
same "... one separation violation, at the approval" "$(echo "$line" | cut -d' ' -f1-3)" "$(git rev-parse HEAD) CHG-000001 separation:"
same "... saying why" "${line#* separation: }" "bob@example.com may not approve CHG-000001: they changed it since the last approval"
expect 1 "" git push origin main
grep -qF "$line" "$TMP/err" && ok "the pre-receive hook refuses it with the same line" || not_ok "hook: $(cat "$TMP/err")"
same "the server kept its main" "$(git -C "$TMP/server.git" rev-parse main)" "$(git rev-parse main~1)"
# the same edits with a long history after them: the index answers
git reset -q --hard HEAD~1
i=0
while [ $i -lt 130 ]; do echo "comment CHG-000001 -m 'c $i'"; i=$((i + 1)); done | as carol batch >/dev/null
git branch side1b
as alice set CHG-000001 description=again >/dev/null
git checkout -q side1b
as bob set CHG-000001 description=again >/dev/null
git checkout -q main
mergeas side1b
i=0
while [ $i -lt 130 ]; do echo "comment CHG-000001 -m 'd $i'"; i=$((i + 1)); done | as carol batch >/dev/null
expect 1 "they changed it since the last approval" as bob approve CHG-000001
expect 1 "they changed it since the last approval" offas bob approve CHG-000001
expect 0 "" as dave approve CHG-000001
same "dave, who edited nothing, approves" "$(git log -1 --format='%(trailers:key=Crq-Action,valueonly)')" "approve"

# ---- 2. a stale branch forked before the round's approval does not
# bring back the editors it cleared; 3. an edit on a side branch after
# it does bar (the next decision: a reject after the change is reopened)
as dave new --title "Second round" --service db --set implementation_plan=a \
	--set backout_plan=b --set test_plan=c >/dev/null
as dave submit CHG-000002 >/dev/null
as erin assess CHG-000002 --risk low --impact low >/dev/null
as bob set CHG-000002 description=by-bob >/dev/null
git branch stale2
expect 0 "" as erin approve CHG-000002
same "the approval moved it on" "$(git log -1 --format='%(trailers:key=Crq-From,key=Crq-To,valueonly,separator=%x20)')" "assessed authorized"
git checkout -q stale2
as carol comment CHG-000002 -m "seen on the stale branch" >/dev/null
echo code >code.txt
git add code.txt
git -c commit.gpgsign=false commit -q -m "code on the stale branch"
git checkout -q main
mergeas stale2
i=0
while [ $i -lt 110 ]; do echo "comment CHG-000001 -m 'e $i'"; i=$((i + 1)); done | as carol batch >/dev/null
expect 0 "" as dave do CHG-000002 reopen
checkpoint
expect 0 "" offas bob reject CHG-000002
git reset -q --hard HEAD~1
expect 0 "" as bob reject CHG-000002
same "bob, cleared by the approval, rejects after the stale merge" "$(git log -1 --format='%(trailers:key=Crq-Action,key=Crq-To,valueonly,separator=%x20)')" "reject rejected"
modes "the reject after the stale merge"
same "... accepted" "$?" 0
expect 0 "" git push -q origin main

as dave new --title "Third round" --service db --set implementation_plan=a \
	--set backout_plan=b --set test_plan=c >/dev/null
as dave submit CHG-000003 >/dev/null
as erin assess CHG-000003 --risk low --impact low >/dev/null
as erin approve CHG-000003 >/dev/null
expect 0 "" as dave do CHG-000003 reopen
git branch side3
git branch clean3
as alice comment CHG-000003 -m "main moves on" >/dev/null
git checkout -q side3
as bob set CHG-000003 description=after-the-approval >/dev/null
git checkout -q main
mergeas side3
expect 1 "bob@example.com may not reject CHG-000003: they changed it since the last approval" as bob reject CHG-000003
expect 1 "they changed it since the last approval" offas bob reject CHG-000003
git checkout -q clean3
git show side3:changes/000/CHG-000003.yaml >changes/000/CHG-000003.yaml
git add changes
gitas dave "$(keyfor dave)" commit -q -S -C side3
as bob reject CHG-000003 >/dev/null
template=$(git rev-parse HEAD)
git checkout -q main
checkpoint
forge bob "$template"
modes "bob's reject after his edit on a merged branch"
same "... refused" "$?" 1
grep -q "^$(git rev-parse HEAD) CHG-000003 separation: bob@example.com may not reject CHG-000003" "$TMP/v.full" &&
	ok "... naming the reject" || not_ok "sod3: $(cat "$TMP/v.full")"
expect 1 "" git push origin main
grep -qF "$(grep ' separation: ' "$TMP/v.full")" "$TMP/err" && ok "the hook refuses it alike" || not_ok "hook3: $(cat "$TMP/err")"
git reset -q --hard HEAD~1
expect 0 "" as carol reject CHG-000003
expect 0 "" git push -q origin main

# ---- 4. random merge shapes: edits by alice and bob on main and on
# side branches (the same or other content), merges, long stretches;
# bob's approval: crq approve with the cache on and off answers alike,
# and verify of the history (with bob's approval forged where crq
# refused it) answers alike in every mode
seed=7
# rnd N: a pseudo-random number below N in $r
rnd() { seed=$(( (seed * 1103515245 + 12345) % 2147483648 )); r=$(( seed / 65536 % $1 )); }
shape=0
while [ $shape -lt 4 ]; do
	shape=$((shape + 1))
	id=$(printf 'CHG-%06d' $((3 + shape)))
	p=changes/000/$id.yaml
	git checkout -q main
	as alice new --title "Shape $shape" --service db --set implementation_plan=a \
		--set backout_plan=b --set test_plan=c >/dev/null
	as alice submit $id >/dev/null
	git branch -f base$shape
	n=0
	while [ $n -lt 6 ]; do
		n=$((n + 1))
		rnd 6
		case $r in
		0) as alice set $id description="m$shape$n" >/dev/null ;;
		1) git branch -f s$shape$n; git checkout -q s$shape$n
		   as bob set $id description="m$shape$n" >/dev/null
		   git checkout -q main
		   as alice set $id description="m$shape$n" >/dev/null
		   mergeas s$shape$n ;;
		2) git branch -f s$shape$n; git checkout -q s$shape$n
		   as bob comment $id -m "s$n" >/dev/null
		   git checkout -q main
		   as alice comment $id -m "m$n" >/dev/null
		   mergeas s$shape$n ;;
		3) git branch -f s$shape$n; git checkout -q s$shape$n
		   as bob set $id description="s$shape$n" >/dev/null
		   git checkout -q main
		   mergeas s$shape$n ;;
		4) i=0
		   while [ $i -lt 105 ]; do echo "comment CHG-000001 -m 'r $shape $n $i'"; i=$((i + 1)); done | as carol batch >/dev/null ;;
		5) git branch -f s$shape$n base$shape; git checkout -q s$shape$n
		   as carol comment $id -m "old $n" >/dev/null
		   git checkout -q main
		   mergeas s$shape$n ;;
		esac
	done
	git show main:$p >"$TMP/pre"
	as alice assess $id --risk low --impact low >/dev/null
	as bob approve $id >/dev/null 2>"$TMP/a.on"; on=$?
	[ $on = 0 ] && git reset -q --hard HEAD~1
	offas bob approve $id >/dev/null 2>"$TMP/a.off"; off=$?
	[ $off = 0 ] && git reset -q --hard HEAD~1
	bobedit=$(git log --format=%ae%x20%s main ^base$shape | grep -c "^bob@example.com $id: edit")
	want=0
	[ "$bobedit" -gt 0 ] && want=1
	same "shape $shape ($(git rev-list --count --merges main ^base$shape) merges): crq approve by bob exits $want with the cache on and off" "$on $off" "$want $want"
	if [ $on = 1 ]; then
		# bob's approval forged from a branch with main's file and none of his edits
		git checkout -q -b tmpl$shape base$shape
		cp "$TMP/pre" $p
		git add $p
		git diff --cached --quiet ||
			gitas alice "$(keyfor alice)" commit -q -S -m "$(msg $id edit submitted submitted)"
		as alice assess $id --risk low --impact low >/dev/null
		git checkout -q main
	fi
	checkpoint
	if [ $on = 1 ] && [ "$(git rev-parse tmpl$shape:$p)" = "$(git rev-parse main:$p)" ]; then
		git checkout -q tmpl$shape
		as bob approve $id >/dev/null
		template=$(git rev-parse HEAD)
		git checkout -q main
		forge bob "$template"
		modes "shape $shape, bob's approval forged"
		same "... refused" "$?" 1
		git reset -q --hard HEAD~1
	else
		[ $on = 0 ] && as bob approve $id >/dev/null
		modes "shape $shape, bob's approval"
		same "... verify agrees with crq approve" "$?" "$on"
	fi
	git checkout -q main
done

fsck_clean "$TMP/s"
done_testing
