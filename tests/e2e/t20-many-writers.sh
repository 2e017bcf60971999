#!/bin/sh
# Many writers: a bare store served by git daemon on 127.0.0.1 (the real
# git protocol) with crq's pre-receive hook, four clones under four
# members creating changes, moving them and syncing at once; then a
# week's work: changes submitted, assessed and approved in the
# change manager's clone while their requesters comment on them, two
# admins changing the policy at once, and one member whose clock is 35 s
# behind.  Afterwards every step from every clone is on the shared
# branch exactly once, ids are unique, and crq verify and git fsck are
# clean everywhere.
. "$(dirname "$0")/lib.sh"

R=${CRQ_TEST_ROUNDS:-4}
cd "$TMP"
"$CRQ" init seed >/dev/null
cd seed
for who in bob carol dave; do
	as alice member add $who@example.com --key "$(keyfor $who).pub" \
		--name $who --role requester >/dev/null
done
as alice role grant bob@example.com change-manager >/dev/null
as alice role grant bob@example.com admin >/dev/null
cd ..
mkdir srv
git clone -q --bare seed srv/store.git
git -C srv/store.git config daemon.receivepack true
(cd srv/store.git && "$CRQ" hook install >/dev/null)
serve store.git
for who in alice bob carol dave; do
	git clone -q "$GITURL/store.git" $who
done

# dave's clock is 35 s behind everyone else's
skew() {
	if [ "$1" = dave ]; then
		echo 2026-11-23T09:59:25Z
	else
		echo "$GIT_COMMITTER_DATE"
	fi
}

# each writer: R rounds of new + comment + sync (a refused push syncs again)
for who in alice bob carol dave; do
	(
		export GIT_COMMITTER_DATE="$(skew $who)" GIT_AUTHOR_DATE="$(skew $who)"
		cd $who
		r=1
		while [ $r -le $R ]; do
			id=$(as $who new --title "$who round $r" 2>>"$TMP/$who.err")
			as $who comment "$id" -m "$who note $r" >/dev/null 2>>"$TMP/$who.err"
			n=0
			until as $who sync >/dev/null 2>>"$TMP/$who.err"; do
				n=$((n + 1))
				[ $n -ge 10 ] && { echo "$who gave up syncing" >>"$TMP/failed"; break; }
			done
			r=$((r + 1))
		done
	) &
done
wait
for who in alice bob carol dave; do
	(cd $who && as $who sync >/dev/null 2>>"$TMP/$who.err") || echo "$who final sync" >>"$TMP/failed"
done
same "no writer gave up" "$(cat "$TMP/failed" 2>/dev/null)" ""
cd "$TMP/alice"
as alice sync >/dev/null 2>&1
git -C "$TMP/srv/store.git" log --format=%s main >"$TMP/subjects"
git -C "$TMP/srv/store.git" log --format=%b main >"$TMP/bodies"
n=0
for who in alice bob carol dave; do
	r=1
	while [ $r -le $R ]; do
		c=$(grep -c "create — $who round $r\$" "$TMP/subjects")
		m=$(grep -c "^$who note $r\$" "$TMP/bodies")
		[ "$c" = 1 ] && [ "$m" = 1 ] || { n=$((n + 1)); echo "# $who round $r: $c creates, $m notes"; }
		r=$((r + 1))
	done
done
same "every step from every clone on the shared branch exactly once" "$n" "0"
same "$((4 * R)) changes, ids unique" \
	"$(git -C "$TMP/srv/store.git" ls-tree -r --name-only main changes | sed 's,.*/,,' | sort -u | wc -l)" "$((4 * R))"
