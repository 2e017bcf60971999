/*
 * notify.c - events sent to the channels of this machine: the channels
 * read from git config (crq.notify.<name>.*), each vendor's message and
 * signature, the delivery (libcurl, or a command), bounded retries, and
 * the two files under .git/crq/notify/: "failed", the retry journal,
 * and "sent", what went out already.
 *
 * Security decisions, in one place:
 *  - channels come from git config only, never from the shared policy;
 *  - only http and https, no redirects, certificates verified;
 *  - what a server answers is read up to ANSWER_MAX bytes, and only a
 *    short printable excerpt of it reaches an error message;
 *  - the secret, and the part of a webhook's address after its host
 *    (which is where Slack, DingTalk and WeCom keep their tokens),
 *    never appear in an error message or in crq_notify_url_shown();
 *  - the text of a change is untrusted: control characters become
 *    blanks, and the markup that would mention people (Slack's
 *    <!channel>, Feishu's <at user_id="all">) is defused.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "dynload.h"
#include "rules.h"
#include "store.h"

extern char **environ;

#define DEFAULT_TIMEOUT 10	/* seconds an attempt may take */
#define MAX_TIMEOUT 600
#define DEFAULT_RETRIES 2	/* attempts after the first */
#define MAX_RETRIES 10
#define BACKOFF_FIRST_MS 200	/* then doubling ... */
#define BACKOFF_MAX_MS 5000	/* ... up to this */
#define ANSWER_MAX (64 * 1024)	/* what is kept of a server's answer */
#define STDERR_MAX (4 * 1024)	/* ... of a command's standard error */
#define EXCERPT_MAX 120		/* of either, in an error message */
#define SENT_KEEP 20000		/* lines the sent log keeps ... */
#define SENT_SLACK 5000		/* ... rewritten when this many more */
#define JOURNAL_MAX 1000	/* pending deliveries kept (the newest) */
#define STATE_FILE_MAX (64 * 1024 * 1024)
#define NAME_MAX_LEN 64

/* ------------------------------------------------------------------ */
/* Small helpers */

static const char *str_of(const crq_node *obj, const char *key)
{
	return obj ? crq_node_get_str(obj, key) : NULL;
}

static long long int_of(const crq_node *obj, const char *key, long long def)
{
	const crq_node *n = obj ? crq_node_get(obj, key) : NULL;

	return n && n->kind == CRQ_NODE_INT ? n->i : def;
}

static long long clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Append s with control characters as blanks: a change's text is one
 * line in a message, and never a header or a second line of its own. */
static void put_clean(crq_buf *out, const char *s)
{
	for (; s && *s; s++)
		crq_buf_putc(out, (unsigned char)*s < 0x20 || *s == 0x7f ?
			' ' : *s);
}

/* A short printable excerpt of untrusted bytes (a server's answer, a
 * command's stderr): the first line that says something, after sep
 * (nothing at all when there is no such line). */
static void put_excerpt(crq_buf *out, const char *sep, const char *s,
	size_t len)
{
	size_t i = 0, n = 0, start;

	while (i < len && (s[i] == '\n' || s[i] == '\r' || s[i] == ' ' ||
			s[i] == '\t'))
		i++;
	if (i == len || !s[i])
		return;
	start = out->size;
	crq_buf_puts(out, sep);
	for (; i < len && s[i] && s[i] != '\n' && s[i] != '\r'; i++, n++) {
		if (n == EXCERPT_MAX) {
			crq_buf_puts(out, "...");
			break;
		}
		crq_buf_putc(out, (unsigned char)s[i] >= 0x20 &&
			(unsigned char)s[i] < 0x7f ? s[i] : '?');
	}
	while (out->size > start + strlen(sep) &&
	       out->ptr[out->size - 1] == ' ')
		out->ptr[--out->size] = '\0';
}

static void hex(char *out, const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

/* HMAC-SHA256 of msg under key into md (32 bytes). */
static void hmac256(unsigned char md[32], const char *key, size_t keylen,
	const char *msg, size_t msglen)
{
	unsigned int mdlen = 32;

	/* an empty key is a valid HMAC key; OpenSSL wants a pointer */
	if (!HMAC(EVP_sha256(), keylen ? key : "", (int)keylen,
			(const unsigned char *)(msglen ? msg : ""), msglen, md,
			&mdlen))
		abort();	/* only on allocation failure */
}

static void base64(crq_buf *out, const unsigned char *p, size_t n)
{
	crq_buf_grow(out, 4 * ((n + 2) / 3) + 1);
	out->size += (size_t)EVP_EncodeBlock((unsigned char *)out->ptr +
		out->size, p, (int)n);
	out->ptr[out->size] = '\0';
}

/* Percent-encode what a query value may not hold (base64's + / =). */
static void put_urlencoded(crq_buf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		    c == '.' || c == '~')
			crq_buf_putc(out, (char)c);
		else
			crq_buf_printf(out, "%%%02X", c);
	}
}

/* Length of "scheme://host[:port]" at the start of url (0: none). */
static size_t origin_len(const char *url)
{
	const char *p = strstr(url, "://");

	if (!p)
		return 0;
	p += 3;
	return (size_t)(p - url) + strcspn(p, "/?#");
}

void crq_notify_url_shown(crq_buf *out, const char *url)
{
	size_t n = url ? origin_len(url) : 0;
	const char *at;

	if (!n) {
		crq_buf_puts(out, "(not a url)");
		return;
	}
	/* user:password@host: the password is a secret too */
	at = memchr(url, '@', n);
	if (at) {
		const char *host = strstr(url, "://") + 3;

		crq_buf_put(out, url, (size_t)(host - url));
		crq_buf_puts(out, "(set)");
		crq_buf_put(out, at, (size_t)(url + n - at));
	} else {
		crq_buf_put(out, url, n);
	}
	if (url[n] && strcmp(url + n, "/"))
		crq_buf_puts(out, "/...");
}

/* Replace every occurrence of what in buf (from offset from) with
 * with: the secret or the address must not leak into a message. */
static void scrub(crq_buf *buf, size_t from, const char *what,
	const char *with)
{
	crq_buf tmp = CRQ_BUF_INIT;
	size_t n = what ? strlen(what) : 0;
	const char *p, *hit;

	if (n < 4 || buf->size <= from || !strstr(buf->ptr + from, what))
		return;
	crq_buf_put(&tmp, buf->ptr, from);
	for (p = buf->ptr + from; (hit = strstr(p, what)); p = hit + n) {
		crq_buf_put(&tmp, p, (size_t)(hit - p));
		crq_buf_puts(&tmp, with);
	}
	crq_buf_puts(&tmp, p);
	crq_buf_dispose(buf);
	*buf = tmp;
}

static void scrub_secrets(crq_buf *why, size_t from, const crq_node *ch,
	const char *url)
{
	const char *curl = str_of(ch, "url");

	scrub(why, from, str_of(ch, "secret"), "(secret)");
	if (url && url[origin_len(url)])
		scrub(why, from, url + origin_len(url), "/...");
	if (curl && curl != url && curl[origin_len(curl)])
		scrub(why, from, curl + origin_len(curl), "/...");
}

/* ------------------------------------------------------------------ */
/* The message people read */

