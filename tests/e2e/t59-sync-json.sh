#!/bin/sh
# crq sync --json: structured fields (what was fetched, pushed,
# fast-forwarded, replayed step by step, where it stopped, who refused
# the push), each checked against what git shows, with one stable
# shape whatever happened; the text output stays as it was (t19).
. "$(dirname "$0")/lib.sh"

cd "$TMP"
"$CRQ" init seed >/dev/null
cd seed
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role requester --role change-manager >/dev/null
as alice new --title "Shared" >/dev/null
cd ..
git clone -q --bare seed server.git
git clone -q server.git a
git clone -q server.git b
SRV=$TMP/server.git

# j FILE EXPR: a python expression over the JSON object o in FILE
j() { $PY -c 'import json,sys; o=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
KEYS="['branch', 'error', 'fast_forward', 'fetched', 'head', 'landed', 'local', 'mode', 'ok', 'outcome', 'pushed', 'refused', 'remote', 'replay', 'report', 'resumed', 'retries', 'steps', 'stopped']"
shape() { same "$1: every key there" "$(j "$TMP/out" 'sorted(o)')" "$KEYS"; }

# ---- only the branch moved: pushed ----
cd a
as alice new --title "From A" >/dev/null
as alice set CHG-000002 risk=low >/dev/null
up=$(git -C "$SRV" rev-parse main)
local=$(git rev-parse HEAD)
expect 0 "" "$CRQ" sync --json
shape "pushed"
same "pushed: outcome, mode, ok, no error" \
	"$(j "$TMP/out" '(o["outcome"], o["mode"], o["ok"], o["error"], o["remote"], o["branch"])')" \
	"('pushed', 'run', True, None, 'origin', 'main')"
same "pushed: fetched is the server's tip before" \
	"$(j "$TMP/out" 'o["fetched"]["ref"] + " " + o["fetched"]["tip"]')" "refs/remotes/origin/main $up"
same "pushed: local is the branch" "$(j "$TMP/out" 'o["local"]')" "$local"
same "pushed: from, to and steps as git has them" \
	"$(j "$TMP/out" '"%s %s %d %s" % (o["pushed"]["from"], o["pushed"]["to"], o["pushed"]["steps"], o["pushed"]["new_branch"])')" \
	"$up $(git -C "$SRV" rev-parse main) $(git rev-list --count "$up..$local") False"
same "pushed: head is the branch after" "$(j "$TMP/out" 'o["head"]')" "$(git rev-parse HEAD)"
same "pushed: no replay, no fast-forward, no steps" \
	"$(j "$TMP/out" '(o["replay"], o["fast_forward"], o["steps"], o["stopped"], o["refused"], o["retries"])')" \
	"(None, None, [], None, None, 0)"
same "pushed: the report is the text output's line" \
	"$(j "$TMP/out" 'len(o["report"]), o["report"][0].startswith("pushed 2 steps to origin/main (")')" "(1, True)"

# ---- nothing to do ----
expect 0 "" "$CRQ" sync --json
shape "up-to-date"
same "up-to-date: outcome, nothing pushed, head unchanged" \
	"$(j "$TMP/out" '(o["outcome"], o["pushed"], o["head"] == o["local"] == o["fetched"]["tip"])')" "('up-to-date', None, True)"
same "up-to-date: head is the server's" "$(j "$TMP/out" 'o["head"]')" "$(git -C "$SRV" rev-parse main)"

# ---- only the remote moved: fast-forwarded ----
cd ../b
before=$(git rev-parse HEAD)
"$CRQ" sync --json >"$TMP/ff.json"
cp "$TMP/ff.json" "$TMP/out"
shape "fast-forwarded"
same "fast-forwarded: from, to, steps as git has them" \
	"$(j "$TMP/out" '"%s %s %s %d" % (o["outcome"], o["fast_forward"]["from"], o["fast_forward"]["to"], o["fast_forward"]["steps"])')" \
	"fast-forwarded $before $(git -C "$SRV" rev-parse main) $(git rev-list --count "$before..HEAD")"
same "fast-forwarded: head is HEAD, nothing pushed" \
	"$(j "$TMP/out" 'o["head"], o["pushed"]')" "('$(git rev-parse HEAD)', None)"

# ---- both moved: replayed, renumbered ----
cd ../a
as alice new --title "A again" >/dev/null
"$CRQ" sync >/dev/null
cd ../b
as bob new --title "From B" >/dev/null
as bob comment CHG-000001 -m "B was here" >/dev/null
up=$(git -C "$SRV" rev-parse main)
git rev-list --reverse origin/main..HEAD >"$TMP/want-commits"
git log --reverse --format='%(trailers:key=Crq-Action,valueonly)' origin/main..HEAD | sed '/^$/d' >"$TMP/want-actions"
expect 0 "" as bob sync --json
shape "replayed"
same "replayed: outcome" "$(j "$TMP/out" 'o["outcome"]')" "replayed"
same "replayed: the steps are b's local commits, oldest first" \
	"$(j "$TMP/out" '"\n".join(s["commit"] for s in o["steps"])')" "$(cat "$TMP/want-commits")"
same "replayed: each step's action is its Crq-Action trailer" \
	"$(j "$TMP/out" '"\n".join(s["action"] for s in o["steps"])')" "$(cat "$TMP/want-actions")"
same "replayed: the new change was renumbered, the comment kept its id" \
	"$(j "$TMP/out" '[(s["outcome"], s["change"], s["renumbered"]) for s in o["steps"]]')" \
	"[('replayed', 'CHG-000003', 'CHG-000004'), ('replayed', 'CHG-000001', None)]"
same "replayed: onto the server's tip before, result pushed" \
	"$(j "$TMP/out" '"%s %s %d %d" % (o["replay"]["onto"], o["replay"]["result"], o["replay"]["replayed"], o["replay"]["dropped"])')" \
	"$up $(git -C "$SRV" rev-parse main) 2 0"
same "replayed: pushed from the old tip to the new, steps by git" \
	"$(j "$TMP/out" '"%s %s %d" % (o["pushed"]["from"], o["pushed"]["to"], o["pushed"]["steps"])')" \
	"$up $(git -C "$SRV" rev-parse main) $(git -C "$SRV" rev-list --count "$up..main")"
same "replayed: head = HEAD = the server's main" \
	"$(j "$TMP/out" 'o["head"]') $(git rev-parse HEAD)" "$(git -C "$SRV" rev-parse main) $(git -C "$SRV" rev-parse main)"
same "replayed: CHG-000004 is b's on the server" \
	"$(git -C "$SRV" show main:changes/000/CHG-000004.yaml | grep '^title:')" "title: From B"
cd ../a && "$CRQ" sync >/dev/null && cd ../b

# ---- a step that no longer applies: stopped ----
as bob set CHG-000002 risk=medium >/dev/null
mine=$(git rev-parse HEAD)
(cd ../a && as alice cancel CHG-000002 >/dev/null && "$CRQ" sync >/dev/null)
expect 1 "cannot edit CHG-000002: it is cancelled" as bob sync --json
shape "stopped"
same "stopped: outcome, ok, error kind" \
	"$(j "$TMP/out" '(o["outcome"], o["ok"], o["error"]["kind"])')" "('stopped', False, 'conflict')"
same "stopped: at b's step, named by git" "$(j "$TMP/out" 'o["stopped"]["commit"]')" "$mine"
same "stopped: the step's outcome and reason" \
	"$(j "$TMP/out" '(o["steps"][-1]["commit"], o["steps"][-1]["outcome"], "it is cancelled" in o["steps"][-1]["reason"])')" \
	"('$mine', 'stopped', True)"
same "stopped: nothing pushed, the branch as it was" \
	"$(j "$TMP/out" '(o["pushed"], o["head"])')" "(None, '$mine')"
same "stopped: the branch is where it was (git)" "$(git rev-parse HEAD)" "$mine"
expect 1 "" as bob sync --continue --json
same "continue: mode, resumed from a stopped sync" \
	"$(j "$TMP/out" '(o["mode"], o["resumed"], o["outcome"])')" "('continue', 'stopped', 'stopped')"
expect 0 "" as bob sync --skip --json
shape "skip"
same "skip: the step is skipped, kept under refs/crq/sync" \
	"$(j "$TMP/out" '[(s["commit"], s["outcome"]) for s in o["steps"]]')" "[('$mine', 'skipped')]"
case $(j "$TMP/out" 'o["steps"][0]["reason"]') in *refs/crq/sync/main*) ok "skip: the reason names the ref" ;;
	*) not_ok "skip reason: $(j "$TMP/out" 'o["steps"][0]["reason"]')" ;; esac
