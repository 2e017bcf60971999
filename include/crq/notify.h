/*
 * crq/notify.h - notifications: events (crq/events.h) sent to the
 * channels configured on this machine.  Channels come from git config,
 * never from the shared policy (any admin could otherwise run code on
 * every member's machine):
 *
 *   crq.notify.<name>.type     slack | teams | feishu | dingtalk |
 *                              wecom | webhook | command
 *   crq.notify.<name>.url      the webhook's address (not: command)
 *   crq.notify.<name>.secret   feishu, dingtalk: the signing secret;
 *                              webhook: HMAC-SHA256 key of the body
 *   crq.notify.<name>.events   which events it takes besides those a
 *                              rule sends it: event types, or "*"
 *   crq.notify.<name>.command  command: run by /bin/sh, the event as
 *                              JSON on its standard input
 *   crq.notify.<name>.timeout  seconds per attempt (default 10)
 *   crq.notify.<name>.retries  attempts after the first (default 2)
 *
 * A channel takes an event when a rule that fired names it (the
 * event's `notify`) or its `events` admits the event's type.
 * A failed delivery never fails a step: it is recorded under
 * .git/crq/notify/ and `crq notify retry` sends it again.
 *
 * What each type sends (crq_notify_payload): slack {text} (mrkdwn);
 * teams a message with one Adaptive Card 1.4; feishu {timestamp, sign,
 * msg_type: text, content} (timestamp in seconds, sign =
 * base64(HMAC-SHA256(key "timestamp\nsecret", ""))); dingtalk {msgtype:
 * text, text} to url&timestamp=MS&sign=urlencode(base64(HMAC-SHA256(
 * secret, "MS\nsecret"))); wecom {msgtype: text, text}; webhook the
 * event's JSON with X-Crq-Event (its type), X-Crq-Delivery (its id: the
 * same on every retry, for the receiver to drop repeats) and, with a
 * secret, X-Crq-Signature-256: sha256=hex(HMAC-SHA256(secret, body));
 * command the event's JSON on stdin, CRQ_EVENT_ID, CRQ_EVENT_TYPE and
 * CRQ_CHANNEL in its environment, run in the work tree.
 *
 * An attempt is delivered on 2xx (feishu: and code 0; dingtalk, wecom:
 * and errcode 0; command: exit 0).  Another attempt follows, after
 * 200 ms doubling up to 5 s, on 5xx, 429, a timeout or a connection
 * failure (command: any failure); never on 4xx or a vendor's refusal.
 * Only http and https, no redirects, certificates verified.
 *
 * .git/crq/notify/ holds, under its lock (flock of "lock": one sender
 * at a time, none left stale by a crash):
 *   failed  the retry journal: a JSON object a line, {channel, event
 *           (the whole event), attempts, error, time}; the newest 1000
 *   sent    "channel<TAB>event-id" lines of the deliveries done (the
 *           last 20000 at least): an event goes to a channel once
 * Rewrites go through a temporary file, synced, then renamed.
 * A channel's secret never appears in a report's error, nor the part of
 * its address after the host.
 */
#ifndef CRQ_PUBLIC_NOTIFY_H
#define CRQ_PUBLIC_NOTIFY_H

#include "crq/buf.h"
#include "crq/node.h"
#include "crq/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The channels of this machine (git config with the crq_options
 * overrides, as crq_repo_config reads it), sorted by name: an array of
 * {name, type, url, secret, events (an array), command, timeout,
 * retries} (owned; url, secret and command only when set).
 * CRQ_EINVALID names a channel that is misconfigured (unknown type or
 * setting, no url, not http or https, no command, a bad number, a name
 * other than letters, digits, '-' and '_') in one line. */
int crq_notify_channels(crq_node **out, crq_repo *repo);

/* Does channel take event? */
int crq_notify_wants(const crq_node *channel, const crq_node *event);

/* What would be sent: the address (with a signature in it where the
 * vendor wants one), extra header lines ("Name: value\n"), and the
 * body, for event on channel at now_ms (ms since the epoch: the
 * signatures sign a timestamp), appended to url, headers and body.
 * The chat vendors get the text "[crq] CHANGE-ID title: summary", then
 * a line each for the rule, the escalation (to whom) and the due time
 * when the event has them; the event's text has its control
 * characters blanked and, for Slack and Feishu, the markup that would
 * mention everyone defused.  CRQ_EINVALID for an unknown type.  Pure. */
int crq_notify_payload(crq_buf *url, crq_buf *headers, crq_buf *body,
	const crq_node *channel, const crq_node *event, long long now_ms);

/* One delivery report. */
typedef struct {
	char *channel;
	char *event;		/* the event's id */
	int ok;
	int attempts;
	char *error;		/* why it failed (NULL when ok) */
} crq_notify_report;

/* Send each event (events: an array of event objects, each with an id)
 * to each channel that takes it and has not had it yet (the sent log).
 * Failures go to the retry journal; a delivery that succeeds leaves it.
 * *out / *count: one report per delivery tried (owned; free with
 * crq_notify_reports_free).  Returns < 0 only when it could not try at
 * all: a misconfigured channel (CRQ_EINVALID), an event without an id,
 * the state under .git/crq/notify/ unreadable (CRQ_EREPO); no channels
 * is not an error: nothing is tried.  Waits for another crq sending
 * from the same repository. */
int crq_notify_send(crq_notify_report **out, size_t *count, crq_repo *repo,
	const crq_node *events);

/* Send the deliveries the journal holds again; those that succeed
 * leave it, those the sent log has (a later run sent them) leave it
 * unsent.  One whose channel is no longer configured is reported
 * failed (0 attempts) and stays. */
int crq_notify_retry(crq_notify_report **out, size_t *count,
	crq_repo *repo);

/* Send a sample event (type "test", a fresh id) to channel name (even
 * when it would not take one), with its retries; neither the journal
 * nor the sent log is touched.  CRQ_ENOTFOUND when no such channel is
 * configured, CRQ_EINVALID when it is misconfigured (other channels'
 * settings do not matter). */
int crq_notify_test(crq_notify_report **out, size_t *count, crq_repo *repo,
	const char *name);

void crq_notify_reports_free(crq_notify_report *r, size_t count);

/* url as it may be shown ("https://hooks.slack.com/..."): scheme, host
 * and port only, since Slack, Teams, DingTalk and WeCom keep the
 * webhook's token in its path or query (a password in it shows as
 * "(set)").  Appended to out. */
void crq_notify_url_shown(crq_buf *out, const char *url);

#ifdef __cplusplus
}
#endif

#endif
