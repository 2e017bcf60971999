# bash completion for crq: names come from crq itself
# (crq help --commands, crq help --options CMD, crq list, crq member list).
_crq_emails() {
	crq member list --json 2>/dev/null | tr ',{}[]' '\n\n\n\n\n' |
		sed -n 's/^ *"email" *: *"\([^"]*\)".*/\1/p'
}
_crq_ids() {
	crq list --format '%(id)' 2>/dev/null
}
_crq() {
	local cur=${COMP_WORDS[COMP_CWORD]} cmd="" i w sub=""
	COMPREPLY=()
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		-C|-c) ((i++)); continue ;;
		-*) continue ;;
		esac
		if [[ -z $cmd ]]; then cmd=$w; elif [[ -z $sub ]]; then sub=$w; fi
	done
	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$(crq help --commands 2>/dev/null)" -- "$cur"))
		return
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(crq help --options "$cmd" 2>/dev/null)" -- "$cur"))
		return
	fi
	case $cmd in
	help) COMPREPLY=($(compgen -W "$(crq help --commands 2>/dev/null)" -- "$cur")) ;;
	member) if [[ -z $sub ]]; then COMPREPLY=($(compgen -W "add remove list" -- "$cur"))
		else COMPREPLY=($(compgen -W "$(_crq_emails)" -- "$cur")); fi ;;
	role) if [[ -z $sub ]]; then COMPREPLY=($(compgen -W "grant revoke" -- "$cur"))
		else COMPREPLY=($(compgen -W "$(_crq_emails)" -- "$cur")); fi ;;
	hook) [[ -z $sub ]] && COMPREPLY=($(compgen -W "install pre-receive post-receive pre-push pre-commit pre-merge-commit" -- "$cur")) ;;
	init|new|batch|schema) COMPREPLY=($(compgen -f -- "$cur")) ;;
	*) COMPREPLY=($(compgen -W "$(_crq_ids)" -- "$cur")) ;;
	esac
}
complete -F _crq crq
