#!/bin/sh
# Git hooks with a real git push: a bare server with crq's pre-receive
# hook takes legal histories and rejects hostile ones, rewrites and
# deletions of a change store; the client's pre-push does the same.
. "$(dirname "$0")/lib.sh"

cd "$TMP"
git init -q --bare -b main server.git
expect 0 "" "$CRQ" -C server.git hook install
same "pre-receive installed, executable" "$(test -x server.git/hooks/pre-receive && echo yes)" "yes"
expect 0 "" "$CRQ" -C server.git hook install
printf '#!/bin/sh\nexit 0\n' >"$TMP/foreign"
git init -q --bare -b main other.git
cp "$TMP/foreign" other.git/hooks/pre-receive
expect 1 "exists and is not crq's" "$CRQ" -C other.git hook install
same "a foreign hook is left alone" "$(cat other.git/hooks/pre-receive)" "$(cat "$TMP/foreign")"

"$CRQ" init s >/dev/null
cd s
as alice member add bob@example.com --key "$(keyfor bob).pub" --name Bob \
	--role change-manager --role implementer >/dev/null
as alice new --title "Pushed change" --service web >/dev/null
git remote add origin "$TMP/server.git"
expect 0 "" git push -q origin main
same "legal history landed" "$(git -C "$TMP/server.git" rev-parse main)" "$(git rev-parse main)"
same "the first push pinned the store's root on the server" \
	"$(git -C "$TMP/server.git" config crq.trust)" "$(git rev-list --max-parents=0 main)"
# install on a server that already holds a store pins its root at once
git clone -q --bare . "$TMP/second.git"
expect 0 "" "$CRQ" -C "$TMP/second.git" hook install
grep -q "pinned the trusted root $(git rev-list --max-parents=0 main)" "$TMP/out" &&
	ok "hook install pins the root" || not_ok "pin: $(cat "$TMP/out")"
# a re-rooted store (a history of its own, verifying by itself) is
# refused (another hour: the same init at the same second by the same
# member would be the very same root commit)
(
	export GIT_COMMITTER_DATE=2026-11-23T11:00:00Z GIT_AUTHOR_DATE=2026-11-23T11:00:00Z
	cd "$TMP" && "$CRQ" init rerooted >/dev/null && cd rerooted &&
	as alice new --title "Other history" >/dev/null
)
git fetch -q "$TMP/rerooted" main:rerooted
expect 1 "does not descend from the trusted root" git push origin rerooted:refs/heads/other
# replace refs would show other clones another history
expect 1 "replace refs" git push origin "$(git rev-parse main):refs/replace/$(git rev-parse main~1)"
old=$(git rev-parse main)
as alice set CHG-000001 risk=low >/dev/null
expect 0 "" git push -q origin main
same "a new legal step landed" "$(git -C "$TMP/server.git" rev-parse main)" "$(git rev-parse main)"

# an unsigned step by hand
git checkout -q -b hostile
sed -i 's/^title: Pushed change$/title: Sneaky/' changes/000/CHG-000001.yaml
git commit -q -am "CHG-000001: edit — x

Crq-Change: CHG-000001
Crq-Action: edit
Crq-From: draft
Crq-To: draft"
expect 1 "unsigned: a commit touching crq files must be signed" git push origin hostile:main
grep -q "pre-receive hook declined" "$TMP/err" && ok "git reports the hook's refusal" || not_ok "declined"
same "server unchanged" "$(git -C "$TMP/server.git" rev-parse main)" "$(git rev-parse main)"

# a rewrite of verified history
expect 1 "does not descend from" git push --force origin "$old:main"
same "server still at its tip" "$(git -C "$TMP/server.git" rev-parse main)" "$(git rev-parse main)"
expect 1 "refusing to delete refs/heads/main" git push origin :main

