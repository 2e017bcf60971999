# fish completion for crq: names come from crq itself (crq help
# --commands, crq $__crq_g help --options CMD, crq list, crq $__crq_g member list, crq role
# list, crq $__crq_g policy states), run with the -C DIR and -c NAME=VALUE given
# before the command ($__crq_g), so they read the store being completed.
function __crq_emails
	crq $__crq_g member list 2>/dev/null | string replace -r ' .*' ''
end
function __crq_ids
	crq $__crq_g list --format '%(id)' 2>/dev/null
end
function __crq_roles
	crq $__crq_g role list 2>/dev/null | string replace -r ' .*' ''
end
function __crq_states
	crq $__crq_g policy states 2>/dev/null
end
function __crq_templates
	crq $__crq_g template list 2>/dev/null | string replace -r ' .*' ''
end
# The candidates for the word at the cursor: the command, its
# subcommand, an option's value, an option, a change id.
function __crq_complete
	set -l t (commandline -opc)
	set -l cur (commandline -ct)
	set -l cmd
	set -l sub
	set -l npos 0
	set -l skip 0
	set -l prev
	set -l global 0
	set -g __crq_g
	set -e t[1]
	test (count $t) -gt 0; and set prev $t[-1]
	for w in $t
		if test $skip = 1
			set skip 0
			if test $global = 1
				set -a __crq_g $w
				set global 0
			end
			continue
		end
		switch $w
			# crq's own -C and -c: the store the names come from
			case -C -c
				set skip 1
				if test -z "$cmd"
					set -a __crq_g $w
					set global 1
				end
			# options whose value is the next word
			case --until --name --key --handle --role
				set skip 1
			case '-*'
			case '*'
				if test -z "$cmd"
					set cmd $w
				else if test -z "$sub"
					set sub $w
				else
					set npos (math $npos + 1)
				end
		end
	end
	if test -z "$cmd"
		switch "$prev"
			case -C
				__fish_complete_directories "$cur"
			case -c
			case '*'
				crq $__crq_g help --commands 2>/dev/null
		end
		return
	end
	# the value of an option
	switch "$prev"
		case --role
			__crq_roles; return
		case --state
			__crq_states; return
		case --member --requester --implementer --owner
			__crq_emails; return
		case --needs
			__crq_emails; __crq_roles; return
		case --change
			__crq_ids; return
		case --from
			test "$cmd" = new; and __crq_ids; return
		case --template
			__crq_templates; return
		case --key -F -o
			__fish_complete_path "$cur"; return
		# free text, times and the like: nothing to offer
		case -m --message --title --name --handle --until --since --at --to --start --end --grep --trust --format --type --risk --service --impact --urgency --close-code --sla --kind --base --head
			return
	end
	if string match -q -- '-*' "$cur"
		crq $__crq_g help --options $cmd 2>/dev/null
		return
	end
	switch $cmd
		case help
			crq $__crq_g help --commands 2>/dev/null
		case member
			if test -z "$sub"
				printf '%s\n' add remove list
			else if test "$sub" = remove -a $npos = 0
				__crq_emails
			end
		case role
			if test -z "$sub"
				printf '%s\n' grant revoke list
			else if test "$sub" = list
			else if test $npos = 0
				__crq_emails
			else if test $npos = 1
				__crq_roles
			end
		case policy
			if test -z "$sub"
				printf '%s\n' check show states apply approve withdraw allowed-signers
			else if test "$sub" = check -o "$sub" = apply
				__fish_complete_path "$cur"
			end
		case template
			if test -z "$sub"
				printf '%s\n' list show
			else if test "$sub" = show -a $npos = 0
				__crq_templates
			end
		case cache
			test -z "$sub"; and printf '%s\n' status clear
		case hook
			test -z "$sub"; and printf '%s\n' install pre-receive post-receive pre-push pre-commit pre-merge-commit
		case init new batch schema
			__fish_complete_path "$cur"
		case '*'
			__crq_ids
	end
end
complete -c crq -f -a '(__crq_complete)'