# the week goes on: every requester readies and submits their first
# change; then bob assesses and approves them in his clone while their
# requesters comment on them, and alice and bob change the policy at once
for who in alice carol dave; do
	(
		export GIT_COMMITTER_DATE="$(skew $who)" GIT_AUTHOR_DATE="$(skew $who)"
		cd "$TMP/$who"
		as $who sync >/dev/null 2>>"$TMP/$who.err"
		id=$(grep -l "title: $who round 1\$" changes/*/*.yaml | sed 's,.*/,,; s,\.yaml,,')
		as $who set "$id" implementation_plan=p backout_plan=b test_plan=t \
			impact=low urgency=low >/dev/null 2>>"$TMP/$who.err" &&
		as $who submit "$id" >/dev/null 2>>"$TMP/$who.err" || echo "$who submit" >>"$TMP/failed2"
		n=0
		until as $who sync >/dev/null 2>>"$TMP/$who.err"; do
			n=$((n + 1))
			[ $n -ge 10 ] && { echo "$who gave up syncing" >>"$TMP/failed2"; break; }
		done
		echo "$id" >"$TMP/$who.id"
	) &
done
wait
(cd "$TMP/bob" && as bob sync >/dev/null 2>>"$TMP/bob.err")
for who in alice carol dave; do
	(
		export GIT_COMMITTER_DATE="$(skew $who)" GIT_AUTHOR_DATE="$(skew $who)"
		cd "$TMP/$who"
		id=$(cat "$TMP/$who.id")
		r=1
		while [ $r -le 3 ]; do
			as $who comment "$id" -m "$who waits $r" >/dev/null 2>>"$TMP/$who.err" || echo "$who comment $r" >>"$TMP/failed2"
			n=0
			until as $who sync >/dev/null 2>>"$TMP/$who.err"; do
				n=$((n + 1))
				[ $n -ge 10 ] && { echo "$who gave up syncing" >>"$TMP/failed2"; break; }
			done
			r=$((r + 1))
		done
	) &
done
(
	cd "$TMP/bob"
	for who in alice carol dave; do
		id=$(cat "$TMP/$who.id")
		as bob assess "$id" --risk low >/dev/null 2>>"$TMP/bob.err" &&
		as bob approve "$id" -m "ok for $who" >/dev/null 2>>"$TMP/bob.err" || echo "bob on $id" >>"$TMP/failed2"
		n=0
		until as bob sync >/dev/null 2>>"$TMP/bob.err"; do
			n=$((n + 1))
			[ $n -ge 10 ] && { echo "bob gave up syncing" >>"$TMP/failed2"; break; }
		done
	done
	as bob role grant carol@example.com implementer >/dev/null 2>>"$TMP/bob.err" || echo "bob grant" >>"$TMP/failed2"
	until as bob sync >/dev/null 2>>"$TMP/bob.err"; do n=$((n + 1)); [ $n -ge 20 ] && break; done
) &
(
	cd "$TMP/alice"
	as alice role grant dave@example.com implementer >/dev/null 2>>"$TMP/alice.err" || echo "alice grant" >>"$TMP/failed2"
	n=0
	until as alice sync >/dev/null 2>>"$TMP/alice.err"; do
		n=$((n + 1))
		[ $n -ge 10 ] && { echo "alice gave up syncing" >>"$TMP/failed2"; break; }
	done
) &
wait
same "the week's work went through" "$(cat "$TMP/failed2" 2>/dev/null)" ""
cd "$TMP/bob"
as bob sync >/dev/null 2>&1
for who in alice carol dave; do
	id=$(cat "$TMP/$who.id")
	f=$(git ls-tree -r --name-only HEAD changes | grep "/$id.yaml\$")
	same "$id authorized by bob's approval made in his clone" \
		"$(git show HEAD:"$f" | grep -E '^state:|^  - by: bob' | tr '\n' ' ')" "state: authorized   - by: bob@example.com "
	same "$who's comments all there" "$(git log --format=%b | grep -c "^$who waits [123]\$")" "3"
done
same "bob's approvals, each once" "$(git log --format=%s | grep -c ': approve ')" "3"
git show HEAD:.crq/policy.yaml | "$PY" -c '
import sys, yaml
p = yaml.safe_load(sys.stdin)
m = {x["email"]: x for x in p["members"]}
r = lambda e: [x if isinstance(x, str) else x["role"] for x in m[e]["roles"]]
assert "implementer" in r("carol@example.com") and "implementer" in r("dave@example.com"), p
' && ok "both admins' grants are in the policy" || not_ok "a policy step was lost"
for c in $(git rev-list HEAD); do
	p=$(git rev-parse "$c^" 2>/dev/null) || continue
	[ "$(git log -1 --format=%ct "$c")" -ge "$(git log -1 --format=%ct "$p")" ] || { not_ok "time goes back at $c"; break; }
done
ok "no committer time goes back on the shared branch"
for who in alice bob carol dave; do
	(cd "$TMP/$who" && as $who sync >/dev/null 2>&1)
	expect 0 "" "$CRQ" -C "$TMP/$who" verify
	check "git fsck clean in $who" git -C "$TMP/$who" fsck --strict --no-progress
done
check "git fsck clean on the server" git -C "$TMP/srv/store.git" fsck --strict --no-progress
stop_daemon
done_testing
