/*
 * main.c - global options, the command table and dispatch.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd.h"

const struct cmd commands[] = {
	{ "init", cmd_init, "crq init [DIR]",
	  "create a change store (a git repository with .crq/)",
	  "Creates the git repository at DIR (default: the current directory)\n"
	  "if there is none, on branch main, writes .crq/policy.yaml and\n"
	  ".crq/templates/ from crq's examples and commits them.\n" },
	{ "new", cmd_new, "crq new [options]",
	  "create a change request; prints its id",
	  "Options:\n"
	  "  --title TEXT         one-line title (required)\n"
	  "  --type TYPE          normal (default), standard or emergency\n"
	  "  --service NAME       affected service; repeatable\n"
	  "  --impact LEVEL       low, medium or high\n"
	  "  --urgency LEVEL      low, medium or high\n"
	  "  --risk LEVEL         low, medium or high\n"
	  "  --window START/END   RFC 3339 date-times with zone\n"
	  "  --set KEY=VALUE      any other field (dotted keys); repeatable\n"
	  "  -F, --file FILE      read fields from a YAML or JSON file ('-': stdin);\n"
	  "                       fields crq sets itself (id, state, approvals, ...)\n"
	  "                       are dropped with a note on stderr, so\n"
	  "                       'crq show ID | crq new -F -' makes a new draft\n"
	  "  --from ID            copy the plan of change ID: title, type, owner,\n"
	  "                       services, impact, urgency, risk, description,\n"
	  "                       justification, the three plans, task titles,\n"
	  "                       owners and phases, a standard change's template;\n"
	  "                       not its window, incident, links, approvals or\n"
	  "                       records; the other options override the copy\n"
	  "  --template NAME      standard change from .crq/templates/NAME.yaml\n"
	  "  -e, --edit           edit the new change in $EDITOR first\n"
	  "Without --title on a terminal, crq opens $EDITOR on a skeleton.\n"
	  "The new id alone is printed on stdout.\n" },
	{ "show", cmd_show, "crq show [--json] ID",
	  "show one change request",
	  "Prints the change file, or with --json one JSON object holding\n"
	  "every field.\n" },
	{ "list", cmd_list, "crq list [filters] [--json | --format FMT]",
	  "list change requests",
	  "Filters (all must match):\n"
	  "  --state STATE  --type TYPE  --risk LEVEL  --service NAME\n"
	  "  --requester EMAIL\n"
	  "  --overdue      emergency changes whose review is past due\n"
	  "  --needs WHO    changes waiting for WHO: a member's e-mail (the\n"
	  "                 approvals crq todo lists for them) or a role the\n"
	  "                 approval rules still need\n"
	  "  --sla breached|at-risk\n"
	  "                 changes with an SLA clock in that state now\n"
	  "States, types and risk levels are those of the change schema;\n"
	  "--state may be repeated: changes in any of those states.\n"
	  "Output:\n"
	  "  --json         one JSON array of change objects (also --format\n"
	  "                 json; --format text is the table)\n"
	  "  --format FMT   one line per change; %(field) is replaced by the\n"
	  "                 field, a property of the change schema (dotted\n"
	  "                 paths inside objects, lists joined by ','), %n is\n"
	  "                 a newline, %% a percent sign\n" },
	{ "log", cmd_log, "crq log [--json] ID",
	  "the steps of a change, from its commits",
	  "One line per step: commit, time, action, member, from -> to and\n"
	  "its signature (good: by one of the author's keys in the policy;\n"
	  "unknown-key, bad, unsigned), then its message.  --json: an array\n"
	  "of {commit, at, by, name, action, from, to, message, signature}.\n" },
	{ "edit", cmd_edit, "crq edit ID [--discard]",
	  "edit a change request in $EDITOR",
	  "Opens the change in the editor; the result is validated and\n"
	  "committed.  When it is refused, the editor reopens with the\n"
	  "problem at the top.  Your text is never lost: it is kept in\n"
	  ".git/CRQ_EDIT_<ID>.yaml until it is committed, and the next\n"
	  "'crq edit ID' reopens it, the error on top.\n"
	  "\n"
	  "To give up, save the file unchanged (the text is kept) or empty\n"
	  "it (the text is dropped).  crq also stops, keeping the text, when\n"
	  "the editor fails or after 5 refused rounds (exit 1).\n"
	  "\n"
	  "  --discard   drop the kept text of ID instead of editing (it is\n"
	  "              printed on stdout; exit 0 also when none is kept)\n" },
	{ "set", cmd_set, "crq set ID KEY=VALUE...",
	  "set fields of a change request",
	  "KEY may be dotted (window.start).  String fields take VALUE as it\n"
	  "is; other fields read it as YAML (services='[web, db]').  An\n"
	  "empty VALUE removes the field.\n" },
#define ACT_HELP \
	"Takes the policy's action on the change as you (user.email), if\n" \
	"your roles, the change's state and its fields allow it; one commit.\n" \
	"Options go before or after ID, each at most once; a value that\n" \
	"looks like an option is written --option=VALUE (--message=-x).\n" \
	"  -m, --message MSG    why, recorded in the commit message\n"
	{ "submit", cmd_act, "crq submit ID [-m MSG]",
	  "submit a change for assessment (standard: straight to authorized)",
	  ACT_HELP },
	{ "assess", cmd_act,
	  "crq assess ID --risk LEVEL [--impact LEVEL] [--urgency LEVEL] [-m MSG]",
	  "assess a submitted change: risk, impact, urgency", ACT_HELP },
	{ "approve", cmd_act, "crq approve ID [--role ROLE] [-m MSG]\n"
	  "       crq approve ID --from-review FILE [--forge github|gitlab] [--pr N]",
	  "approve a change; the approval that meets the rules authorizes it",
	  ACT_HELP
	  "  --role ROLE          the role you approve in (default: one the\n"
	  "                       rules still need)\n"
	  "Not the requester, not anyone who edited the change since the last\n"
	  "approval; each member counts once; the approval records a SHA-256\n"
	  "digest of the content and goes stale when it changes.\n"
	  "--from-review FILE imports a forge's reviews (the JSON its API\n"
	  "returns) as approvals, run as a bot member whose policy entry has\n"
	  "attests: [github] (or gitlab): one signed commit per approving\n"
	  "reviewer mapped by handles.<forge>; stale, self and unmapped\n"
	  "reviews are refused and reported.\n" },
	{ "reject", cmd_act, "crq reject ID [--role ROLE] [-m MSG]",
	  "reject a change", ACT_HELP },
	{ "schedule", cmd_act,
	  "crq schedule ID --start TIME --end TIME [--implementer EMAIL] [-m MSG]",
	  "schedule an authorized change (RFC 3339 times)", ACT_HELP
	  "  --implementer EMAIL  who carries it out (a member who may start it)\n"
	  "Guards (the policy's): the window starts later (window-ahead), is\n"
	  "outside every freeze for its services and what depends on them\n"
	  "(no-freeze), and overlaps no other scheduled or implementing change\n"
	  "on them nor the same implementer's (no-collision: refused, or a\n"
	  "warning when the policy's calendar.collisions is warn).\n" },
	{ "start", cmd_act, "crq start ID [-m MSG]",
	  "start implementing a scheduled change", ACT_HELP
	  "Guards (the policy's): now is inside the window, or at most\n"
	  "calendar.start_tolerance (default 15m) before it (in-window), and\n"
	  "outside every freeze for the change (no-freeze).\n" },
	{ "complete", cmd_act, "crq complete ID --close-code CODE [-m MSG]",
	  "complete an implementation (successful, successful_with_issues, ...)",
	  ACT_HELP },
	{ "fail", cmd_act, "crq fail ID [--close-code CODE] [-m MSG]",
	  "record a failed implementation (default close code: backed_out)",
	  ACT_HELP },
	{ "review", cmd_act, "crq review ID -m SUMMARY",
	  "record the post-implementation review", ACT_HELP },
	{ "close", cmd_act, "crq close ID [-m MSG]", "close a reviewed change",
	  ACT_HELP },
	{ "cancel", cmd_act, "crq cancel ID [-m MSG]",
	  "cancel a change before implementation", ACT_HELP },
	{ "task", cmd_task,
	  "crq task add ID --title T [--owner EMAIL] [--due TIME] [--phase PHASE] [-m MSG]\n"
	  "       crq task done|reopen ID N [-m MSG]\n"
	  "       crq task list [ID] [--mine] [--overdue] [--at TIME] [--json]",
	  "the tasks of a change: add, mark done, reopen, list",
	  "Each of add, done and reopen is one signed step (policy actions\n"
	  "task-add, task-done, task-reopen), checked by crq verify: who may\n"
	  "add tasks and in which states is the policy's; a task is marked done\n"
	  "by its owner or an implementer, and crq records who and when.  The\n"
	  "owner must be a member.  PHASE is design, prepare, deploy or verify;\n"
	  "an action may need the tasks of a phase done first (the default\n"
	  "policy's start needs prepare).  N is the task's number in list.\n"
	  "  --mine       tasks you own (user.email)\n"
	  "  --overdue    tasks not done whose due time has passed (at --at)\n"
	  "  --json       [{change, task, title, phase, owner, due, done,\n"
	  "               done_by, done_at, overdue}]\n" },
	{ "todo", cmd_todo, "crq todo [--member EMAIL] [--at TIME] [--json]",
	  "what waits for you: approvals, assessments, starts, reviews, tasks",
	  "Lists what the member (default: user.email) can act on now, most\n"
	  "urgent first (overdue, then by due time): approvals the rule engine\n"
	  "would take from them now (their role still needed, separation of\n"
	  "duties), changes to assess or schedule, starts whose window opens\n"
	  "within a day (theirs, when the change names its implementer),\n"
	  "reviews they owe, their open tasks, SLA clocks at risk or breached\n"
	  "on changes they act on; then their own changes, the approvals each\n"
	  "still waits for and the members who could give them now.\n"
	  "  --at TIME    as if now were TIME (RFC 3339)\n"
	  "  --json       {member, at, todo: [{kind, change, title, what, due,\n"
	  "               overdue}], waiting: [{change, state, waits_for,\n"
	  "               who}]}; kind: approve, assess, schedule, start,\n"
	  "               review, task, sla\n" },
	{ "sla", cmd_sla,
	  "crq sla [ID] [--at TIME] [--at-risk] [--breached] [--all] [--json]",
	  "SLA clocks: started, due, elapsed, met, at risk or breached",
	  "Each SLA target of the policy (sla:) whose `when` matches a change\n"
	  "runs a clock from the time the change entered `from` until it\n"
	  "entered one of `until` (times crq derived from the signed steps),\n"
	  "counting working time in the target's hours: 24x7, or a business\n"
	  "calendar of the policy (calendars:), outside whose hours and on\n"
	  "whose holidays the clock stands still.  A clock is running, at-risk\n"
	  "(80 % used), met or breached.  Without ID: the clocks of open\n"
	  "changes.\n"
	  "  --at TIME     the clocks at TIME (RFC 3339): steps dated later are\n"
	  "                not taken yet (the change's other fields are today's)\n"
	  "  --at-risk     only clocks at risk (with --breached: either)\n"
	  "  --breached    only breached clocks\n"
	  "  --all         closed, cancelled and rejected changes too\n"
	  "  --json        [{change, target, from, hours, within, started,\n"
	  "                started_commit, due, stopped, stopped_in, elapsed\n"
	  "                (seconds), elapsed_text, percent, state, paused}]\n" },
	{ "calendar", cmd_calendar,
	  "crq calendar [--from TIME] [--to TIME] [--service S] [--json | --ics]",
	  "the change calendar: windows, freezes, maintenance, conflicts",
	  "Lists the windows of scheduled and implementing changes from --from\n"
	  "(default: now) to --to (default: no end), the freezes and the\n"
	  "maintenance windows then (without --to the next 28 days of them,\n"
	  "at most a year of them), and the conflicts: two changes on the\n"
	  "same service, or on one that depends on the other's, in\n"
	  "overlapping windows; an implementer booked twice; a normal change\n"
	  "outside every maintenance window of its services; a change inside\n"
	  "a freeze (added after it was scheduled).\n"
	  "  --service S   only what concerns S (with a services catalogue,\n"
	  "                also changes to what S depends on)\n"
	  "  --json        {from, to, service, stamp, windows, freezes,\n"
	  "                maintenance, conflicts}\n"
	  "  --ics         RFC 5545: a VEVENT per window (UID ID@STORE.crq,\n"
	  "                SEQUENCE the schedule steps, STATUS TENTATIVE when\n"
	  "                scheduled and CONFIRMED when implementing), per\n"
	  "                freeze and per maintenance occurrence\n" },
	{ "events", cmd_events,
	  "crq events [--since REV|TIME|ID] [--until REV|TIME] [--json]",
	  "the stream of what happened: steps, rule effects, SLA, escalations",
	  "Prints what happened, oldest first: every step (who took which\n"
	  "action, between which states), each automation rule a step fired\n"
	  "(with the channels it asks to notify), escalations and deployments\n"
	  "recorded, and what the clock brought, from the branch tip and now:\n"
	  "SLA clocks at risk (80 %) or breached, tasks overdue, windows\n"
	  "starting, implementations still running when their window closed;\n"
	  "and the same again for each time-driven rule, at its offset (after,\n"
	  "before).  Every event has a stable id: the same on every run and\n"
	  "every clone, so a consumer resumes without duplicates.\n"
	  "  --since X    after X: an event id (the rest of the stream), a\n"
	  "               revision (the steps not reachable from it, and the\n"
	  "               clock's events after its time) or an RFC 3339 time\n"
	  "  --until X    up to X, a time or a revision (default: now)\n"
	  "  --json       [{id, type, time, change, title, summary, commit,\n"
	  "               action, from, to, by, rule, notify, escalate_to, sla,\n"
	  "               task, window, deployment}] (schemas/event.schema.json)\n" },
	{ "notify", cmd_notify,
	  "crq notify [--since REV|TIME|ID] | notify retry | notify test CHANNEL | notify list",
	  "send events to the channels configured on this machine",
	  "Sends the events of 'crq events' (same --since and --until) to the\n"
	  "channels configured on this machine, in git config (never in the\n"
	  "shared policy):\n"
	  "  crq.notify.NAME.type     slack, teams (a workflow webhook), feishu,\n"
	  "                           dingtalk, wecom, webhook or command\n"
	  "  crq.notify.NAME.url      the webhook's address (http or https)\n"
	  "  crq.notify.NAME.secret   feishu, dingtalk: the robot's signing\n"
	  "                           secret; webhook: the HMAC-SHA256 key of\n"
	  "                           the X-Crq-Signature-256 header\n"
	  "  crq.notify.NAME.events   event types it takes (\"step, rule\") or\n"
	  "                           \"*\"; it also takes the events of the\n"
	  "                           rules whose notify: names it\n"
	  "  crq.notify.NAME.command  command: run by /bin/sh with the event as\n"
	  "                           JSON on stdin, CRQ_EVENT_ID, CRQ_EVENT_TYPE\n"
	  "                           and CRQ_CHANNEL set; exit 0 is delivered\n"
	  "  crq.notify.NAME.timeout  seconds per attempt (default 10)\n"
	  "  crq.notify.NAME.retries  attempts after the first (default 2), for\n"
	  "                           5xx, 429, timeouts, connection failures\n"
	  "                           (a command: for any failure)\n"
	  "webhook posts the event itself, with X-Crq-Event (its type) and\n"
	  "X-Crq-Delivery (its id: the same on a retry).  One line per delivery:\n"
	  "'sent ID to CHANNEL', failures on stderr (exit 1).  An event goes to\n"
	  "a channel once: what was sent is logged in .git/crq/notify/sent;\n"
	  "without --since every event not sent yet goes.  A failed delivery is\n"
	  "kept in .git/crq/notify/failed.\n"
	  "  retry          send the failed deliveries again\n"
	  "  test CHANNEL   send CHANNEL a sample event (type test)\n"
	  "  list           the channels (secrets as \"(set)\", addresses\n"
	  "                 without their path: that is where tokens are)\n"
	  "  --json         retry, test, sending: [{channel, event, ok,\n"
	  "                 attempts, error}]; list: the channels\n" },
	{ "escalate", cmd_escalate, "crq escalate [--at TIME] [--dry-run] [--json]",
	  "record the escalations the time-driven rules call for (cron, CI)",
	  "For each automation rule of the policy on a time condition\n"
	  "(sla-at-risk, sla-breached, task-overdue, window-starting,\n"
	  "implementation-late) that escalates or changes the change (escalate,\n"
	  "require, add_task, set), and each open change it matches whose\n"
	  "condition holds for something not escalated before, records one\n"
	  "signed escalate step (Crq-Escalate: RULE) and notifies the rule's\n"
	  "channels.  Run it as the automation member, from cron or a scheduled\n"
	  "CI job; a second run records nothing new.  crq verify checks that\n"
	  "each escalation is by an automation member, that its condition held\n"
	  "at the step's time, and that it was not recorded before.\n"
	  "  --at TIME    judge (and date the steps) at TIME, not later than now\n"
	  "  --dry-run    say what would be recorded; anyone may\n"
	  "  --json       [{change, rule, on, subjects, to, members, commit}]\n" },
	{ "gate", cmd_gate, "crq gate --service S [--at TIME] [--trust REV] [--json]",
	  "may a deploy of service S go out now? (exit 0 yes, 1 no)",
	  "For a deploy pipeline.  Verifies the history first (the trusted\n"
	  "root as for crq verify; in CI it must come from --trust or\n"
	  "crq.trust), then says go (exit 0, naming the change) when an\n"
	  "authorized change for S, or for a service S depends on, is\n"
	  "implementing, the time is inside its window (from\n"
	  "calendar.start_tolerance before it opens) and no freeze applies to\n"
	  "it (an emergency change passes freezes).  Otherwise exit 1 with the\n"
	  "reason and what would make it pass.\n"
	  "  --at TIME      judge at TIME (RFC 3339)\n"
	  "  --trust REV    the trusted root (as crq verify --trust)\n"
	  "  --json         {service, at, allowed, change, title, window,\n"
	  "                 deployments, reason, hint, candidates: [{change,\n"
	  "                 state, window, why}]}\n" },
	{ "deploy", cmd_deploy,
	  "crq deploy ID --ref COMMIT [--artifact DIGEST] [--environment E] [-m MSG]",
	  "record what went out under a change (a signed step)",
	  "Records, as a signed step on an implementing change, the commit that\n"
	  "went out, the artifact's digest and the environment; crq adds who\n"
	  "and when.  The policy's deploy action says who may (implementer,\n"
	  "automation) and its guards when (in-window, no-freeze).  The audit\n"
	  "reconciles what was deployed against what was authorized.\n"
	  "  --ref COMMIT         the full commit id (40 or 64 hex digits)\n"
	  "  --artifact DIGEST    e.g. sha256:HEX of the image or package\n"
	  "  --environment E      e.g. prod\n"
	  "  -m MSG               the commit message's body\n" },
	{ "audit", cmd_audit,
	  "crq audit [--change ID] [--member EMAIL] [--role R] [--since T] [--until T] [--grep WORD] [--json | --format text|json|csv|html] [--sign] [-o FILE] [--trust REV]\n"
	  "       crq audit --permissions [--json | --format text|json|csv] [--sign] [-o FILE]",
	  "the evidence pack: every step, its signer and verdicts, each change's controls",
	  "Verifies the whole history (the trusted root as for crq verify) and\n"
	  "lists every step: commit, time, member and the role the step used,\n"
	  "action, from -> to, the policy version in force, the signing key's\n"
	  "fingerprint (SHA256, as ssh-keygen -l shows it), the signature\n"
	  "verdict and crq verify's verdict (a refused commit shows as\n"
	  "refused, with the rule).  Per change, the controls, each pass,\n"
	  "fail, pending, not-recorded or n/a with the commit that proves it:\n"
	  "  authorized-before-implementation  the authorizing step is an\n"
	  "                     ancestor of the start step in the commit graph\n"
	  "  separation-of-duties  no approver created or edited the change\n"
	  "                     in the round they approved, nor requested it\n"
	  "  plans              implementation, backout and test plans present\n"
	  "                     in the content that was authorized\n"
	  "  emergency-review   an emergency change reviewed by its deadline\n"
	  "  post-implementation-review  an implemented change was reviewed\n"
	  "  deployed-as-authorized  each crq deploy record was made under the\n"
	  "                     authorization, of a commit the change names\n"
	  "                     when it names any; not-recorded when none\n"
	  "Filters keep the changes (and their steps) that match:\n"
	  "  --change ID      one change\n"
	  "  --member EMAIL   changes EMAIL took a step on\n"
	  "  --role R         changes a step was taken on in role R\n"
	  "  --since T, --until T  changes with a step in [T, T] (RFC 3339 or\n"
	  "                   a date YYYY-MM-DD)\n"
	  "  --grep WORD      changes whose id, title or description holds WORD\n"
	  "  --format F       text (default), json (schemas/audit.schema.json),\n"
	  "                   csv (one row per step), html (one self-contained\n"
	  "                   file: trails, controls, calendar, Gantt chart)\n"
	  "  --json           the same as --format json\n"
	  "  --sign           also write FILE.sig: an SSH signature of the\n"
	  "                   export (namespace crq-audit) by your signing key;\n"
	  "                   needs -o.  Check it with:\n"
	  "                     ssh-keygen -Y verify -f allowed_signers \\\n"
	  "                       -I EMAIL -n crq-audit -s FILE.sig < FILE\n"
	  "  -o FILE          write to FILE (atomically) instead of stdout\n"
	  "  --trust REV      the trusted root (as crq verify --trust)\n"
	  "  --permissions    the permission audit instead: who held which role\n"
	  "                   and when, every grant and revoke with who made it,\n"
	  "                   grants expiring within 30 days, admins, keys\n"
	  "Exit 0 when the history verifies and every control passes or does\n"
	  "not apply, 1 when a control fails or a commit is refused.\n" },
	{ "report", cmd_report,
	  "crq report [--from T] [--to T] [--service S] [--type T] [--json | --format text|json|csv|html] [-o FILE] [--trust REV]",
	  "change metrics: volume, lead times, blocking, approvals, outcomes, SLAs",
	  "Computed from the verified history (changes whose commits crq verify\n"
	  "refuses are left out and listed).  Changes created in [--from, --to]\n"
	  "(RFC 3339 or YYYY-MM-DD; default: all), of service S and type T:\n"
	  "volume by type, state, service and month; lead times (p50, p90;\n"
	  "nearest rank) created -> closed, submitted -> authorized,\n"
	  "authorized -> implemented; time in each state and the blocking rate\n"
	  "(the share that waited longer than the policy's report.targets for\n"
	  "that state); approval latency per role; success,\n"
	  "successful-with-issues, failed and backed-out rates; the change\n"
	  "failure rate (failed + backed out over closed-out changes, as DORA\n"
	  "counts it); the emergency share; SLA compliance per target; load\n"
	  "per member.\n"
	  "  --format F   text (default), json (schemas/report.schema.json),\n"
	  "               csv (metric,key,value rows), html (one self-contained\n"
	  "               file: charts, the month calendar, the Gantt chart,\n"
	  "               the trails and controls)\n"
	  "  --json       the same as --format json\n"
	  "  -o FILE      write to FILE (atomically) instead of stdout\n"
	  "  --trust REV  the trusted root (as crq verify --trust)\n" },
	{ "raci", cmd_raci, "crq raci [--json | --format text|md|json|html] [-o FILE]",
	  "the RACI matrix of the workflow, derived from the policy",
	  "Workflow actions grouped by phase (the action's phase: in the\n"
	  "policy, else derived: create, edit and submit are request, approvals\n"
	  "and reject authorize, tasks and deployments implement, escalation\n"
	  "actions oversight, others by the state they lead to) against the\n"
	  "policy's roles.  R: the role may take the action; A: the approval\n"
	  "rules (or an automation rule's require) ask for the role's approval\n"
	  "there; C: consulted (a rule gives the role a task or asks its\n"
	  "approval on that action); I: informed (a time rule escalates to the\n"
	  "role; notification channels are the machine's, not roles).  Letters\n"
	  "combine (RA).  Read from the policy in force, so it cannot drift\n"
	  "from what crq enforces.\n"
	  "  --format F   text (default), md (a Markdown table), json, html\n"
	  "  --json       the same as --format json\n"
	  "  -o FILE      write to FILE instead of stdout\n" },
	{ "cache", cmd_cache, "crq cache status [--json] | clear",
	  "what crq keeps under .git/crq/cache, and clearing it",
	  "The cache holds what crq computed from git objects, by object id:\n"
	  "verdicts of commits verify checked (per trusted root), the\n"
	  "emergency reviews owed at a tip.  An entry is never stale, only\n"
	  "missing.  Every file is checksummed: a corrupt one is dropped and\n"
	  "rebuilt as commands run, never trusted.\n"
	  "status   each table, its entries and bytes, and whether all its\n"
	  "         checksums hold (exit 1 when one did not: it is dropped)\n"
	  "clear    remove the cache; the next commands rebuild it\n"
	  "git config crq.cache false (or CRQ_CACHE=off) turns it off.\n" },
	{ "comment", cmd_act, "crq comment ID -m MSG",
	  "comment on a change (a commit; the state stays)", ACT_HELP },
	{ "do", cmd_do, "crq do ID ACTION [--role ROLE] [-m MSG]",
	  "take any action the policy defines", ACT_HELP },
	{ "member", cmd_member,
	  "crq member add EMAIL --name NAME [--role ROLE]... [--key FILE.pub]\n"
	  "                  [--handle FORGE=NAME]... | remove EMAIL | list [--json]",
	  "add, remove (admins only) or list the members of the policy",
	  "Each is one commit changing .crq/policy.yaml, taken by an admin of\n"
	  "the current policy; the policy's version goes up by one.  A key\n"
	  "belongs to one member only.\n"
	  "list prints one line per member: e-mail, name, roles (ROLE<=UNTIL\n"
	  "for a grant that expires) and each key's type and fingerprint\n"
	  "(SHA256:..., as ssh-keygen -lf prints it); --json gives [{email,\n"
	  "name, roles: [{role, until}], keys: [{type, key, fingerprint}]}].\n" },
	{ "template", cmd_template, "crq template list [--json] | show NAME",
	  "list the templates of standard changes, or print one",
	  "The templates are .crq/templates/NAME.yaml on the branch (crq init\n"
	  "copies crq's examples there); crq new --template NAME uses one.\n"
	  "  --json   [{name, path, title}]\n" },
	{ "role", cmd_role, "crq role grant|revoke EMAIL ROLE [--until DATE] | list [--json]",
	  "grant or revoke a member's role (admins only), or list the roles",
	  "--until YYYY-MM-DD makes the grant expire after that day (UTC).\n"
	  "list prints the roles the policy defines, one a line: name and\n"
	  "meaning; --json gives [{name, description}].\n" },
	{ "policy", cmd_policy,
	  "crq policy check [FILE] | show [--json] | states [--json] | apply FILE |\n"
	  "                  approve | withdraw | allowed-signers",
	  "check, show, change or export the policy",
	  "check      validate .crq/policy.yaml (or FILE): schema, and one key\n"
	  "           per member, unique e-mails, defined roles, an admin\n"
	  "show       the policy of the branch (--json: as JSON)\n"
	  "states     the states of the workflow, one a line: every state an\n"
	  "           action starts from or leads to, in the policy's order\n"
	  "           (--json: [{state, enter, leave}], the actions that lead\n"
	  "           to it and those taken from it)\n"
	  "apply      replace the policy with FILE ('-': stdin); admins only,\n"
	  "           the version goes up by one\n"
	  "approve    approve the pending policy change (admin_threshold > 1:\n"
	  "           a change is proposed first and in force once that many\n"
	  "           distinct admins approved it)\n"
	  "withdraw   drop the pending policy change\n"
	  "allowed-signers\n"
	  "           members' keys in git's gpg.ssh.allowedSignersFile format:\n"
	  "           crq policy allowed-signers > .git/allowed_signers\n"
	  "           git config gpg.ssh.allowedSignersFile .git/allowed_signers\n" },
	{ "validate", cmd_validate, "crq validate [--kind change|policy] [--json] [FILE...]",
	  "validate change or policy files",
	  "Checks each FILE ('-': stdin) with the strict YAML loader and the\n"
	  "schema, printing one 'file:line:col: problem' line per problem.\n"
	  "Without FILE, validates every change and the policy on the\n"
	  "current branch.  Files named policy.yaml are policies.\n"
	  "  --json   one JSON object on stdout instead: {ok, files: [{path,\n"
	  "           ok, errors: [{where (LINE:COL or null), pointer,\n"
	  "           message}]}] (without FILE: the files that did not load)\n"
	  "Exit 0 when all are valid, 1 when one is not.\n" },
	{ "schema", cmd_schema,
	  "crq schema change|policy|event|audit|permissions|report",
	  "print a JSON Schema",
	  "Prints schemas/KIND.schema.json: change and policy are the files\n"
	  "crq validates with (editors can use them too); event, audit,\n"
	  "permissions and report describe what crq events, crq audit (and\n"
	  "--permissions) and crq report write with --json / --format json.\n" },
	{ "verify", cmd_verify, "crq verify [--json | --format text|json] [--trust COMMIT] [REV]",
	  "prove from the history that every step was legal",
	  "Walks REV (default: the branch) from the commit that introduced the\n"
	  "policy and checks every commit touching crq files: one canonical\n"
	  "ed25519 signature by a member of the parent commit's policy who is\n"
	  "the committer; one file; a legal action of the workflow by a role\n"
	  "that may take it; trailers that agree with the file; approvals only\n"
	  "by their author in an approve step, never the requester; policy\n"
	  "changes by admins, version + 1; merges without crq content of\n"
	  "their own.  One line per violation: commit, change, rule, text.\n"
	  "Verifying the branch pins its root in .git/crq/trust and remembers\n"
	  "the last clean tip: later runs check only newer commits and report\n"
	  "a rollback or rewrite.  --trust COMMIT (or git config crq.trust)\n"
	  "starts from another trusted commit.\n"
	  "--json (or --format json): the violations as one JSON array of\n"
	  "{commit, change, rule, message, hint}.\n"
	  "Exit 0 clean, 1 violations, 128 unreadable history.\n" },
	{ "sync", cmd_sync, "crq sync [--continue | --skip | --abort] [--json] [REMOTE]",
	  "share the store: fetch, replay your steps on the remote's, push",
	  "git fetches REMOTE (default origin) and pushes to it, so its hooks\n"
	  "run on every transport.  When only the remote moved, takes it; when\n"
	  "only you did, pushes; when both did, replays your crq steps on the\n"
	  "remote tip as your own again (re-checked, re-signed; never someone\n"
	  "else's): an approval or rejection only if the content it decided on\n"
	  "is what the remote has, an edit only where the remote did not change\n"
	  "the same field, a policy step as the operation it was; a new change\n"
	  "whose id was taken gets the next free id.  The push is a compare-\n"
	  "and-swap; when someone pushed first it fetches and replays again.\n"
	  "Your branch and work tree move only after the push, and never over\n"
	  "an uncommitted edit (refused, naming the file).\n"
	  "Your steps are recorded at refs/crq/sync/BRANCH first; a sync cut\n"
	  "short (killed, crashed) is finished by the next crq sync.  When a\n"
	  "step no longer applies the sync stops, nothing pushed:\n"
	  "  --continue   try the stopped step again (or finish a cut-short sync)\n"
	  "  --skip       drop the stopped step (kept at refs/crq/sync/BRANCH)\n"
	  "  --abort      forget the sync; your branch is as it was\n"
	  "  --json       one JSON object on stdout, every key always there\n"
	  "               (null when it did not happen): remote, branch, mode\n"
	  "               (run, continue, skip, abort), ok, outcome (up-to-date,\n"
	  "               pushed, fast-forwarded, replayed, landed, aborted,\n"
	  "               stopped, refused, failed), resumed (stopped or\n"
	  "               interrupted: an earlier sync taken up), landed (that\n"
	  "               sync's push, found on the remote), fetched {ref, tip},\n"
	  "               local (the branch then), fast_forward {from, to,\n"
	  "               steps}, steps [{commit, action, change, outcome\n"
	  "               (replayed, dropped, skipped, stopped), reason,\n"
	  "               renumbered}] (your steps, as replayed), replay {onto,\n"
	  "               result, replayed, dropped}, pushed {from, to, steps,\n"
	  "               new_branch}, stopped {commit, message}, refused {by\n"
	  "               (remote or pre-push), message}, retries, head (the\n"
	  "               branch after), report [the lines crq sync prints],\n"
	  "               error {kind (e.g. conflict, denied), message}; commits\n"
	  "               are full ids; the exit code is as without it\n" },
	{ "check", cmd_check,
	  "crq check --base REV [--head REV] [--trust COMMIT] [--json | --format text|json|github|junit]",
	  "the pull-request gate: verify what head adds, report what is missing",
	  "Verifies the commits head (default HEAD) adds over its merge base\n"
	  "with REV (trusted, as upstream verified it) and, for every change\n"
	  "touched, says its state and what approvals it still needs, e.g.\n"
	  "'CHG-000042 assessed: needs 1 cab (has: bob@example.com)'.\n"
	  "--json (--format json) prints {ok, checked, violations, changes};\n"
	  "github prints workflow annotations (::error / ::notice); junit an\n"
	  "XML report.  Exit 1 when anything is illegal.  --trust COMMIT: the\n"
	  "trusted root, as for crq verify (in CI it must come from outside\n"
	  "the history: --trust or crq.trust).\n" },
	{ "hook", cmd_hook, "crq hook install [--notify] | pre-receive | post-receive | pre-push | pre-commit | pre-merge-commit",
	  "git hooks: pushes refused as crq verify refuses; commits checked",
	  "install      write the hooks into this repository: pre-receive in\n"
	  "             a bare repository (the server side, which also turns\n"
	  "             on receive.fsckObjects), pre-commit, pre-merge-commit\n"
	  "             and pre-push in a work tree; an existing hook that is not\n"
	  "             crq's is left alone (call 'crq hook NAME' from it);\n"
	  "             --notify (bare) adds post-receive\n"
	  "pre-receive  reads git's 'old new ref' lines; refuses an update\n"
	  "             whose history crq verify rejects, a rewrite of a change\n"
	  "             store's history, or its deletion\n"
	  "post-receive sends the events of what a push brought (crq events\n"
	  "             --since OLD) to the channels configured on the server\n"
	  "             (git config crq.notify.*); never fails the push\n"
	  "pre-push     the same for what is being pushed\n"
	  "pre-commit   validates the change files and policy being committed\n"
	  "             (whichever index git uses: git commit -a, git commit\n"
	  "             FILE): valid, where the store's layout puts them, and\n"
	  "             the policy not deleted\n"
	  "pre-merge-commit  the same for a merge\n" },
	{ "batch", cmd_batch, "crq batch < COMMANDS",
	  "run many crq commands from stdin in one process",
	  "One command per line, without the leading 'crq' (e.g.\n"
	  "  set CHG-000001 'description=two words'\n"
	  "  comment CHG-000001 -m \"looks good\"\n"
	  "); blanks separate words, '...' and \"...\" quote, # starts a\n"
	  "comment.  Stops at the first command that fails, with its exit\n"
	  "status; the steps before it stay committed.  Each line sees the\n"
	  "branch as it is then, other processes' steps and policy changes\n"
	  "included.  Much faster than one process per step for scripts and\n"
	  "imports.\n" },
	{ "help", cmd_help, "crq help [COMMAND]",
	  "show help", "" },
	{ NULL, NULL, NULL, NULL, NULL }
};

const struct cmd *cmd_find(const char *name)
{
	const struct cmd *c;

	for (c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

const char main_synopsis[] =
	"usage: crq [-C DIR] [-c NAME=VALUE] [-p | -P] [--color[=WHEN]]\n"
	"           [--version] [--help] COMMAND [ARGS]\n";

/* crq --help's global options, and crq(1)'s (cmd/man.c) */
const char main_options_help[] =
	"  -C DIR          run as if started in DIR\n"
	"  -c NAME=VALUE   override a git config value for this run\n"
	"  -p, --paginate  send the output through a pager, when stdout\n"
	"                  is a terminal\n"
	"  -P, --no-pager  never use a pager\n"
	"  --color[=WHEN]  colour the output: auto (the default: on a\n"
	"                  terminal), always (--color alone) or never\n"
	"  --version       print crq's version\n"
	"  --help          this list of commands and options\n"
	"\n"
	"On a terminal, show, list, log, todo, sla, calendar, help and the\n"
	"text of audit and report go through a pager: CRQ_PAGER, git config\n"
	"core.pager, PAGER or less (empty or cat: none; LESS=FRX and LV=-c\n"
	"unless set); git config pager.COMMAND true or false (or a pager for\n"
	"it) pages a command or not.  Colour follows git config color.ui\n"
	"(auto, always, never; true is auto); NO_COLOR set to anything but\n"
	"the empty string turns it off unless --color=always is given.\n"
	"A pipe or a file is coloured only with always; JSON and --format\n"
	"output never are, nor messages unless stderr is a terminal.\n";