/* The lines of the message about ev, cleaned of control characters. */
static crq_node *message_lines(const crq_node *ev)
{
	crq_node *lines = crq_node_new(CRQ_NODE_ARRAY);
	const char *change = str_of(ev, "change"), *title = str_of(ev, "title");
	const char *summary = str_of(ev, "summary"), *rule = str_of(ev, "rule");
	const crq_node *esc = crq_node_get(ev, "escalate_to");
	const crq_node *members = crq_node_get(esc, "members");
	const char *due = str_of(crq_node_get(ev, "sla"), "due");
	crq_buf line = CRQ_BUF_INIT;
	size_t i, n;

	if (!due)
		due = str_of(crq_node_get(ev, "task"), "due");
	crq_buf_puts(&line, "[crq] ");
	if (change) {
		put_clean(&line, change);
		crq_buf_putc(&line, ' ');
	}
	if (title) {
		put_clean(&line, title);
		crq_buf_puts(&line, ": ");
	}
	put_clean(&line, summary ? summary : str_of(ev, "type") ?
		str_of(ev, "type") : "event");
	crq_node_push(lines, crq_node_new_string(line.ptr, line.size));
	if (rule) {
		crq_buf_clear(&line);
		crq_buf_puts(&line, "rule: ");
		put_clean(&line, rule);
		crq_node_push(lines, crq_node_new_string(line.ptr, line.size));
	}
	if (esc && (str_of(esc, "to") || (members && members->count))) {
		crq_buf_clear(&line);
		crq_buf_puts(&line, "escalated to ");
		put_clean(&line, str_of(esc, "to") ? str_of(esc, "to") :
			"members");
		for (i = n = 0; members && members->kind == CRQ_NODE_ARRAY &&
				i < members->count; i++) {
			if (members->items[i]->kind != CRQ_NODE_STRING)
				continue;
			crq_buf_puts(&line, n++ ? ", " : " (");
			put_clean(&line, members->items[i]->str);
		}
		if (n)
			crq_buf_putc(&line, ')');
		crq_node_push(lines, crq_node_new_string(line.ptr, line.size));
	}
	if (due) {
		crq_buf_clear(&line);
		crq_buf_puts(&line, "due ");
		put_clean(&line, due);
		crq_node_push(lines, crq_node_new_string(line.ptr, line.size));
	}
	crq_buf_dispose(&line);
	return lines;
}

/* The lines joined by newlines, each character through esc (NULL: as
 * they are) */
typedef void (*escape_fn)(crq_buf *out, char c);

static crq_node *message_text(const crq_node *ev, escape_fn esc)
{
	crq_node *lines = message_lines(ev), *text;
	crq_buf out = CRQ_BUF_INIT;
	size_t i;
	const char *p;

	for (i = 0; i < lines->count; i++) {
		if (i)
			crq_buf_putc(&out, '\n');
		for (p = lines->items[i]->str; *p; p++)
			if (esc)
				esc(&out, *p);
			else
				crq_buf_putc(&out, *p);
	}
	text = crq_node_new_string(crq_buf_cstr(&out), out.size);
	crq_buf_dispose(&out);
	crq_node_free(lines);
	return text;
}

/* Slack's mrkdwn: &, < and > are the three it wants escaped; "<!channel>"
 * in a title would otherwise notify the whole channel. */
static void escape_slack(crq_buf *out, char c)
{
	if (c == '&')
		crq_buf_puts(out, "&amp;");
	else if (c == '<')
		crq_buf_puts(out, "&lt;");
	else if (c == '>')
		crq_buf_puts(out, "&gt;");
	else
		crq_buf_putc(out, c);
}

/* Feishu's text messages read <at user_id="all"> as a mention of all
 * and know no entities: the brackets become full-width ones. */
static void escape_feishu(crq_buf *out, char c)
{
	if (c == '<')
		crq_buf_puts(out, "\xef\xbc\x9c");	/* U+FF1C */
	else if (c == '>')
		crq_buf_puts(out, "\xef\xbc\x9e");	/* U+FF1E */
	else
		crq_buf_putc(out, c);
}

/* ------------------------------------------------------------------ */
/* Payloads, one small function per vendor */

typedef struct {
	crq_buf *url, *headers, *body;
	const crq_node *ch, *ev;
	const char *secret;	/* NULL when unset or empty */
	long long now_ms;
} payload_ctx;

static void put_json(crq_buf *out, crq_node *n)
{
	crq_json_write(out, n, 0);
	crq_node_free(n);
}

static crq_node *obj1(const char *key, crq_node *val)
{
	crq_node *o = crq_node_new(CRQ_NODE_OBJECT);

	crq_node_set(o, key, val);
	return o;
}

static void json_headers(payload_ctx *p)
{
	crq_buf_puts(p->headers, "Content-Type: application/json\n");
}

static void payload_slack(payload_ctx *p)
{
	json_headers(p);
	put_json(p->body, obj1("text", message_text(p->ev, escape_slack)));
}

/* A Power Automate workflow ("post to a channel when a webhook request
 * is received") takes a message with one Adaptive Card. */
static void payload_teams(payload_ctx *p)
{
	crq_node *lines = message_lines(p->ev), *body, *card, *att, *msg,
		*atts;
	size_t i;

	body = crq_node_new(CRQ_NODE_ARRAY);
	for (i = 0; i < lines->count; i++) {
		crq_node *tb = crq_node_new(CRQ_NODE_OBJECT);

		crq_node_set(tb, "type", crq_node_new_cstr("TextBlock"));
		crq_node_set(tb, "text", crq_node_dup(lines->items[i]));
		crq_node_set(tb, "wrap", crq_node_new_bool(1));
		if (!i)
			crq_node_set(tb, "weight", crq_node_new_cstr("Bolder"));
		crq_node_push(body, tb);
	}
	card = crq_node_new(CRQ_NODE_OBJECT);
	crq_node_set(card, "$schema", crq_node_new_cstr(
		"http://adaptivecards.io/schemas/adaptive-card.json"));
	crq_node_set(card, "type", crq_node_new_cstr("AdaptiveCard"));
	crq_node_set(card, "version", crq_node_new_cstr("1.4"));
	crq_node_set(card, "body", body);
	att = crq_node_new(CRQ_NODE_OBJECT);
	crq_node_set(att, "contentType", crq_node_new_cstr(
		"application/vnd.microsoft.card.adaptive"));
	crq_node_set(att, "contentUrl", crq_node_new(CRQ_NODE_NULL));
	crq_node_set(att, "content", card);
	atts = crq_node_new(CRQ_NODE_ARRAY);
	crq_node_push(atts, att);
	msg = crq_node_new(CRQ_NODE_OBJECT);
	crq_node_set(msg, "type", crq_node_new_cstr("message"));
	crq_node_set(msg, "attachments", atts);
	crq_node_free(lines);
	json_headers(p);
	put_json(p->body, msg);
}

/* Feishu (Lark) custom bot: timestamp in seconds; the signature is the
 * HMAC-SHA256 of nothing, keyed with "timestamp\nsecret". */
static void payload_feishu(payload_ctx *p)
{
	crq_node *msg = crq_node_new(CRQ_NODE_OBJECT);

	if (p->secret) {
		crq_buf key = CRQ_BUF_INIT, sign = CRQ_BUF_INIT;
		unsigned char md[32];
		char ts[32];

		snprintf(ts, sizeof(ts), "%lld", p->now_ms / 1000);
		crq_buf_printf(&key, "%s\n%s", ts, p->secret);
		hmac256(md, key.ptr, key.size, "", 0);
		base64(&sign, md, sizeof(md));
		crq_node_set(msg, "timestamp", crq_node_new_cstr(ts));
		crq_node_set(msg, "sign", crq_node_new_cstr(sign.ptr));
		OPENSSL_cleanse(key.ptr, key.size);
		crq_buf_dispose(&key);
		crq_buf_dispose(&sign);
	}
	crq_node_set(msg, "msg_type", crq_node_new_cstr("text"));
	crq_node_set(msg, "content", obj1("text", message_text(p->ev,
		escape_feishu)));
	json_headers(p);
	put_json(p->body, msg);
}

/* DingTalk custom robot: timestamp in milliseconds; the signature, the
 * HMAC-SHA256 of "timestamp\nsecret" keyed with the secret, goes into
 * the address. */
static void payload_dingtalk(payload_ctx *p)
{
	crq_node *msg = crq_node_new(CRQ_NODE_OBJECT);

	if (p->secret) {
		crq_buf data = CRQ_BUF_INIT, sign = CRQ_BUF_INIT;
		unsigned char md[32];

		crq_buf_printf(&data, "%lld\n%s", p->now_ms, p->secret);
		hmac256(md, p->secret, strlen(p->secret), data.ptr, data.size);
		base64(&sign, md, sizeof(md));
		crq_buf_printf(p->url, "%ctimestamp=%lld&sign=",
			strchr(p->url->ptr, '?') ? '&' : '?', p->now_ms);
		put_urlencoded(p->url, sign.ptr);
		OPENSSL_cleanse(data.ptr, data.size);
		crq_buf_dispose(&data);
		crq_buf_dispose(&sign);
	}
	crq_node_set(msg, "msgtype", crq_node_new_cstr("text"));
	crq_node_set(msg, "text", obj1("content", message_text(p->ev, NULL)));
	json_headers(p);
	put_json(p->body, msg);
}