# one push of several branches and tags: each ref is checked, and one
# bad ref among good ones refuses the push, named (pre-receive is all
# or nothing: none of them lands)
git branch feature main
git tag -a v1 -m "release 1" main
git tag light main
expect 0 "" git push -q origin main feature v1 light
same "branches and tags landed in one push" \
	"$(git -C "$TMP/server.git" rev-parse feature v1^{} light | sort -u)" "$(git rev-parse main)"
as alice comment CHG-000001 -m "one more step" >/dev/null
git branch feature2 main
git tag -a v2 -m "release 2" main
git tag -a bad-tag -m "sneaky" hostile
tip=$(git -C "$TMP/server.git" rev-parse main)
expect 1 "refusing refs/tags/bad-tag: " git push origin main feature2 v2 bad-tag
grep -q "refusing refs/heads/main\|refusing refs/heads/feature2\|refusing refs/tags/v2" "$TMP/err" &&
	not_ok "good refs named as refused: $(grep refusing "$TMP/err")" || ok "only the bad ref is named"
same "nothing of the refused push landed" \
	"$(git -C "$TMP/server.git" rev-parse main; git -C "$TMP/server.git" rev-parse -q --verify feature2 || echo none; git -C "$TMP/server.git" rev-parse -q --verify v2 || echo none)" \
	"$(printf '%s\nnone\nnone' "$tip")"
git branch hostile2 hostile
expect 1 "refusing refs/heads/hostile2: " git push origin feature2 hostile2 v2
# a rewrite or a deletion of the store branch among good refs
expect 1 "refusing refs/heads/main: " git push --force origin "$old:main" feature2 v2
expect 1 "refusing to delete refs/heads/main" git push origin :main feature2 v2
same "the store branch survived" "$(git -C "$TMP/server.git" rev-parse main)" "$tip"
expect 0 "" git push -q origin main feature2 v2
same "then the good refs land" "$(git -C "$TMP/server.git" rev-parse feature2 v2^{} | sort -u)" "$(git rev-parse main)"
git tag -d bad-tag >/dev/null
git branch -q -D hostile2
# branches without a change store are not crq's business
git checkout -q --orphan code
git rm -q -rf . >/dev/null
echo code >main.c && git add main.c && git -c user.name=x -c user.email=x@example.com commit -q -m code
expect 0 "" git push -q origin code
git checkout -q main

# the client side: pre-push refuses before anything leaves
expect 0 "" "$CRQ" hook install
same "pre-commit and pre-push installed" "$(ls .git/hooks/pre-commit .git/hooks/pre-push | wc -l)" "2"
# pre-commit: what is staged must be valid
printf 'title: no\n' >>changes/000/CHG-000001.yaml
git add changes/000/CHG-000001.yaml
expect 1 "changes/000/CHG-000001.yaml:" git -c user.name=x -c user.email=x@example.com commit -m "hand edit"
grep -q "commit refused: " "$TMP/err" && ok "pre-commit refuses an invalid staged change file" || not_ok "pre-commit: $(cat "$TMP/err")"
git reset -q --hard
echo "notes" >README && git add README
expect 0 "" git -c user.name=x -c user.email=x@example.com commit -q -m "code only"
git -C "$TMP/server.git" config receive.denyNonFastForwards false
rm "$TMP/server.git/hooks/pre-receive"
expect 1 "unsigned" git push origin hostile:refs/heads/hostile
same "nothing reached the server" "$(git -C "$TMP/server.git" rev-parse -q --verify hostile || echo none)" "none"
# pre-push names the remote ref, the one the push would update
expect 1 "refusing refs/heads/sneaky: " git push origin main hostile:refs/heads/sneaky
expect 1 "refusing to delete refs/heads/main" git push origin :main
same "the server still has its store" "$(git -C "$TMP/server.git" rev-parse -q --verify main >/dev/null && echo yes)" "yes"
expect 0 "" as alice comment CHG-000001 -m "via pre-push"
expect 0 "" git push -q origin main
done_testing