/* A usage error of crq itself: the problem, the synopsis; 129. */
static int __attribute__((format(printf, 1, 2)))
main_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s ", tag("error"));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(main_synopsis, stderr);
	return EXIT_USAGE;
}

static void main_usage(FILE *f)
{
	const struct cmd *c;

	fputs(main_synopsis, f);
	fprintf(f,
		"\n"
		"crq keeps change requests as YAML files in a git repository;\n"
		"every step is a commit.\n\nCommands:\n");
	for (c = commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f,
		"\nWorkflow (the default; .crq/policy.yaml decides, see 'crq policy show'):\n"
		"  draft -submit-> submitted -assess-> assessed -approve...-> authorized\n"
		"  -schedule-> scheduled -start-> implementing -complete-> completed\n"
		"  (or -fail-> failed) -review-> reviewed -close-> closed;\n"
		"  reject -> rejected; cancel (before implementing) -> cancelled.\n"
		"  Standard changes: submit -> authorized.  Emergency: submit, one ecab\n"
		"  approval, start without a schedule, review due within a deadline.\n"
		"  Each action needs a role the policy names, the right state and its\n"
		"  fields; approvals follow the policy's rules (not the requester, not\n"
		"  a recent editor, distinct members).  Every step is one commit signed\n"
		"  with your ssh key (gpg.format=ssh, user.signingkey), which must be\n"
		"  yours in the policy's members.\n"
		"\nThe policy file: members (e-mail, name, roles with optional expiry,\n"
		"  ssh keys, forge handles), roles, workflow.actions, approval_rules,\n"
		"  priority_matrix, freeze windows, emergency deadline, admin_threshold,\n"
		"  version.  Schema: 'crq schema policy'.  Changed only by admins\n"
		"  ('crq member', 'crq role', 'crq policy apply|approve|withdraw').\n");
	fprintf(f, "\nGlobal options:\n%s", main_options_help);
	fprintf(f,
		"\nExit status:\n"
		"  0    success\n"
		"  1    refused: invalid input, a rule says no, problems found\n"
		"  128  repository or system failure\n"
		"  129  usage error\n"
		"\n'crq help COMMAND' or 'crq COMMAND -h' shows a command's help.\n");
}