same "skip: nothing left to push; head is the server's" \
	"$(j "$TMP/out" '(o["outcome"], o["pushed"], o["head"])')" "('replayed', None, '$(git -C "$SRV" rev-parse main)')"
same "skip: the skipped step is still at refs/crq/sync/main" "$(git rev-parse refs/crq/sync/main)" "$mine"

# ---- the push refused by the remote's hook ----
as bob comment CHG-000001 -m "refused one" >/dev/null
printf '#!/bin/sh\necho "no pushes today" >&2\nexit 1\n' >"$SRV/hooks/pre-receive"
chmod +x "$SRV/hooks/pre-receive"
up=$(git -C "$SRV" rev-parse main)
expect 1 "refused the push" as bob sync --json
shape "refused"
same "refused: outcome, by, error kind" \
	"$(j "$TMP/out" '(o["outcome"], o["refused"]["by"], o["error"]["kind"])')" "('refused', 'remote', 'denied')"
case $(j "$TMP/out" 'o["refused"]["message"]') in *"no pushes today"*) ok "refused: the hook's words" ;;
	*) not_ok "refused message: $(j "$TMP/out" 'o["refused"]')" ;; esac
same "refused: the server did not move, nothing pushed" \
	"$(git -C "$SRV" rev-parse main) $(j "$TMP/out" 'o["pushed"]')" "$up None"
