# fish completion for crq: names come from crq itself.
function __crq_cmd
	set -l t (commandline -opc)
	for w in $t[2..-1]
		switch $w
			case '-*'
			case '*'
				echo $w
				return
		end
	end
end
function __crq_options
	set -l c (__crq_cmd)
	test -n "$c"; and crq help --options $c 2>/dev/null
end
function __crq_ids
	crq list --format '%(id)' 2>/dev/null
end
function __crq_emails
	crq member list --json 2>/dev/null | tr ',{}[]' '\n\n\n\n\n' | sed -n 's/^ *"email" *: *"\([^"]*\)".*/\1/p'
end
complete -c crq -f
complete -c crq -n 'test (count (__crq_cmd)) -eq 0' -a '(crq help --commands 2>/dev/null)'
complete -c crq -n 'test (count (__crq_cmd)) -gt 0; and string match -q -- "-*" (commandline -ct)' -a '(__crq_options)'
complete -c crq -n '__fish_seen_subcommand_from help' -a '(crq help --commands 2>/dev/null)'
complete -c crq -n '__fish_seen_subcommand_from role member' -a '(__crq_emails)'
complete -c crq -n 'not __fish_seen_subcommand_from help role member init new batch schema hook policy cache template; and test (count (__crq_cmd)) -gt 0' -a '(__crq_ids)'
