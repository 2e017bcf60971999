#!/bin/sh
# Man pages and shell completion from the one command table:
# doc/man/gen.sh renders every page, each page names every option
# `crq help CMD` names, and the completions complete from crq itself.
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
case $CRQ in /*) ;; *) CRQ=$ROOT/$CRQ ;; esac
MAN=$TMP/man
check "gen.sh renders all pages" sh "$ROOT/doc/man/gen.sh" "$CRQ" "$MAN"
same "a page per command plus crq.1" \
	"$(ls "$MAN" | grep -c '\.1$')" "$(( $("$CRQ" help --commands | wc -l) + 1 ))"

bad=""
for f in "$MAN"/*; do
	w=$(groff -ww -z -man "$f" 2>&1)
	[ -z "$w" ] || bad="$bad $(basename "$f"): $w"
	n=$(basename "$f"); n=${n%.[0-9]}
	MANWIDTH=80 man -l "$f" 2>/dev/null | grep -q "^ *$n - " ||
		bad="$bad $n:no-NAME"
done
same "every page renders without warnings, with its NAME line" "$bad" ""

bad=""
for c in $("$CRQ" help --commands); do
	page=$(MANWIDTH=200 man -l "$MAN/crq-$c.1" 2>/dev/null | sed 's/‐//g')
	for o in $("$CRQ" help --options "$c"); do
		printf '%s\n' "$page" | grep -qF -- "$o" || bad="$bad $c:$o"
	done
	# the synopsis: each usage line, whitespace squeezed
	u=$("$CRQ" help "$c" | sed -n '1,/^$/p' | sed 's/^usage: //' | tr -s ' \n' '  ')
	s=$(printf '%s\n' "$page" | sed -n '/^SYNOPSIS/,/^[A-Z]/p' | sed '1d;$d' | tr -s ' \n' '  ')
	case "$s" in *"$(printf '%s' "$u" | sed 's/^ *//;s/ *$//' | cut -c1-40)"*) ;; *) bad="$bad $c:synopsis" ;; esac
done
same "every option of crq help CMD is in crq-CMD(1); synopsis = usage" "$bad" ""

# A store with changes and members for completion.
cd "$TMP"
"$CRQ" init s >/dev/null
cd s
"$CRQ" new --title "Patch web" --service web --risk low >/dev/null
"$CRQ" new --title "DB upgrade" --service db --risk high >/dev/null
mkdir -p "$TMP/bin"
ln -sf "$CRQ" "$TMP/bin/crq"
PATH=$TMP/bin:$PATH
export PATH

comp() { # comp WORDS...: the bash completions of the last word
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1));
		_crq; printf "%s\n" "${COMPREPLY[@]}"' _ "$ROOT/completion/crq.bash" "$@"
}
same "bash: crq ap<TAB>" "$(comp crq ap)" "approve"
same "bash: crq approve <TAB> gives the ids" "$(comp crq approve '' | tr '\n' ' ')" \
	"$("$CRQ" list --format '%(id)' | tr '\n' ' ')"
comp crq approve -- | grep -qx -- --role && ok "bash: crq approve --<TAB> has --role" ||
	not_ok "bash: crq approve --<TAB>: $(comp crq approve -- | tr '\n' ' ')"
me=$(git config user.email)
comp crq role grant '' | grep -qxF -- "$me" && ok "bash: crq role grant <TAB> lists members" ||
	not_ok "bash: crq role grant <TAB>: $(comp crq role grant '' | tr '\n' ' ')"

if [ -f "$ROOT/completion/_crq" ] && command -v zsh >/dev/null; then
	check "zsh -n completion/_crq" zsh -n "$ROOT/completion/_crq"
fi
if [ -f "$ROOT/completion/crq.fish" ] && command -v fish >/dev/null; then
	check "fish -n completion/crq.fish" fish -n "$ROOT/completion/crq.fish"
	same "fish: crq ap<TAB>" "$(fish -c "source $ROOT/completion/crq.fish; complete -C 'crq ap'" | cut -f1)" "approve"
fi
done_testing