int cmd_help(int argc, char **argv, struct cmd_ctx *ctx)
{
	const struct cmd *c;

	(void)ctx;
	if (argc >= 2 && !strcmp(argv[1], "--scdoc")) {
		if (argc == 2)
			return man_scdoc_main();
		if (argc > 3 || !(c = cmd_find(argv[2])))
			return usage_error(cmd_find("help"), "unknown command");
		return man_scdoc_command(c);
	}
	if (argc == 2 && !strcmp(argv[1], "--commands"))
		return man_commands();
	if (argc == 3 && !strcmp(argv[1], "--options")) {
		if (!(c = cmd_find(argv[2])))
			return usage_error(cmd_find("help"), "unknown command '%s'",
				argv[2]);
		return man_options(c);
	}
	if (argc < 2) {
		main_usage(stdout);
		return finish(0);
	}
	if (!(c = cmd_find(argv[1])))
		return usage_error(cmd_find("help"), "unknown command '%s'",
			argv[1]);
	if (argc > 2)
		return usage_error(cmd_find("help"), "too many arguments");
	return print_help(c);
}

/* Edit distance counting an adjacent transposition as one step, so
 * that "lsit" is one step from "list". */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, c, v;
	size_t d[32][32];

	if (la >= 32 || lb >= 32)
		return 99;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			c = a[i - 1] != b[j - 1];
			v = d[i - 1][j - 1] + c;
			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