static void payload_wecom(payload_ctx *p)
{
	crq_node *msg = crq_node_new(CRQ_NODE_OBJECT);

	crq_node_set(msg, "msgtype", crq_node_new_cstr("text"));
	crq_node_set(msg, "text", obj1("content", message_text(p->ev, NULL)));
	json_headers(p);
	put_json(p->body, msg);
}

/* A header value from event data: one line, whatever the data. */
static void put_header(crq_buf *out, const char *name, const char *value)
{
	crq_buf_printf(out, "%s: ", name);
	put_clean(out, value ? value : "");
	crq_buf_putc(out, '\n');
}

/* The event itself, signed as GitHub signs its webhooks.  The delivery
 * id is the event's: the same on every retry, so that a receiver can
 * drop a repeat. */
static void payload_webhook(payload_ctx *p)
{
	json_headers(p);
	crq_json_write(p->body, p->ev, 0);
	put_header(p->headers, "X-Crq-Event", str_of(p->ev, "type"));
	put_header(p->headers, "X-Crq-Delivery", str_of(p->ev, "id"));
	if (p->secret) {
		unsigned char md[32];
		char text[65];

		hmac256(md, p->secret, strlen(p->secret), p->body->ptr,
			p->body->size);
		hex(text, md, sizeof(md));
		crq_buf_printf(p->headers, "X-Crq-Signature-256: sha256=%s\n",
			text);
	}
}

static void payload_command(payload_ctx *p)
{
	crq_json_write(p->body, p->ev, 0);
	crq_buf_putc(p->body, '\n');
}

/* ------------------------------------------------------------------ */
/* What a server's answer means: 0 delivered, 1 worth another attempt,
 * -1 not (why says why) */

static int answer_status(crq_buf *why, long status, const crq_buf *ans)
{
	if (status >= 200 && status < 300)
		return 0;
	crq_buf_printf(why, "HTTP %ld", status);
	put_excerpt(why, ": ", ans->ptr, ans->size);
	return status >= 500 || status == 429 ? 1 : -1;
}

static int answer_plain(crq_buf *why, long status, const crq_buf *ans)
{
	return answer_status(why, status, ans);
}

/* The chat robots of China answer 200 with a code in a JSON body. */
static int answer_coded(crq_buf *why, long status, const crq_buf *ans,
	const char *vendor, const char *code_key, const char *msg_key,
	const char *code_key2, const char *msg_key2)
{
	crq_node *doc = NULL;
	const crq_node *code;
	const char *msg;
	int rc;

	if ((rc = answer_status(why, status, ans)))
		return rc;
	if (crq_json_parse(&doc, ans->ptr ? ans->ptr : "", ans->size,
			"answer") < 0 || doc->kind != CRQ_NODE_OBJECT) {
		crq_error_clear();
		crq_buf_printf(why, "%s did not answer with JSON", vendor);
		crq_node_free(doc);
		return -1;
	}
	code = crq_node_get(doc, code_key);
	msg = str_of(doc, msg_key);
	if (!code && code_key2) {
		code = crq_node_get(doc, code_key2);
		msg = str_of(doc, msg_key2);
	}
	if (code && code->kind == CRQ_NODE_INT && code->i == 0) {
		crq_node_free(doc);
		return 0;
	}
	if (code && code->kind == CRQ_NODE_INT)
		crq_buf_printf(why, "%s answered %s %lld", vendor, code_key,
			code->i);
	else
		crq_buf_printf(why, "%s answered without %s", vendor, code_key);
	if (msg)
		put_excerpt(why, ": ", msg, strlen(msg));
	crq_node_free(doc);
	return -1;
}

static int answer_feishu(crq_buf *why, long status, const crq_buf *ans)
{
	/* the older endpoints answer StatusCode / StatusMessage */
	return answer_coded(why, status, ans, "feishu", "code", "msg",
		"StatusCode", "StatusMessage");
}

static int answer_dingtalk(crq_buf *why, long status, const crq_buf *ans)
{
	return answer_coded(why, status, ans, "dingtalk", "errcode", "errmsg",
		NULL, NULL);
}

static int answer_wecom(crq_buf *why, long status, const crq_buf *ans)
{
	return answer_coded(why, status, ans, "wecom", "errcode", "errmsg",
		NULL, NULL);
}

/* ------------------------------------------------------------------ */
/* The kinds of channel */

typedef struct {
	const char *name;
	void (*payload)(payload_ctx *p);
	int (*answer)(crq_buf *why, long status, const crq_buf *ans);
	int signs;		/* uses a secret */
} channel_kind;

static const channel_kind kinds[] = {
	{ "slack", payload_slack, answer_plain, 0 },
	{ "teams", payload_teams, answer_plain, 0 },
	{ "feishu", payload_feishu, answer_feishu, 1 },
	{ "dingtalk", payload_dingtalk, answer_dingtalk, 1 },
	{ "wecom", payload_wecom, answer_wecom, 0 },
	{ "webhook", payload_webhook, answer_plain, 1 },
	{ "command", payload_command, NULL, 0 },
};

static const channel_kind *kind_of(const char *type)
{
	size_t i;

	for (i = 0; type && i < CRQ_ARRAY_SIZE(kinds); i++)
		if (!strcmp(kinds[i].name, type))
			return &kinds[i];
	return NULL;
}

int crq_notify_payload(crq_buf *url, crq_buf *headers, crq_buf *body,
	const crq_node *channel, const crq_node *event, long long now_ms)
{
	const channel_kind *k = kind_of(str_of(channel, "type"));
	const char *secret = str_of(channel, "secret");
	payload_ctx p;

	if (!event || event->kind != CRQ_NODE_OBJECT)
		return crq_error__set(CRQ_EUSAGE, "an event is an object");
	if (!k)
		return crq_error__set(CRQ_EINVALID,
			"notify channel '%s' has an unknown type",
			str_of(channel, "name") ? str_of(channel, "name") : "");
	crq_buf_puts(url, k->answer ? str_of(channel, "url") ?
		str_of(channel, "url") : "" : "");
	crq_buf_put(headers, "", 0);
	crq_buf_put(body, "", 0);
	p.url = url;
	p.headers = headers;
	p.body = body;
	p.ch = channel;
	p.ev = event;
	p.secret = secret && *secret && k->signs ? secret : NULL;
	p.now_ms = now_ms;
	k->payload(&p);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Channels from git config */

static const char *const settings[] = { "type", "url", "secret", "events",
	"command", "timeout", "retries" };

/* "crq.notify.NAME.VAR" (any case but NAME's; from -c, followed by
 * "=VALUE"): 1 and name, var set. */
static int split_key(const char *key, crq_buf *name, crq_buf *var)
{
	size_t n, dot;

	if (strncasecmp(key, "crq.notify.", 11))
		return 0;
	key += 11;
	n = strcspn(key, "=");
	for (dot = n; dot > 0 && key[dot - 1] != '.'; dot--)
		;
	crq_buf_clear(name);
	crq_buf_clear(var);
	/* crq.notify.VAR: no name */
	crq_buf_put(name, key, dot ? dot - 1 : 0);
	for (; dot < n; dot++)
		crq_buf_putc(var, (char)(key[dot] >= 'A' && key[dot] <= 'Z' ?
			key[dot] + 32 : key[dot]));
	return 1;
}

static int name_ok(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' &&
		      s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9') ||
		      s[n] == '-' || s[n] == '_'))
			return 0;
	return n > 0 && n <= NAME_MAX_LEN;
}

static int setting_known(const char *var)
{
	size_t i;

	for (i = 0; i < CRQ_ARRAY_SIZE(settings); i++)
		if (!strcmp(settings[i], var))
			return 1;
	return 0;
}

/* Note key (from git config or -c) in names: {name: first unknown
 * setting or ""}.  CRQ_EINVALID for a key crq cannot place. */