rm "$SRV/hooks/pre-receive"
expect 0 "" as bob sync --json
same "after the hook goes: pushed" "$(j "$TMP/out" 'o["outcome"]')" "pushed"

# ---- a sync killed after its push landed: the next one finishes it ----
# the server's post-receive hook kills the crq that pushed (its own
# ancestor, found through /proc), after the push landed and before the
# branch moved
(cd ../a && as alice comment CHG-000001 -m "A again" >/dev/null && "$CRQ" sync >/dev/null)
as bob comment CHG-000001 -m "cut short" >/dev/null
cat >"$SRV/hooks/post-receive" <<'HOOK'
#!/bin/sh
p=$PPID
while [ "$p" -gt 1 ]; do
	if [ "$(cat /proc/$p/comm 2>/dev/null)" = crq ]; then
		kill -9 "$p"
		exit 0
	fi
	p=$(awk '{ print $4 }' /proc/$p/stat 2>/dev/null || echo 1)
done
HOOK
chmod +x "$SRV/hooks/post-receive"
before=$(git rev-parse HEAD)
as bob sync --json >/dev/null 2>&1
rm "$SRV/hooks/post-receive"
if [ -f .git/crq/sync-state ] && [ "$(git rev-parse HEAD)" = "$before" ]; then
	ok "the killed sync left its journal and the branch"
	landed=$(git -C "$SRV" rev-parse main)
	expect 0 "" as bob sync --json
	shape "landed"
	same "landed: resumed an interrupted sync, found its push on the server" \
		"$(j "$TMP/out" '(o["resumed"], o["landed"], o["outcome"])')" "('interrupted', '$landed', 'landed')"
	same "landed: head is the server's main, and HEAD" \
		"$(j "$TMP/out" 'o["head"]') $(git rev-parse HEAD)" "$landed $landed"
	same "landed: the journal is gone" "$(ls .git/crq/sync-state 2>/dev/null)" ""
else
	not_ok "the sync was not cut short after its push: $(git rev-parse HEAD) $(ls .git/crq 2>&1)"
fi

# ---- a branch new on the remote ----
git init -q --bare "$TMP/empty.git"
git remote add empty "$TMP/empty.git"
expect 0 "" "$CRQ" sync --json empty
same "new branch: remote, from null, steps = every commit" \
	"$(j "$TMP/out" '(o["remote"], o["pushed"]["from"], o["pushed"]["new_branch"], o["pushed"]["steps"], o["fetched"]["tip"])')" \
	"('empty', None, True, $(git rev-list --count HEAD), None)"
same "new branch: the remote has HEAD" "$(git -C "$TMP/empty.git" rev-parse main)" "$(git rev-parse HEAD)"

# ---- failures: still one object of the same shape ----
expect 128 "no remote 'nowhere'" "$CRQ" sync --json nowhere
shape "no remote"
same "no remote: failed, repo error, nothing fetched" \
	"$(j "$TMP/out" '(o["outcome"], o["ok"], o["error"]["kind"], o["fetched"], o["remote"])')" \
	"('failed', False, 'repo', None, 'nowhere')"
expect 1 "no crq sync is in progress" "$CRQ" sync --abort --json
same "abort without a sync: failed, not-found" \
	"$(j "$TMP/out" '(o["mode"], o["outcome"], o["error"]["kind"])')" "('abort', 'failed', 'not-found')"
expect 129 "crq sync works in a checked-out store" "$CRQ" -C "$SRV" sync --json
expect 129 "option '--json' given twice" "$CRQ" sync --json --json
expect 129 "--skip and --abort together" "$CRQ" sync --skip --abort --json
same "usage errors print no JSON" "$(cat "$TMP/out")" ""
fsck_clean .
done_testing