/* Find the data directory (schemas/, examples/): CRQ_DATADIR, next to
 * the binary, or the compiled-in DATADIR. */
static char *find_datadir(void)
{
	static const char *const rel[] = { "..", "../..", "../share/crq", "." };
	char exe[PATH_MAX], cand[PATH_MAX + 64];
	const char *env = getenv("CRQ_DATADIR");
	ssize_t n;
	size_t i;
	char *slash;

	if (env && *env)
		return strdup(env);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')))
		*slash = '\0';
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(cand, sizeof(cand), "%s/%s/schemas/change.schema.json",
			exe, rel[i]);
		if (access(cand, R_OK) == 0) {
			snprintf(cand, sizeof(cand), "%s/%s", exe, rel[i]);
			return realpath(cand, NULL);
		}
	}
#ifdef CRQ_DATADIR_DEFAULT
	/* where make install put them (DATADIR), when that is not next to
	 * the binary (a build tree, a tree staged with DESTDIR, and
	 * PREFIX/share/crq are) */
	snprintf(cand, sizeof(cand), "%s/schemas/change.schema.json",
		CRQ_DATADIR_DEFAULT);
	if (access(cand, R_OK) == 0)
		return realpath(CRQ_DATADIR_DEFAULT, NULL);
#endif
	return NULL;
}