static int note_key(crq_node *names, const char *key)
{
	crq_buf name = CRQ_BUF_INIT, var = CRQ_BUF_INIT;
	crq_node *seen;
	int err = 0;

	if (!split_key(key, &name, &var))
		goto done;
	if (!name_ok(crq_buf_cstr(&name))) {
		err = name.size ? crq_error__set(CRQ_EINVALID,
			"notify channel name '%.64s' is not letters, digits, "
			"'-' and '_'", name.ptr) : crq_error__set(CRQ_EINVALID,
			"'crq.notify.%s' names no channel; set "
			"crq.notify.NAME.%s", crq_buf_cstr(&var),
			crq_buf_cstr(&var));
		goto done;
	}
	if (!(seen = crq_node_get(names, name.ptr))) {
		seen = crq_node_new_cstr("");
		crq_node_set(names, name.ptr, seen);
	}
	if (!setting_known(crq_buf_cstr(&var)) && !seen->len) {
		free(seen->str);
		seen->str = crq__strdup(crq_buf_cstr(&var));
		seen->len = strlen(seen->str);
	}
done:
	crq_buf_dispose(&name);
	crq_buf_dispose(&var);
	return err;
}

/* The channel names the configuration mentions: {name: unknown
 * setting or ""}, sorted by name. */
static int channel_names(crq_node **out, crq_repo *repo)
{
	crq_node *names = crq_node_new(CRQ_NODE_OBJECT);
	git_config *snap = NULL;
	git_config_iterator *it = NULL;
	git_config_entry *entry;
	size_t i, j;
	int err = 0, rc;

	for (i = 0; i < repo->config_count && !err; i++)
		err = note_key(names, repo->config[i]);
	if (err)
		goto done;
	/* every entry, not a glob: libgit2 1.5 leaks the match data of
	 * each regular expression match (see tests/lsan.supp) */
	if ((rc = git_repository_config_snapshot(&snap, repo->git)) < 0 ||
	    (rc = git_config_iterator_new(&it, snap)) < 0) {
		err = crq_store__git_error(rc, "cannot read git config");
		goto done;
	}
	while (!err && (rc = git_config_next(&entry, it)) == 0)
		err = note_key(names, entry->name);
	if (!err && rc != GIT_ITEROVER)
		err = crq_store__git_error(rc, "cannot read git config");
	/* insertion sort: a handful of channels */
	for (i = 1; !err && i < names->count; i++)
		for (j = i; j > 0 && strcmp(names->keys[j - 1],
				names->keys[j]) > 0; j--) {
			char *k = names->keys[j];
			crq_node *v = names->items[j];

			names->keys[j] = names->keys[j - 1];
			names->items[j] = names->items[j - 1];
			names->keys[j - 1] = k;
			names->items[j - 1] = v;
		}
done:
	git_config_iterator_free(it);
	git_config_free(snap);
	if (err) {
		crq_node_free(names);
		return err;
	}
	*out = names;
	return 0;
}

/* crq.notify.NAME.VAR into out (cleared); 1 when set. */
static int setting(crq_buf *out, crq_repo *repo, const char *name,
	const char *var, int *err)
{
	crq_buf key = CRQ_BUF_INIT;
	int rc;

	crq_buf_clear(out);
	crq_buf_printf(&key, "crq.notify.%s.%s", name, var);
	rc = crq_repo_config(out, repo, key.ptr);
	crq_buf_dispose(&key);
	if (rc == CRQ_ENOTFOUND) {
		crq_error_clear();
		return 0;
	}
	if (rc < 0)
		*err = rc;
	return rc == 0;
}

static int number_setting(crq_node *ch, crq_repo *repo, const char *name,
	const char *var, long long def, long long lo, long long hi)
{
	crq_buf val = CRQ_BUF_INIT;
	long long v = def;
	char *end;
	int err = 0;

	if (setting(&val, repo, name, var, &err)) {
		errno = 0;
		v = strtoll(val.ptr, &end, 10);
		if (!val.size || *end || errno || v < lo || v > hi)
			err = crq_error__set(CRQ_EINVALID,
				"notify channel '%s': %s '%.32s' is not a "
				"number from %lld to %lld", name, var, val.ptr,
				lo, hi);
	}
	if (!err)
		crq_node_set(ch, var, crq_node_new_int(v));
	crq_buf_dispose(&val);
	return err;
}

static int url_ok(const char *url)
{
	const char *p;

	if (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8))
		return 0;
	for (p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return 0;
	return origin_len(url) > (size_t)(strstr(url, "://") - url) + 3;
}

/* The channel name as configured, checked. */
static int channel_load(crq_node **out, crq_repo *repo, const char *name,
	const char *unknown)
{
	static const char kinds_list[] =
		"slack, teams, feishu, dingtalk, wecom, webhook, command";
	crq_node *ch = crq_node_new(CRQ_NODE_OBJECT), *events;
	crq_buf val = CRQ_BUF_INIT;
	const channel_kind *k;
	const char *p;
	int err = 0;

	if (unknown && *unknown) {
		err = crq_error__set(CRQ_EINVALID,
			"notify channel '%s': unknown setting '%.32s' (known: "
			"type, url, secret, events, command, timeout, retries)",
			name, unknown);
		goto done;
	}
	crq_node_set(ch, "name", crq_node_new_cstr(name));
	if (!setting(&val, repo, name, "type", &err)) {
		if (!err)
			err = crq_error__set(CRQ_EINVALID,
				"notify channel '%s' has no type (%s)", name,
				kinds_list);
		goto done;
	}
	if (!(k = kind_of(val.ptr))) {
		err = crq_error__set(CRQ_EINVALID,
			"notify channel '%s': unknown type '%.32s' (%s)", name,
			val.ptr, kinds_list);
		goto done;
	}
	crq_node_set(ch, "type", crq_node_new_cstr(k->name));
	if (setting(&val, repo, name, "url", &err)) {
		if (k->answer && !url_ok(val.ptr)) {
			err = crq_error__set(CRQ_EINVALID,
				"notify channel '%s': the url is not an "
				"http:// or https:// address", name);
			goto done;
		}
		crq_node_set(ch, "url", crq_node_new_cstr(val.ptr));
	} else if (!err && k->answer) {
		err = crq_error__set(CRQ_EINVALID,
			"notify channel '%s' (%s) has no url", name, k->name);
	}
	if (err)
		goto done;
	if (setting(&val, repo, name, "secret", &err))
		crq_node_set(ch, "secret", crq_node_new_cstr(val.ptr));
	events = crq_node_new(CRQ_NODE_ARRAY);
	crq_node_set(ch, "events", events);
	if (setting(&val, repo, name, "events", &err)) {
		/* "step, rule" or "step rule" */
		for (p = val.ptr; *p;) {
			size_t n;

			p += strspn(p, ", \t");
			n = strcspn(p, ", \t");
			if (n)
				crq_node_push(events, crq_node_new_string(p, n));
			p += n;
		}
	}
	if (setting(&val, repo, name, "command", &err)) {
		crq_node_set(ch, "command", crq_node_new_cstr(val.ptr));
	} else if (!err && !k->answer) {
		err = crq_error__set(CRQ_EINVALID,
			"notify channel '%s' (command) has no command", name);
	}
	if (!err && !(err = number_setting(ch, repo, name, "timeout",
			DEFAULT_TIMEOUT, 1, MAX_TIMEOUT)))
		err = number_setting(ch, repo, name, "retries",
			DEFAULT_RETRIES, 0, MAX_RETRIES);
done:
	crq_buf_dispose(&val);
	if (err) {
		crq_node_free(ch);
		return err;
	}
	*out = ch;
	return 0;
}

int crq_notify_channels(crq_node **out, crq_repo *repo)
{
	crq_node *names = NULL, *arr = NULL, *ch;
	size_t i;
	int err;

	*out = NULL;
	if ((err = channel_names(&names, repo)) < 0)
		return err;
	arr = crq_node_new(CRQ_NODE_ARRAY);
	for (i = 0; i < names->count; i++) {
		if ((err = channel_load(&ch, repo, names->keys[i],
				names->items[i]->str)) < 0)
			goto done;
		crq_node_push(arr, ch);
	}
	*out = arr;
	arr = NULL;
done:
	crq_node_free(arr);
	crq_node_free(names);
	return err;
}

