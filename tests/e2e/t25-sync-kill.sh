#!/bin/sh
# crq sync killed with SIGKILL at random points (fetch, replay, push,
# moving the branch; with its git or alone, leaving a git push to land
# later), then finished by --continue or a fresh crq sync:
# every step that reported success ends on the shared branch exactly
# once, nothing is left half-done, verify is clean everywhere.
. "$(dirname "$0")/lib.sh"

K=${CRQ_KILL_ROUNDS:-14}
cd "$TMP"
"$CRQ" init seed >/dev/null
cd seed
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role requester >/dev/null
cd ..
mkdir srv
git clone -q --bare seed srv/server.git
(cd srv/server.git && "$CRQ" hook install >/dev/null)
# served by git daemon: a kill of the client's process group leaves the
# server's receive-pack alone, as on a real server
serve server.git
git clone -q "$GITURL/server.git" a
git clone -q "$GITURL/server.git" b
ln -s srv/server.git server.git

# delays in ms: a fixed, varied list, so a failure can be run again
delays=${CRQ_KILL_DELAYS:-"5 40 80 120 160 200 250 300 350 400 500 650 800 1000"}
r=1
: >"$TMP/made"
for d in $delays; do
	[ $r -gt "$K" ] && break
	# a moves the remote, so b's sync must replay
	(cd a && as alice sync >/dev/null 2>&1
	 as alice new --title "a round $r" >/dev/null && echo "a round $r" >>"$TMP/made"
	 as alice sync >/dev/null 2>>"$TMP/a.err") || echo "a sync $r" >>"$TMP/failed"
	cd b
	id=$(as bob new --title "b round $r" 2>>"$TMP/b.err") && echo "b round $r" >>"$TMP/made"
	as bob comment "$id" -m "b note $r" >/dev/null 2>>"$TMP/b.err" && echo "note b note $r" >>"$TMP/made"
	# killed somewhere in the middle: in odd rounds crq and its git
	# together, in even ones crq alone, so that a git push cut loose
	# may land after the next sync has looked
	fg=
	[ $((r % 2)) = 0 ] && fg=--foreground
	timeout $fg -s KILL "$(awk "BEGIN { print $d / 1000 }")" \
		env GIT_AUTHOR_NAME=bob GIT_AUTHOR_EMAIL=bob@example.com \
		GIT_COMMITTER_NAME=bob GIT_COMMITTER_EMAIL=bob@example.com \
		"$CRQ" -c user.signingkey="$(keyfor bob)" sync >/dev/null 2>&1
	# every other round finishes with --continue when there is a sync
	# to continue, else with a fresh sync
	if [ $((r % 2)) = 0 ] && [ -f .git/crq/sync-state ]; then
		as bob sync --continue >"$TMP/out" 2>"$TMP/err" || { echo "continue $r: $(cat "$TMP/err")" >>"$TMP/failed"; }
	else
		n=0
		until as bob sync >"$TMP/out" 2>"$TMP/err"; do
			n=$((n + 1))
			[ $n -ge 5 ] && { echo "sync $r: $(cat "$TMP/err")" >>"$TMP/failed"; break; }
		done
	fi
	[ -f .git/crq/sync-state ] && echo "state left after round $r" >>"$TMP/failed"
	cd ..
	r=$((r + 1))
done
(cd a && as alice sync >/dev/null 2>&1)
(cd b && as bob sync >/dev/null 2>&1)
same "every sync finished" "$(cat "$TMP/failed" 2>/dev/null)" ""
git -C server.git log --format=%s main >"$TMP/subjects"
git -C server.git log --format=%b main >"$TMP/bodies"
lost=0
while read -r what; do
	case $what in
	"note "*) c=$(grep -c "^${what#note }\$" "$TMP/bodies") ;;
	*) c=$(grep -c "create — $what\$" "$TMP/subjects") ;;
	esac
	[ "$c" = 1 ] || { lost=$((lost + 1)); echo "# $what: $c times on the server"; }
done <"$TMP/made"
same "every step that reported success is on the server exactly once" "$lost" "0"
[ "$(wc -l <"$TMP/made")" -ge $((3 * K)) ] && ok "all $((3 * K)) steps were made" || not_ok "steps made: $(wc -l <"$TMP/made")"
for c in a b; do
	expect 0 "" "$CRQ" -C "$TMP/$c" verify
	same "$c agrees with the server" "$(git -C "$TMP/$c" rev-parse HEAD)" "$(git -C server.git rev-parse main)"
	fsck_clean "$TMP/$c"
done
same "no replay ref left behind" "$(git -C b for-each-ref refs/crq/replay | wc -l)" "0"
done_testing