/* Which commands page: by default (what can be long, read by a
 * person), in their text only (they call pager_maybe themselves), or
 * when pager.CMD turns it on.  Never one that takes a step, prompts
 * or runs in a hook (verify and check only when asked, as git does
 * not page verify-commit). */
#define PAGER_DEFAULT 1
#define PAGER_TEXT 2
#define PAGER_CONFIG 4
static const struct { const char *name; int flags; } pagers[] = {
	{ "show", PAGER_DEFAULT }, { "list", PAGER_DEFAULT },
	{ "log", PAGER_DEFAULT }, { "help", PAGER_DEFAULT },
	{ "todo", PAGER_DEFAULT }, { "sla", PAGER_DEFAULT },
	{ "calendar", PAGER_DEFAULT },
	{ "audit", PAGER_TEXT }, { "report", PAGER_TEXT },
	{ "verify", PAGER_CONFIG }, { "check", PAGER_CONFIG },
	{ "raci", PAGER_CONFIG }, { "schema", PAGER_CONFIG },
	{ "validate", PAGER_CONFIG },
};

/* The pager for command c (argv[0]) when it pages by default, when -p
 * asks (pager 1), or when pager.CMD may turn it on; the helpers that
 * completion and the man pages call (help --commands) never page by
 * themselves. */