int crq_notify_wants(const crq_node *channel, const crq_node *event)
{
	const char *name = str_of(channel, "name"), *type = str_of(event, "type");
	const crq_node *notify = crq_node_get(event, "notify");
	const crq_node *events = crq_node_get(channel, "events");

	if (name && notify && notify->kind == CRQ_NODE_ARRAY &&
	    crq_node__has(notify, name))
		return 1;
	if (!events || events->kind != CRQ_NODE_ARRAY)
		return 0;
	return crq_node__has(events, "*") || (type &&
		crq_node__has(events, type));
}

/* ------------------------------------------------------------------ */
/* Sending over HTTP */

/* libcurl is loaded by the first delivery that needs it (lib/dynload.c):
 * the commands that send nothing do not pay for it and its dozens of
 * libraries */
static pthread_mutex_t curl_lock = PTHREAD_MUTEX_INITIALIZER;
static const crq_curl_api *curl_live;	/* curl_global_init done */

static void curl_down(void)
{
	pthread_mutex_lock(&curl_lock);
	if (curl_live)
		curl_live->curl_global_cleanup();
	curl_live = NULL;
	pthread_mutex_unlock(&curl_lock);
}

/* The table of libcurl's functions, initialised; NULL with the error
 * set. */
static const crq_curl_api *curl_up(void)
{
	const crq_curl_api *api = crq_dl__curl();
	const crq_curl_api *ready;

	if (!api)
		return NULL;
	pthread_mutex_lock(&curl_lock);
	if (!curl_live) {
		if (api->curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			crq_error__set(CRQ_ERROR, "cannot initialise libcurl");
		else
			curl_live = api;
	}
	ready = curl_live;
	pthread_mutex_unlock(&curl_lock);
	if (ready)
		crq__at_shutdown(curl_down);
	return ready;
}

static size_t keep_answer(char *data, size_t size, size_t n, void *arg)
{
	crq_buf *ans = arg;
	size_t len = size * n, room = ANSWER_MAX - ans->size;

	/* the rest is read and dropped: the timeout bounds a server that
	 * never stops talking */
	crq_buf_put(ans, data, len < room ? len : room);
	return len;
}

/* Transport failures worth another attempt. */
static int curl_transient(CURLcode c)
{
	switch (c) {
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

/* One POST; 0, 1 or -1 as the answer functions. */
static int post_once(crq_buf *why, const channel_kind *k, const char *url,
	const char *headers, const crq_buf *body, long timeout)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *list = NULL, *more;
	crq_buf ans = CRQ_BUF_INIT, line = CRQ_BUF_INIT;
	const crq_curl_api *lc;
	CURL *h = NULL;
	CURLcode c;
	long status = 0;
	const char *p;
	int rc = -1;

	if (!(lc = curl_up())) {
		crq_buf_puts(why, crq_error_last());
		return -1;
	}
	if (!(h = lc->curl_easy_init())) {
		crq_buf_puts(why, "cannot start libcurl");
		return -1;
	}
	for (p = headers; *p; p += strcspn(p, "\n") + (p[strcspn(p, "\n")] ==
			'\n')) {
		crq_buf_clear(&line);
		crq_buf_put(&line, p, strcspn(p, "\n"));
		if (!(more = lc->curl_slist_append(list, line.ptr)))
			abort();
		list = more;
	}
	/* no "Expect: 100-continue" round trip */
	if (!(more = lc->curl_slist_append(list, "Expect:")))
		abort();
	list = more;
	if (lc->curl_easy_setopt(h, CURLOPT_URL, url) != CURLE_OK ||
	    lc->curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") !=
		CURLE_OK ||
	    lc->curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR,
		"http,https") != CURLE_OK) {
		crq_buf_puts(why, "the address is not one libcurl takes");
		goto done;
	}
	lc->curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	lc->curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	lc->curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	lc->curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	lc->curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout * 1000);
	lc->curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout * 1000);
	lc->curl_easy_setopt(h, CURLOPT_USERAGENT, "crq/" CRQ_VERSION);
	lc->curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
	lc->curl_easy_setopt(h, CURLOPT_POST, 1L);
	lc->curl_easy_setopt(h, CURLOPT_POSTFIELDS,
		body->ptr ? body->ptr : "");
	lc->curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		(curl_off_t)body->size);
	lc->curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_answer);
	lc->curl_easy_setopt(h, CURLOPT_WRITEDATA, &ans);
	lc->curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	if ((c = lc->curl_easy_perform(h)) != CURLE_OK) {
		crq_buf_puts(why, errbuf[0] ? errbuf :
			lc->curl_easy_strerror(c));
		rc = curl_transient(c) ? 1 : -1;
		goto done;
	}
	lc->curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	rc = k->answer(why, status, &ans);
done:
	lc->curl_easy_cleanup(h);
	lc->curl_slist_free_all(list);
	crq_buf_dispose(&ans);
	crq_buf_dispose(&line);
	return rc;
}

/* ------------------------------------------------------------------ */

/* environ without CRQ_EVENT_ID, CRQ_EVENT_TYPE and CRQ_CHANNEL, then
 * those of this delivery (the array and the three strings are owned;
 * free with free_env) */
static char **command_env(const crq_node *ev, const char *channel)
{
	static const char *const ours[] = { "CRQ_EVENT_ID=",
		"CRQ_EVENT_TYPE=", "CRQ_CHANNEL=" };
	const char *vals[3];
	size_t n = 0, i, j, k = 0;
	char **env;
	crq_buf b = CRQ_BUF_INIT;

	vals[0] = str_of(ev, "id");
	vals[1] = str_of(ev, "type");
	vals[2] = channel;
	while (environ && environ[n])
		n++;
	env = crq__calloc(n + 4, sizeof(*env));
	for (i = 0; i < n; i++) {
		for (j = 0; j < 3; j++)
			if (!strncmp(environ[i], ours[j], strlen(ours[j])))
				break;
		if (j == 3)
			env[k++] = environ[i];
	}
	for (j = 0; j < 3; j++) {
		crq_buf_clear(&b);
		crq_buf_puts(&b, ours[j]);
		put_clean(&b, vals[j] ? vals[j] : "");
		env[k++] = crq_buf_detach(&b);
	}
	crq_buf_dispose(&b);
	return env;
}

static void free_env(char **env)
{
	size_t n = 0;

	while (env[n])
		n++;
	/* the last three are ours */
	free(env[n - 1]);
	free(env[n - 2]);
	free(env[n - 3]);
	free(env);
}

/* Start the command: sh -c COMMAND, stdin from in, stdout to null,
 * stderr to errfd, in dir, in a process group of its own (to be killed
 * with its children), with none of the signals the caller blocks or
 * ignores blocked or ignored.  0, or an errno value. */
static int command_spawn(pid_t *pid, const char *command, char **env,
	int in, int null, int errfd, const char *dir)
{
	char *argv[] = { (char *)"sh", (char *)"-c", (char *)command, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, pipe_only;
	int rc;

	sigemptyset(&none);
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
		return rc;
	if ((rc = posix_spawnattr_init(&attr)) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return rc;
	}
	if ((rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
		POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) == 0 &&
	    (rc = posix_spawnattr_setpgroup(&attr, 0)) == 0 &&
	    (rc = posix_spawnattr_setsigmask(&attr, &none)) == 0 &&
	    (rc = posix_spawnattr_setsigdefault(&attr, &pipe_only)) == 0 &&
	    (rc = posix_spawn_file_actions_adddup2(&fa, in, 0)) == 0 &&
	    (rc = posix_spawn_file_actions_adddup2(&fa, null, 1)) == 0 &&
	    (rc = posix_spawn_file_actions_adddup2(&fa, errfd, 2)) == 0 &&
	    (!dir || (rc = posix_spawn_file_actions_addchdir_np(&fa,
		dir)) == 0))
		rc = posix_spawn(pid, "/bin/sh", &fa, &attr, argv, env);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return rc;
}

/* Wait for pid until deadline (ms); 1 and *status when it ended, 0
 * when the deadline passed, -1 (errno) when it cannot be waited for. */
static int command_wait(pid_t pid, int *status, long long deadline)
{
	pid_t got;

	for (;;) {
		if ((got = waitpid(pid, status, WNOHANG)) == pid)
			return 1;
		if (got < 0 && errno != EINTR)
			return -1;
		if (clock_ms() >= deadline)
			return 0;
		sleep_ms(10);
	}
}

/* Run the channel's command with body on stdin (a file, not a pipe: a
 * command that does not read it cannot block crq nor raise SIGPIPE in
 * it); 0, 1 or -1 as post_once.  At the timeout its whole process
 * group is killed. */
static int command_once(crq_buf *why, const crq_node *ch, const crq_node *ev,
	const crq_buf *body, long timeout, const char *dir)
{
	char **env = NULL, tmp[STDERR_MAX];
	int in = -1, errfd = -1, null = -1, status = 0, rc, res = -1;
	pid_t pid = -1;
	ssize_t n;

	if ((in = crq__tmpfile_fd("crq-notify")) < 0 || (errfd = crq__tmpfile_fd("crq-notify")) < 0 ||
	    crq__write_all(in, body->ptr, body->size) < 0 ||
	    lseek(in, 0, SEEK_SET) < 0 ||
	    (null = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0) {
		crq_buf_printf(why, "cannot run the command: %s",
			strerror(errno));
		goto done;
	}
	env = command_env(ev, str_of(ch, "name"));
	if ((rc = command_spawn(&pid, str_of(ch, "command"), env, in, null,
			errfd, dir)) != 0) {
		crq_buf_printf(why, "cannot run the command: %s",
			strerror(rc));
		goto done;
	}
	rc = command_wait(pid, &status, clock_ms() + timeout * 1000);
	if (rc == 0) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		crq_buf_printf(why, "the command did not finish within %lds "
			"(killed)", timeout);
		res = 1;
		goto done;
	}
	if (rc < 0) {
		crq_buf_printf(why, "cannot wait for the command: %s",
			strerror(errno));
		goto done;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		res = 0;
		goto done;
	}
	if (WIFEXITED(status))
		crq_buf_printf(why, "the command exited with status %d",
			WEXITSTATUS(status));
	else
		crq_buf_printf(why, "the command was killed by signal %d",
			WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	if (lseek(errfd, 0, SEEK_SET) == 0) {
		while ((n = read(errfd, tmp, sizeof(tmp))) < 0 && errno == EINTR)
			;
		if (n > 0)
			put_excerpt(why, ": ", tmp, (size_t)n);
	}
	res = 1;
done:
	if (env)
		free_env(env);
	if (in >= 0)
		close(in);
	if (errfd >= 0)
		close(errfd);
	if (null >= 0)
		close(null);
	return res;
}

/* ------------------------------------------------------------------ */
/* One delivery, with its retries */

static void report_init(crq_notify_report *r, const crq_node *ch,
	const crq_node *ev)
{
	memset(r, 0, sizeof(*r));
	r->channel = crq__strdup(str_of(ch, "name") ? str_of(ch, "name") : "");
	r->event = crq__strdup(str_of(ev, "id") ? str_of(ev, "id") : "");
}

static void report_fail(crq_notify_report *r, const char *why)
{
	free(r->error);
	r->error = crq__strdup(why);
	r->ok = 0;
}

static void deliver(crq_notify_report *r, crq_repo *repo,
	const crq_node *ch, const crq_node *ev)
{
	const channel_kind *k = kind_of(str_of(ch, "type"));
	long long tries = 1 + int_of(ch, "retries", DEFAULT_RETRIES);
	long timeout = (long)int_of(ch, "timeout", DEFAULT_TIMEOUT);
	long backoff = BACKOFF_FIRST_MS;
	crq_buf url = CRQ_BUF_INIT, headers = CRQ_BUF_INIT, body = CRQ_BUF_INIT;
	crq_buf why = CRQ_BUF_INIT;
	int rc = -1;

	report_init(r, ch, ev);
	for (;;) {
		crq_buf_clear(&url);
		crq_buf_clear(&headers);
		crq_buf_clear(&body);
		crq_buf_clear(&why);
		r->attempts++;
		/* built again for each attempt: the signatures sign the time */
		if (crq_notify_payload(&url, &headers, &body, ch, ev,
				clock_ms()) < 0) {
			crq_buf_puts(&why, crq_error_last());
			break;
		}
		rc = k->answer ? post_once(&why, k, url.ptr, headers.ptr, &body,
			timeout) : command_once(&why, ch, ev, &body, timeout,
			repo ? repo->workdir ? repo->workdir : repo->gitdir :
			NULL);
		if (rc <= 0 || r->attempts >= tries)
			break;
		sleep_ms(backoff);
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
			backoff * 2;
	}
	if (rc == 0) {
		r->ok = 1;
	} else {
		scrub_secrets(&why, 0, ch, url.ptr);
		report_fail(r, why.size ? why.ptr : "failed");
	}
	crq_buf_dispose(&url);
	crq_buf_dispose(&headers);
	crq_buf_dispose(&body);
	crq_buf_dispose(&why);
}

/* ------------------------------------------------------------------ */
/* .git/crq/notify/: the lock, the sent log, the journal */

typedef struct {
	char **lines;		/* "channel\tevent", oldest first */
	size_t count, alloc;
	size_t *slots;		/* index + 1 into lines; 0 empty */
	size_t nslots;
	int dirty;		/* must be rewritten (torn, too long) */
} sent_log;

typedef struct {
	crq_buf dir;
	int lock_fd;
	sent_log sent;
	crq_node *journal;	/* [{channel, event, attempts, error, time}] */
	size_t appended;	/* sent lines appended since the load */
} notify_state;

static size_t line_hash(const char *s)
{
	size_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static size_t *sent_slot(sent_log *s, const char *line)
{
	size_t i = line_hash(line) & (s->nslots - 1);

	while (s->slots[i] && strcmp(s->lines[s->slots[i] - 1], line))
		i = (i + 1) & (s->nslots - 1);
	return &s->slots[i];
}

static void sent_rehash(sent_log *s)
{
	size_t i;

	free(s->slots);
	s->nslots = 64;
	while (s->nslots < 2 * s->count + 2)
		s->nslots *= 2;
	s->slots = crq__calloc(s->nslots, sizeof(*s->slots));
	for (i = 0; i < s->count; i++) {
		size_t *slot = sent_slot(s, s->lines[i]);

		if (!*slot)
			*slot = i + 1;
	}
}

static int sent_has(sent_log *s, const char *line)
{
	return s->nslots && *sent_slot(s, line) != 0;
}

static void sent_add(sent_log *s, char *line)
{
	crq__grow((void **)&s->lines, &s->alloc, s->count + 1,
		sizeof(*s->lines));
	s->lines[s->count++] = line;
	if (2 * s->count + 2 > s->nslots) {
		sent_rehash(s);
	} else {
		size_t *slot = sent_slot(s, line);

		if (!*slot)
			*slot = s->count;
	}
}

static void sent_dispose(sent_log *s)
{
	size_t i;

	for (i = 0; i < s->count; i++)
		free(s->lines[i]);
	free(s->lines);
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

static char *sent_key(const char *channel, const char *event)
{
	crq_buf b = CRQ_BUF_INIT;

	crq_buf_printf(&b, "%s\t%s", channel, event);
	return crq_buf_detach(&b);
}

static void state_path(crq_buf *out, const notify_state *st,
	const char *file)
{
	crq_buf_clear(out);
	crq_buf_printf(out, "%s/%s", st->dir.ptr, file);
}

static int io_error(const char *what, const char *path)
{
	return crq_error__set(CRQ_EREPO, "cannot %s '%s': %s", what, path,
		strerror(errno));
}

/* Replace path with data (len 0 and remove: the file goes) through a
 * temporary file, synced before the rename: a crash leaves the old
 * file or the new one, never half of one. */
static int write_atomic(notify_state *st, const char *file, const char *data,
	size_t len, int remove_empty)
{
	crq_buf path = CRQ_BUF_INIT, tmp = CRQ_BUF_INIT;
	int fd = -1, dfd, err = 0;

	state_path(&path, st, file);
	crq_buf_printf(&tmp, "%s.tmp", path.ptr);
	if (!len && remove_empty) {
		if (unlink(path.ptr) < 0 && errno != ENOENT)
			err = io_error("remove", path.ptr);
		goto sync_dir;
	}
	unlink(tmp.ptr);
	if ((fd = open(tmp.ptr, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC |
			O_NOFOLLOW, 0666)) < 0 ||
	    crq__write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		err = io_error("write", tmp.ptr);
		goto done;
	}
	if (close(fd) < 0) {
		fd = -1;
		err = io_error("write", tmp.ptr);
		goto done;
	}
	fd = -1;
	if (rename(tmp.ptr, path.ptr) < 0) {
		err = io_error("rename", tmp.ptr);
		goto done;
	}
sync_dir:
	/* the rename itself survives a crash once the directory is synced */
	if ((dfd = open(st->dir.ptr, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
done:
	if (fd >= 0) {
		close(fd);
	}
	if (err)
		unlink(tmp.ptr);
	crq_buf_dispose(&path);
	crq_buf_dispose(&tmp);
	return err;
}

static int read_state_file(crq_buf *out, notify_state *st, const char *file)
{
	crq_buf path = CRQ_BUF_INIT;
	int err;

	state_path(&path, st, file);
	err = crq_buf_read_file(out, path.ptr, STATE_FILE_MAX);
	if (err == CRQ_ENOTFOUND) {
		crq_error_clear();
		err = 0;
	}
	crq_buf_dispose(&path);
	return err;
}

static int sent_load(notify_state *st)
{
	crq_buf text = CRQ_BUF_INIT;
	const char *p, *nl;
	int err;

	if ((err = read_state_file(&text, st, "sent")) < 0)
		goto done;
	for (p = crq_buf_cstr(&text); *p; p = nl + 1) {
		if (!(nl = strchr(p, '\n'))) {
			st->sent.dirty = 1;	/* a torn last line */
			break;
		}
		if (memchr(p, '\t', (size_t)(nl - p)))
			sent_add(&st->sent, crq__strndup(p, (size_t)(nl - p)));
		else
			st->sent.dirty = 1;
	}
	if (!st->sent.nslots)
		sent_rehash(&st->sent);
done:
	crq_buf_dispose(&text);
	return err;
}

/* Rewrite the sent log keeping its last SENT_KEEP lines. */
static int sent_rewrite(notify_state *st)
{
	crq_buf text = CRQ_BUF_INIT;
	size_t i = st->sent.count > SENT_KEEP ? st->sent.count - SENT_KEEP : 0;
	int err;

	for (; i < st->sent.count; i++)
		crq_buf_printf(&text, "%s\n", st->sent.lines[i]);
	err = write_atomic(st, "sent", crq_buf_cstr(&text), text.size, 0);
	if (!err)
		st->sent.dirty = 0;
	crq_buf_dispose(&text);
	return err;
}

/* Record a delivery done: one line appended (a single small write, in a
 * file whose last line is whole: the load rewrote a torn one). */
static int sent_append(notify_state *st, const char *channel,
	const char *event)
{
	crq_buf path = CRQ_BUF_INIT, line = CRQ_BUF_INIT;
	char *key = sent_key(channel, event);
	int fd, err = 0;

	if (sent_has(&st->sent, key)) {
		free(key);
		return 0;
	}
	crq_buf_printf(&line, "%s\n", key);
	sent_add(&st->sent, key);
	state_path(&path, st, "sent");
	if ((fd = open(path.ptr, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
			O_NOFOLLOW, 0666)) < 0 ||
	    crq__write_all(fd, line.ptr, line.size) < 0 || fdatasync(fd) < 0)
		err = io_error("write", path.ptr);
	if (fd >= 0)
		close(fd);
	st->appended++;
	crq_buf_dispose(&path);
	crq_buf_dispose(&line);
	return err;
}

static int journal_load(notify_state *st)
{
	crq_buf text = CRQ_BUF_INIT, path = CRQ_BUF_INIT;
	const char *p, *nl;
	crq_node *entry;
	size_t lineno = 0;
	int err;

	st->journal = crq_node_new(CRQ_NODE_ARRAY);
	if ((err = read_state_file(&text, st, "failed")) < 0)
		goto done;
	for (p = crq_buf_cstr(&text); *p; p = nl + (*nl == '\n')) {
		nl = p + strcspn(p, "\n");
		lineno++;
		if (nl == p)
			continue;
		entry = NULL;
		if (crq_json_parse(&entry, p, (size_t)(nl - p), "failed") < 0 ||
		    entry->kind != CRQ_NODE_OBJECT ||
		    !str_of(entry, "channel") ||
		    !str_of(crq_node_get(entry, "event"), "id")) {
			crq_node_free(entry);
			state_path(&path, st, "failed");
			err = crq_error__set(CRQ_EREPO,
				"'%s' line %zu is not a pending delivery; "
				"fix or remove it", path.ptr, lineno);
			goto done;
		}
		crq_node_push(st->journal, entry);
	}
done:
	crq_buf_dispose(&text);
	crq_buf_dispose(&path);
	return err;
}

static int journal_write(notify_state *st)
{
	crq_buf text = CRQ_BUF_INIT;
	int err;
	size_t i;

	/* the newest JOURNAL_MAX stay */
	while (st->journal->count > JOURNAL_MAX)
		crq_node_remove_at(st->journal, 0);
	for (i = 0; i < st->journal->count; i++) {
		crq_json_write(&text, st->journal->items[i], 0);
		crq_buf_putc(&text, '\n');
	}
	err = write_atomic(st, "failed", crq_buf_cstr(&text), text.size, 1);
	crq_buf_dispose(&text);
	return err;
}

static long journal_find(const notify_state *st, const char *channel,
	const char *event)
{
	size_t i;

	for (i = 0; i < st->journal->count; i++) {
		const crq_node *e = st->journal->items[i];

		if (!strcmp(str_of(e, "channel"), channel) &&
		    !strcmp(str_of(crq_node_get(e, "event"), "id"), event))
			return (long)i;
	}
	return -1;
}

/* Record how a delivery went: done ones go to the sent log and leave
 * the journal, failed ones stay in (or join) it. */
static int record(notify_state *st, const crq_notify_report *r,
	const crq_node *ev)
{
	long at = journal_find(st, r->channel, r->event);
	crq_node *e;
	char when[32];
	int err;

	if (r->ok) {
		if ((err = sent_append(st, r->channel, r->event)) < 0)
			return err;
		if (at < 0)
			return 0;
		crq_node_remove_at(st->journal, (size_t)at);
		return journal_write(st);
	}
	crq_rules_time(when, clock_ms() / 1000);
	if (at >= 0) {
		e = st->journal->items[at];
		crq_node_set(e, "attempts", crq_node_new_int(
			int_of(e, "attempts", 0) + r->attempts));
	} else {
		e = crq_node_new(CRQ_NODE_OBJECT);
		crq_node_set(e, "channel", crq_node_new_cstr(r->channel));
		crq_node_set(e, "event", crq_node_dup(ev));
		crq_node_set(e, "attempts", crq_node_new_int(r->attempts));
		crq_node_push(st->journal, e);
	}
	crq_node_set(e, "error", crq_node_new_cstr(r->error ? r->error : ""));
	crq_node_set(e, "time", crq_node_new_cstr(when));
	return journal_write(st);
}

static int make_dir(const char *path)
{
	struct stat sb;

	if (mkdir(path, 0777) < 0 && errno != EEXIST)
		return io_error("create", path);
	if (lstat(path, &sb) < 0)
		return io_error("read", path);
	if (!S_ISDIR(sb.st_mode))
		return crq_error__set(CRQ_EREPO, "'%s' is not a directory",
			path);
	return 0;
}

static int state_close(notify_state *st, int err);

/* Open .git/crq/notify/ and take its lock (flock: it goes with the
 * process, so a crashed crq leaves no stale lock), then load what it
 * holds.  A second crq waits: one sender at a time, so that none sends
 * what the other is sending. */
static int state_open(notify_state *st, crq_repo *repo)
{
	crq_buf path = CRQ_BUF_INIT;
	int err;

	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
	crq_buf_printf(&st->dir, "%s/crq", repo->gitdir);
	if ((err = make_dir(st->dir.ptr)) < 0)
		goto done;
	crq_buf_puts(&st->dir, "/notify");
	if ((err = make_dir(st->dir.ptr)) < 0)
		goto done;
	state_path(&path, st, "lock");
	if ((st->lock_fd = open(path.ptr, O_CREAT | O_RDWR | O_CLOEXEC |
			O_NOFOLLOW, 0666)) < 0) {
		err = io_error("open", path.ptr);
		goto done;
	}
	while ((err = flock(st->lock_fd, LOCK_EX)) < 0 && errno == EINTR)
		;
	if (err < 0) {
		err = io_error("lock", path.ptr);
		goto done;
	}
	if ((err = sent_load(st)) < 0 || (err = journal_load(st)) < 0)
		goto done;
	if (st->sent.dirty)
		err = sent_rewrite(st);
done:
	crq_buf_dispose(&path);
	return err ? state_close(st, err) : 0;
}

/* Compact the sent log when it grew too long (unless err); release
 * everything (also what a failed state_open took).  Returns err, or
 * the compaction's error. */
static int state_close(notify_state *st, int err)
{
	if (!err && st->sent.count > SENT_KEEP + SENT_SLACK)
		err = sent_rewrite(st);
	sent_dispose(&st->sent);
	crq_node_free(st->journal);
	if (st->lock_fd >= 0)
		close(st->lock_fd);	/* lets go of the flock */
	crq_buf_dispose(&st->dir);
	return err;
}

/* ------------------------------------------------------------------ */
/* The public calls */

typedef struct {
	crq_notify_report *r;
	size_t count, alloc;
} reports;

static crq_notify_report *report_new(reports *rs)
{
	crq__grow((void **)&rs->r, &rs->alloc, rs->count + 1, sizeof(*rs->r));
	return &rs->r[rs->count++];
}

static void reports_out(crq_notify_report **out, size_t *count, reports *rs)
{
	*out = rs->r;
	*count = rs->count;
}

void crq_notify_reports_free(crq_notify_report *r, size_t count)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < count; i++) {
		free(r[i].channel);
		free(r[i].event);
		free(r[i].error);
	}
	free(r);
}

static const crq_node *channel_named(const crq_node *channels,
	const char *name)
{
	long i = crq_node__find(channels, "name", name);

	return i < 0 ? NULL : channels->items[i];
}

int crq_notify_send(crq_notify_report **out, size_t *count, crq_repo *repo,
	const crq_node *events)
{
	crq_node *channels = NULL;
	notify_state st;
	reports rs = { NULL, 0, 0 };
	size_t i, j;
	int err, opened = 0;

	*out = NULL;
	*count = 0;
	if (!events || events->kind != CRQ_NODE_ARRAY)
		return crq_error__set(CRQ_EUSAGE, "the events are an array");
	for (i = 0; i < events->count; i++)
		if (!str_of(events->items[i], "id"))
			return crq_error__set(CRQ_EINVALID,
				"event %zu has no id", i + 1);
	if ((err = crq_notify_channels(&channels, repo)) < 0)
		return err;
	if (!channels->count || !events->count)
		goto done;
	if ((err = state_open(&st, repo)) < 0)
		goto done;
	opened = 1;
	for (i = 0; i < events->count && !err; i++) {
		const crq_node *ev = events->items[i];

		for (j = 0; j < channels->count && !err; j++) {
			const crq_node *ch = channels->items[j];
			char *key;
			int done_before;

			if (!crq_notify_wants(ch, ev))
				continue;
			key = sent_key(str_of(ch, "name"), str_of(ev, "id"));
			done_before = sent_has(&st.sent, key);
			free(key);
			if (done_before)
				continue;
			deliver(report_new(&rs), repo, ch, ev);
			err = record(&st, &rs.r[rs.count - 1], ev);
		}
	}
done:
	if (opened)
		err = state_close(&st, err);
	crq_node_free(channels);
	if (err < 0) {
		crq_notify_reports_free(rs.r, rs.count);
		return err;
	}
	reports_out(out, count, &rs);
	return 0;
}

int crq_notify_retry(crq_notify_report **out, size_t *count, crq_repo *repo)
{
	crq_node *channels = NULL, *pending = NULL;
	notify_state st;
	reports rs = { NULL, 0, 0 };
	size_t i;
	int err, opened = 0;

	*out = NULL;
	*count = 0;
	if ((err = crq_notify_channels(&channels, repo)) < 0)
		return err;
	if ((err = state_open(&st, repo)) < 0)
		goto done;
	opened = 1;
	/* record() edits the journal: walk a copy */
	pending = crq_node_dup(st.journal);
	for (i = 0; i < pending->count && !err; i++) {
		const crq_node *e = pending->items[i];
		const crq_node *ev = crq_node_get(e, "event");
		const char *name = str_of(e, "channel");
		const crq_node *ch = channel_named(channels, name);
		crq_notify_report *r;
		char *key = sent_key(name, str_of(ev, "id"));
		int done_before = sent_has(&st.sent, key);

		free(key);
		if (done_before) {	/* a later run sent it */
			long at = journal_find(&st, name, str_of(ev, "id"));

			if (at >= 0) {
				crq_node_remove_at(st.journal, (size_t)at);
				err = journal_write(&st);
			}
			continue;
		}
		r = report_new(&rs);
		if (!ch) {
			crq_buf why = CRQ_BUF_INIT;

			report_init(r, NULL, ev);
			free(r->channel);
			r->channel = crq__strdup(name);
			crq_buf_printf(&why, "channel '%s' is not configured "
				"(any more); the delivery stays pending", name);
			report_fail(r, why.ptr);
			crq_buf_dispose(&why);
			continue;
		}
		deliver(r, repo, ch, ev);
		err = record(&st, r, ev);
	}
done:
	if (opened)
		err = state_close(&st, err);
	crq_node_free(pending);
	crq_node_free(channels);
	if (err < 0) {
		crq_notify_reports_free(rs.r, rs.count);
		return err;
	}
	reports_out(out, count, &rs);
	return 0;
}

/* The sample event of crq notify test: type "test", its own id. */
static crq_node *sample_event(const char *name, long long now_ms)
{
	crq_node *ev = crq_node_new(CRQ_NODE_OBJECT);
	crq_buf seed = CRQ_BUF_INIT, text = CRQ_BUF_INIT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char id[64], when[32];

	crq_buf_printf(&seed, "test\n%s\n%lld", name, now_ms);
	if (!EVP_Digest(seed.ptr, seed.size, md, &mdlen, EVP_sha256(), NULL))
		abort();
	memcpy(id, "evt-", 4);
	hex(id + 4, md, 12);
	crq_rules_time(when, now_ms / 1000);
	crq_node_set(ev, "id", crq_node_new_cstr(id));
	crq_node_set(ev, "type", crq_node_new_cstr("test"));
	crq_node_set(ev, "time", crq_node_new_cstr(when));
	crq_node_set(ev, "title", crq_node_new_cstr("test notification"));
	crq_buf_printf(&text, "crq reaches channel '%s'", name);
	crq_node_set(ev, "summary", crq_node_new_cstr(text.ptr));
	crq_buf_dispose(&seed);
	crq_buf_dispose(&text);
	return ev;
}

int crq_notify_test(crq_notify_report **out, size_t *count, crq_repo *repo,
	const char *name)
{
	crq_node *names = NULL, *ch = NULL, *ev = NULL;
	const crq_node *unknown;
	reports rs = { NULL, 0, 0 };
	int err;

	*out = NULL;
	*count = 0;
	if ((err = channel_names(&names, repo)) < 0)
		return err;
	if (!(unknown = crq_node_get(names, name))) {
		err = crq_error__set(CRQ_ENOTFOUND,
			"no notify channel '%.64s' is configured\n"
			"hint: git config crq.notify.%.64s.type slack (and its "
			"url); see 'crq help notify'", name, name_ok(name) ?
			name : "NAME");
		goto done;
	}
	/* only this one: another misconfigured channel is no matter here */
	if ((err = channel_load(&ch, repo, name, unknown->str)) < 0)
		goto done;
	ev = sample_event(name, clock_ms());
	deliver(report_new(&rs), repo, ch, ev);
	reports_out(out, count, &rs);
done:
	crq_node_free(names);
	crq_node_free(ch);
	crq_node_free(ev);
	return err;
}