static void start_pager(const struct cmd *c, int argc, char **argv,
	struct cmd_ctx *ctx, int pager)
{
	size_t k;
	int flags = 0, dflt;

	for (k = 0; k < sizeof(pagers) / sizeof(pagers[0]); k++)
		if (!strcmp(pagers[k].name, c->name))
			flags = pagers[k].flags;
	dflt = (flags & PAGER_DEFAULT) &&
		!(c->fn == cmd_help && argc > 1 && argv[1][0] == '-');

	if (pager == 0)
		return;
	if (dflt || pager == 1 || (flags & PAGER_CONFIG))
		pager_maybe(ctx, c->name, dflt);
}

int main(int argc, char **argv)
{
	struct cmd_ctx ctx;
	const char **config = NULL;
	size_t nconfig = 0;
	const struct cmd *c, *best = NULL;
	char *datadir = NULL;
	int i, rc, pager = -1, color = COLOR_UNSET;

	memset(&ctx, 0, sizeof(ctx));
	config = calloc((size_t)argc + 1, sizeof(*config));
	if (!config)
		return EXIT_FAILURE_REPO;
	ctx.opts.config = config;
	term_setup(&ctx.opts, COLOR_UNSET, -1);
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-p") || !strcmp(a, "--paginate") ||
		    !strcmp(a, "-P") || !strcmp(a, "--no-pager")) {
			pager = a[1] == 'p' || !strcmp(a, "--paginate");
		} else if (!strcmp(a, "--color")) {
			color = COLOR_ALWAYS;	/* as git's --color */
		} else if (!strncmp(a, "--color=", 8)) {
			/* the words only: git's --color takes no boolean */
			color = strcmp(a + 8, "auto") && strcmp(a + 8,
				"always") && strcmp(a + 8, "never") ?
				COLOR_UNSET : color_parse(a + 8);
			if (color == COLOR_UNSET) {
				rc = main_usage_error("unknown --color value '%s' "
					"(auto, always or never)", a + 8);
				goto done;
			}
		} else if (!strcmp(a, "-C") || !strcmp(a, "-c")) {
			if (i + 1 >= argc) {
				rc = main_usage_error("option '%s' needs a value",
					a);
				goto done;
			}
			if (a[1] == 'C') {
				if (chdir(argv[i + 1]) < 0) {
					fprintf(stderr, "%s cannot change to '%s': %m\n",
						tag("fatal"), argv[i + 1]);
					rc = EXIT_FAILURE_REPO;
					goto done;
				}
			} else {
				if (!strchr(argv[i + 1], '=') ||
				    argv[i + 1][0] == '=') {
					rc = main_usage_error(
						"'-c %s' is not NAME=VALUE",
						argv[i + 1]);
					goto done;
				}
				config[nconfig++] = argv[i + 1];
				ctx.opts.config_count = nconfig;
			}
			i++;
		} else if (!strcmp(a, "--version")) {
			printf("crq version %s\n", CRQ_VERSION);
			rc = finish(0);
			goto done;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			main_usage(stdout);
			rc = finish(0);
			goto done;
		} else {
			fprintf(stderr, "%s unknown option '%s'\n", tag("error"),
				a);
			main_usage(stderr);
			rc = EXIT_USAGE;
			goto done;
		}
	}
	term_setup(&ctx.opts, color, pager);
	if (i >= argc) {
		main_usage(stderr);
		rc = EXIT_USAGE;
		goto done;
	}
	if (!(c = cmd_find(argv[i]))) {
		size_t d, bestd = 3;

		for (c = commands; c->name; c++)
			if ((d = distance(argv[i], c->name)) < bestd) {
				bestd = d;
				best = c;
			}
		fprintf(stderr, "%s '%s' is not a crq command; see 'crq help'\n",
			tag("error"), argv[i]);
		if (best)
			fprintf(stderr, "%s did you mean '%s'?\n", tag("hint"),
				best->name);
		fputs(main_synopsis, stderr);
		rc = EXIT_USAGE;
		goto done;
	}
	datadir = find_datadir();
	if (!datadir) {
		fprintf(stderr,
			"%s cannot find crq's schemas; set CRQ_DATADIR\n",
			tag("fatal"));
		rc = EXIT_FAILURE_REPO;
		goto done;
	}
	ctx.datadir = datadir;
	ctx.opts.datadir = datadir;
	if (wants_help(argc - i, argv + i)) {
		rc = print_help(c);
	} else {
		start_pager(c, argc - i, argv + i, &ctx, pager);
		rc = c->fn(argc - i, argv + i, &ctx);
	}
done:
	term_dispose();
	free(datadir);
	free(config);
	return rc;
}
