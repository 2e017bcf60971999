/*
 * test_notify.c - notifications: each vendor's payload, byte for byte,
 * and its signature at a fixed time (the expected signatures were
 * computed apart, with python3's hmac, hashlib and base64, from the
 * strings written here); which channel takes which event; channels
 * read from git config and their errors; the address as shown; and
 * sending through command channels (no network): the retry journal,
 * the sent log, retry, the timeout.
 */
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "testutil.h"

static char tmpdir[64];
static crq_options opts;

/* 2026-12-02T10:10:31.072Z */
#define NOW_MS 1796206231072LL
#define SECRET "SEC123"

/* An event as crq events makes one, written the way crq_json_write
 * writes it (compact), so that the webhook's body is this text. */
static const char event_json[] =
	"{\"id\":\"evt-0123456789abcdef01234567\",\"type\":\"rule\","
	"\"time\":\"2026-11-23T10:00:00Z\",\"change\":\"CHG-000042\","
	"\"title\":\"Upgrade <db> & co\","
	"\"summary\":\"rule 'big-change' fired on CHG-000042\","
	"\"rule\":\"big-change\",\"notify\":[\"ops\"],"
	"\"escalate_to\":{\"to\":\"cab\",\"members\":[\"bob@example.com\","
	"\"carol@example.com\"]}}";

/* The text of every message about it (before each vendor's escaping). */
#define LINE1 "[crq] CHG-000042 Upgrade <db> & co: rule 'big-change' " \
	"fired on CHG-000042"
#define LINES "\\nrule: big-change\\nescalated to cab (bob@example.com, " \
	"carol@example.com)"

static crq_node *parse(const char *text)
{
	crq_node *n = NULL;

	assert_crq_ok(crq_json_parse(&n, text, strlen(text), "test"));
	return n;
}

static crq_node *channel(const char *type, const char *url,
	const char *secret)
{
	crq_node *ch = crq_node_new(CRQ_NODE_OBJECT);

	crq_node_set(ch, "name", crq_node_new_cstr("ops"));
	crq_node_set(ch, "type", crq_node_new_cstr(type));
	if (url)
		crq_node_set(ch, "url", crq_node_new_cstr(url));
	if (secret)
		crq_node_set(ch, "secret", crq_node_new_cstr(secret));
	crq_node_set(ch, "events", crq_node_new(CRQ_NODE_ARRAY));
	crq_node_set(ch, "timeout", crq_node_new_int(10));
	crq_node_set(ch, "retries", crq_node_new_int(2));
	return ch;
}

/* The payload of the test event on a channel of type at NOW_MS. */
static void payload(crq_buf *url, crq_buf *headers, crq_buf *body,
	const char *type, const char *addr, const char *secret)
{
	crq_node *ch = channel(type, addr, secret), *ev = parse(event_json);

	assert_crq_ok(crq_notify_payload(url, headers, body, ch, ev, NOW_MS));
	crq_node_free(ch);
	crq_node_free(ev);
}

static void test_slack(void **state)
{
	crq_buf url = CRQ_BUF_INIT, h = CRQ_BUF_INIT, body = CRQ_BUF_INIT;

	(void)state;
	payload(&url, &h, &body, "slack", "https://hooks.slack.com/services/T/B/X",
		SECRET);
	assert_string_equal(url.ptr, "https://hooks.slack.com/services/T/B/X");
	assert_string_equal(h.ptr, "Content-Type: application/json\n");
	/* mrkdwn: & < > escaped, so that no "<!channel>" can get through */
	assert_string_equal(body.ptr, "{\"text\":\"[crq] CHG-000042 Upgrade "
		"&lt;db&gt; &amp; co: rule 'big-change' fired on CHG-000042"
		LINES "\"}");
	crq_buf_dispose(&url);
	crq_buf_dispose(&h);
	crq_buf_dispose(&body);
}

static void test_teams(void **state)
{
	crq_buf url = CRQ_BUF_INIT, h = CRQ_BUF_INIT, body = CRQ_BUF_INIT;
	crq_node *doc, *att, *card, *blocks;

	(void)state;
	payload(&url, &h, &body, "teams", "https://x.logic.azure.com/wf?sig=S",
		NULL);
	assert_string_equal(url.ptr, "https://x.logic.azure.com/wf?sig=S");
	assert_string_equal(h.ptr, "Content-Type: application/json\n");
	doc = parse(body.ptr);
	assert_string_equal(crq_node_get_str(doc, "type"), "message");
	att = crq_node_get(doc, "attachments");
	assert_int_equal(att->count, 1);
	att = att->items[0];
	assert_string_equal(crq_node_get_str(att, "contentType"),
		"application/vnd.microsoft.card.adaptive");
	assert_int_equal(crq_node_get(att, "contentUrl")->kind, CRQ_NODE_NULL);
	card = crq_node_get(att, "content");
	assert_string_equal(crq_node_get_str(card, "$schema"),
		"http://adaptivecards.io/schemas/adaptive-card.json");
	assert_string_equal(crq_node_get_str(card, "type"), "AdaptiveCard");
	assert_string_equal(crq_node_get_str(card, "version"), "1.4");
	blocks = crq_node_get(card, "body");
	assert_int_equal(blocks->count, 3);
	assert_string_equal(crq_node_get_str(blocks->items[0], "type"),
		"TextBlock");
	assert_true(crq_node_get(blocks->items[0], "wrap")->b);
	assert_string_equal(crq_node_get_str(blocks->items[0], "text"), LINE1);
	assert_string_equal(crq_node_get_str(blocks->items[1], "text"),
		"rule: big-change");
	assert_string_equal(crq_node_get_str(blocks->items[2], "text"),
		"escalated to cab (bob@example.com, carol@example.com)");
	crq_node_free(doc);
	crq_buf_dispose(&url);
	crq_buf_dispose(&h);
	crq_buf_dispose(&body);
}

static void test_feishu(void **state)
{
	crq_buf url = CRQ_BUF_INIT, h = CRQ_BUF_INIT, body = CRQ_BUF_INIT;

	(void)state;
	payload(&url, &h, &body, "feishu",
		"https://open.feishu.cn/open-apis/bot/v2/hook/abc", SECRET);
	assert_string_equal(url.ptr,
		"https://open.feishu.cn/open-apis/bot/v2/hook/abc");
	assert_string_equal(h.ptr, "Content-Type: application/json\n");
	/* seconds; base64(HMAC-SHA256(key "1796206231\nSEC123", "")); the
	 * brackets full-width (no <at user_id="all"> mentions) */
	assert_string_equal(body.ptr, "{\"timestamp\":\"1796206231\","
		"\"sign\":\"/oWVsM5lLWADg5/UoHzq7ve5Qmie+HjIpRKYWwO30us=\","
		"\"msg_type\":\"text\",\"content\":{\"text\":\"[crq] CHG-000042 "
		"Upgrade \xef\xbc\x9c" "db\xef\xbc\x9e & co: rule 'big-change' "
		"fired on CHG-000042" LINES "\"}}");
	/* no secret: no signature */
	crq_buf_clear(&url);
	crq_buf_clear(&h);
	crq_buf_clear(&body);
	payload(&url, &h, &body, "feishu", "https://open.feishu.cn/x", NULL);
	assert_null(strstr(body.ptr, "sign"));
	assert_null(strstr(body.ptr, "timestamp"));
	assert_int_equal(strncmp(body.ptr, "{\"msg_type\":\"text\",", 19), 0);
	crq_buf_dispose(&url);
	crq_buf_dispose(&h);
	crq_buf_dispose(&body);
}

static void test_dingtalk(void **state)
{
	crq_buf url = CRQ_BUF_INIT, h = CRQ_BUF_INIT, body = CRQ_BUF_INIT;

	(void)state;
	/* milliseconds; urlencode(base64(HMAC-SHA256(key "SEC123",
	 * "1796206231072\nSEC123"))) after the address's own query */
	payload(&url, &h, &body, "dingtalk",
		"https://oapi.dingtalk.com/robot/send?access_token=T", SECRET);
	assert_string_equal(url.ptr,
		"https://oapi.dingtalk.com/robot/send?access_token=T"
		"&timestamp=1796206231072"
		"&sign=QJ0pDRmYzRUgPjSvwK9PStwvIeXxhNh%2FEttFflvtQ14%3D");
	assert_string_equal(h.ptr, "Content-Type: application/json\n");
	assert_string_equal(body.ptr, "{\"msgtype\":\"text\",\"text\":"
		"{\"content\":\"" LINE1 LINES "\"}}");
	/* an address without a query gets one */
	crq_buf_clear(&url);
	crq_buf_clear(&h);
	crq_buf_clear(&body);
	payload(&url, &h, &body, "dingtalk", "https://d.example/robot", SECRET);
	assert_string_equal(url.ptr, "https://d.example/robot"
		"?timestamp=1796206231072"
		"&sign=QJ0pDRmYzRUgPjSvwK9PStwvIeXxhNh%2FEttFflvtQ14%3D");
	/* no secret: the address as it is */
	crq_buf_clear(&url);
	crq_buf_clear(&h);
	crq_buf_clear(&body);
	payload(&url, &h, &body, "dingtalk", "https://d.example/robot?a=1",
		NULL);
	assert_string_equal(url.ptr, "https://d.example/robot?a=1");
	crq_buf_dispose(&url);
	crq_buf_dispose(&h);
	crq_buf_dispose(&body);
}

static void test_wecom(void **state)
{
	crq_buf url = CRQ_BUF_INIT, h = CRQ_BUF_INIT, body = CRQ_BUF_INIT;

	(void)state;
	payload(&url, &h, &body, "wecom",
		"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K", SECRET);
	assert_string_equal(url.ptr,
		"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K");
	assert_string_equal(h.ptr, "Content-Type: application/json\n");
	assert_string_equal(body.ptr, "{\"msgtype\":\"text\",\"text\":"
		"{\"content\":\"" LINE1 LINES "\"}}");
	crq_buf_dispose(&url);
	crq_buf_dispose(&h);
	crq_buf_dispose(&body);
}

static void test_webhook(void **state)
{
	crq_buf url = CRQ_BUF_INIT, h = CRQ_BUF_INIT, body = CRQ_BUF_INIT;

	(void)state;
	payload(&url, &h, &body, "webhook", "https://ci.example/hook", SECRET);
	assert_string_equal(url.ptr, "https://ci.example/hook");
	assert_string_equal(body.ptr, event_json);
	/* hex(HMAC-SHA256(key "SEC123", the body)) */
	assert_string_equal(h.ptr, "Content-Type: application/json\n"
		"X-Crq-Event: rule\n"
		"X-Crq-Delivery: evt-0123456789abcdef01234567\n"
		"X-Crq-Signature-256: sha256="
		"abf2a2994835c22e7a3ac2a58a16f5fdb5b087b02e2157466600d86e6d44531b\n");
	crq_buf_clear(&url);
	crq_buf_clear(&h);
	crq_buf_clear(&body);
	payload(&url, &h, &body, "webhook", "https://ci.example/hook", NULL);
	assert_null(strstr(h.ptr, "Signature"));
	crq_buf_dispose(&url);
	crq_buf_dispose(&h);
	crq_buf_dispose(&body);
}

static void test_command(void **state)
{
	crq_buf url = CRQ_BUF_INIT, h = CRQ_BUF_INIT, body = CRQ_BUF_INIT;

	(void)state;
	payload(&url, &h, &body, "command", NULL, NULL);
	assert_string_equal(url.ptr, "");
	assert_string_equal(h.ptr, "");
	assert_int_equal(body.size, strlen(event_json) + 1);
	assert_int_equal(strncmp(body.ptr, event_json, strlen(event_json)), 0);
	assert_int_equal(body.ptr[body.size - 1], '\n');
	crq_buf_dispose(&url);
	crq_buf_dispose(&h);
	crq_buf_dispose(&body);
}

/* A change's text is untrusted: no second line, no header of its own,
 * no mention of everybody. */
static void test_hostile_text(void **state)
{
	crq_buf url = CRQ_BUF_INIT, h = CRQ_BUF_INIT, body = CRQ_BUF_INIT;
	crq_node *ev = parse("{\"id\":\"evt-1\",\"type\":\"x\\r\\nEvil: 1\","
		"\"change\":\"CHG-1\",\"title\":\"a\\nb <!channel> "
		"<at user_id=\\\"all\\\">\",\"summary\":\"s\"}");
	crq_node *ch = channel("webhook", "https://h.example/", NULL);

	(void)state;
	assert_crq_ok(crq_notify_payload(&url, &h, &body, ch, ev, NOW_MS));
	assert_string_equal(h.ptr, "Content-Type: application/json\n"
		"X-Crq-Event: x  Evil: 1\nX-Crq-Delivery: evt-1\n");
	crq_node_free(ch);
	ch = channel("slack", "https://h.example/", NULL);
	crq_buf_clear(&h);
	crq_buf_clear(&body);
	crq_buf_clear(&url);
	assert_crq_ok(crq_notify_payload(&url, &h, &body, ch, ev, NOW_MS));
	assert_string_equal(body.ptr, "{\"text\":\"[crq] CHG-1 a b &lt;!channel"
		"&gt; &lt;at user_id=\\\"all\\\"&gt;: s\"}");
	crq_node_free(ch);
	ch = channel("feishu", "https://h.example/", NULL);
	crq_buf_clear(&h);
	crq_buf_clear(&body);
	crq_buf_clear(&url);
	assert_crq_ok(crq_notify_payload(&url, &h, &body, ch, ev, NOW_MS));
	assert_null(strstr(body.ptr, "<at"));
	crq_node_free(ch);
	/* an unknown type is refused, not guessed */
	ch = channel("pager", "https://h.example/", NULL);
	assert_crq_fails(crq_notify_payload(&url, &h, &body, ch, ev, NOW_MS),
		CRQ_EINVALID, "unknown type");
	crq_node_free(ch);
	crq_node_free(ev);
	crq_buf_dispose(&url);
	crq_buf_dispose(&h);
	crq_buf_dispose(&body);
}

/* A clock event: its due time on a line of its own; no title, no
 * rule: nothing made up for them. */
static void test_due(void **state)
{
	crq_buf url = CRQ_BUF_INIT, h = CRQ_BUF_INIT, body = CRQ_BUF_INIT;
	crq_node *ev = parse("{\"id\":\"evt-9\",\"type\":\"sla-breached\","
		"\"change\":\"CHG-000007\",\"summary\":\"SLA decide breached\","
		"\"sla\":{\"target\":\"decide\",\"due\":\"2026-11-23T12:00:00Z\","
		"\"state\":\"breached\"}}");
	crq_node *ch = channel("wecom", "https://w.example/?key=K", NULL);

	(void)state;
	assert_crq_ok(crq_notify_payload(&url, &h, &body, ch, ev, NOW_MS));
	assert_string_equal(body.ptr, "{\"msgtype\":\"text\",\"text\":"
		"{\"content\":\"[crq] CHG-000007 SLA decide breached\\n"
		"due 2026-11-23T12:00:00Z\"}}");
	crq_node_free(ch);
	crq_node_free(ev);
	crq_buf_dispose(&url);
	crq_buf_dispose(&h);
	crq_buf_dispose(&body);
}

static void test_wants(void **state)
{
	crq_node *ev = parse(event_json), *ch = channel("slack", "https://x/",
		NULL), *step = parse("{\"id\":\"evt-2\",\"type\":\"step\"}");
	crq_node *events = crq_node_get(ch, "events");

	(void)state;
	/* the rule names "ops" */
	assert_true(crq_notify_wants(ch, ev));
	assert_false(crq_notify_wants(ch, step));
	crq_node_push(events, crq_node_new_cstr("step"));
	assert_true(crq_notify_wants(ch, step));
	crq_node_set(ch, "name", crq_node_new_cstr("other"));
	assert_false(crq_notify_wants(ch, ev));
	crq_node_push(events, crq_node_new_cstr("*"));
	assert_true(crq_notify_wants(ch, ev));
	crq_node_free(ch);
	crq_node_free(ev);
	crq_node_free(step);
}

static void test_url_shown(void **state)
{
	static const char *const cases[][2] = {
		{ "https://hooks.slack.com/services/T/B/XYZ",
		  "https://hooks.slack.com/..." },
		{ "https://oapi.dingtalk.com?access_token=T",
		  "https://oapi.dingtalk.com/..." },
		{ "http://127.0.0.1:8080/", "http://127.0.0.1:8080" },
		{ "http://127.0.0.1:8080", "http://127.0.0.1:8080" },
		{ "https://user:pw@h.example/x", "https://(set)@h.example/..." },
		{ "nonsense", "(not a url)" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		crq_buf b = CRQ_BUF_INIT;

		crq_notify_url_shown(&b, cases[i][0]);
		assert_string_equal(crq_buf_cstr(&b), cases[i][1]);
		crq_buf_dispose(&b);
	}
}

/* A fresh store for each test that needs one, with extra -c settings. */
static crq_repo *store(const char *name, const char *const *extra, size_t n)
{
	static const char *cfg[16];
	char path[128];
	crq_options o = opts;
	crq_repo *repo = NULL;
	size_t i;

	for (i = 0; i < opts.config_count; i++)
		cfg[i] = opts.config[i];
	for (i = 0; i < n; i++)
		cfg[opts.config_count + i] = extra[i];
	o.config = cfg;
	o.config_count = opts.config_count + n;
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	assert_crq_ok(crq_repo_init(&repo, path, &o));
	return repo;
}

static void test_channels(void **state)
{
	static const char *const good[] = {
		"crq.notify.zed.type=webhook",
		"crq.notify.zed.url=https://ci.example/hook",
		"crq.notify.zed.events=step, rule  sla-breached",
		"crq.notify.zed.timeout=3",
		"crq.notify.alpha.type=command",
		"crq.notify.alpha.command=true",
		"crq.notify.alpha.retries=0",
	};
	static const struct {
		const char *set[3];
		const char *error;
	} bad[] = {
		{ { "crq.notify.x.type=pager", NULL },
		  "notify channel 'x': unknown type 'pager' (slack, teams" },
		{ { "crq.notify.x.url=https://h/", NULL },
		  "notify channel 'x' has no type" },
		{ { "crq.notify.x.type=slack", NULL },
		  "notify channel 'x' (slack) has no url" },
		{ { "crq.notify.x.type=slack", "crq.notify.x.url=ftp://h/x" },
		  "notify channel 'x': the url is not an http:// or https://" },
		{ { "crq.notify.x.type=command", NULL },
		  "notify channel 'x' (command) has no command" },
		{ { "crq.notify.x.type=slack", "crq.notify.x.tyep=slack" },
		  "notify channel 'x': unknown setting 'tyep'" },
		{ { "crq.notify.x.type=command", "crq.notify.x.command=true",
		    "crq.notify.x.timeout=0" },
		  "notify channel 'x': timeout '0' is not a number from 1 to 600" },
		{ { "crq.notify.x.type=command", "crq.notify.x.command=true",
		    "crq.notify.x.retries=many" },
		  "notify channel 'x': retries 'many' is not a number" },
		{ { "crq.notify.a b.type=slack", NULL },
		  "notify channel name 'a b' is not letters" },
		{ { "crq.notify.type=slack", NULL },
		  "'crq.notify.type' names no channel" },
	};
	crq_repo *repo = store("channels", good, 7);
	crq_node *chs = NULL;
	const crq_node *ev;
	crq_notify_report *r = NULL;
	size_t i, count = 0;
	char name[32];

	(void)state;
	assert_crq_ok(crq_notify_channels(&chs, repo));
	assert_int_equal(chs->count, 2);
	/* sorted by name; defaults filled in */
	assert_string_equal(crq_node_get_str(chs->items[0], "name"), "alpha");
	assert_int_equal(crq_node_get(chs->items[0], "timeout")->i, 10);
	assert_int_equal(crq_node_get(chs->items[0], "retries")->i, 0);
	assert_string_equal(crq_node_get_str(chs->items[1], "name"), "zed");
	assert_int_equal(crq_node_get(chs->items[1], "timeout")->i, 3);
	assert_int_equal(crq_node_get(chs->items[1], "retries")->i, 2);
	ev = crq_node_get(chs->items[1], "events");
	assert_int_equal(ev->count, 3);
	assert_string_equal(ev->items[2]->str, "sla-breached");
	crq_node_free(chs);
	/* the repository's own config counts too; -c wins over it */
	assert_crq_ok(crq_repo_set_config(repo, "crq.notify.Mixed.type", "slack"));
	assert_crq_ok(crq_repo_set_config(repo, "crq.notify.Mixed.url",
		"https://h.example/a"));
	assert_crq_ok(crq_repo_set_config(repo, "crq.notify.zed.timeout", "7"));
	assert_crq_ok(crq_notify_channels(&chs, repo));
	assert_int_equal(chs->count, 3);
	assert_string_equal(crq_node_get_str(chs->items[0], "name"), "Mixed");
	assert_int_equal(crq_node_get(chs->items[2], "timeout")->i, 3);
	crq_node_free(chs);
	crq_repo_free(repo);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(name, sizeof(name), "bad%zu", i);
		repo = store(name, bad[i].set, bad[i].set[2] ? 3 :
			bad[i].set[1] ? 2 : 1);
		assert_crq_fails(crq_notify_channels(&chs, repo), CRQ_EINVALID,
			bad[i].error);
		assert_null(chs);
		assert_null(strchr(crq_error_last(), '\n'));
		crq_repo_free(repo);
	}
	/* test names one channel: another one's trouble is no matter */
	{
		static const char *const two[] = {
			"crq.notify.ok.type=command",
			"crq.notify.ok.command=cat >/dev/null",
			"crq.notify.broken.type=pager",
		};

		repo = store("two", two, 3);
		assert_crq_ok(crq_notify_test(&r, &count, repo, "ok"));
		assert_int_equal(count, 1);
		assert_true(r[0].ok);
		assert_int_equal(strncmp(r[0].event, "evt-", 4), 0);
		assert_int_equal(strlen(r[0].event), 28);
		crq_notify_reports_free(r, count);
		assert_crq_fails(crq_notify_test(&r, &count, repo, "broken"),
			CRQ_EINVALID, "unknown type 'pager'");
		assert_crq_fails(crq_notify_test(&r, &count, repo, "nope"),
			CRQ_ENOTFOUND, "no notify channel 'nope'");
		crq_repo_free(repo);
	}
}

static char *state_file(crq_repo *repo, const char *name)
{
	crq_buf path = CRQ_BUF_INIT, text = CRQ_BUF_INIT;
	int err;

	crq_buf_printf(&path, "%s/crq/notify/%s", crq_repo_gitdir(repo), name);
	err = crq_buf_read_file(&text, path.ptr, 1 << 20);
	crq_buf_dispose(&path);
	if (err == CRQ_ENOTFOUND) {
		crq_buf_dispose(&text);
		return NULL;
	}
	assert_int_equal(err, 0);
	return crq_buf_detach(&text);
}

static size_t lines(const char *s)
{
	size_t n = 0;

	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

static void test_send_journal(void **state)
{
	static const char *const cfg[] = {
		"crq.notify.run.type=command",
		"crq.notify.run.events=rule",
		"crq.notify.run.retries=1",
	};
	crq_repo *repo = store("send", cfg, 3);
	crq_node *events = crq_node_new(CRQ_NODE_ARRAY), *e;
	crq_notify_report *r = NULL;
	size_t count = 0;
	char *text;

	(void)state;
	crq_node_push(events, parse(event_json));
	e = parse(event_json);
	crq_node_set(e, "id", crq_node_new_cstr("evt-000000000000000000000002"));
	crq_node_push(events, e);
	/* a step: the channel does not take it */
	crq_node_push(events, parse("{\"id\":\"evt-3\",\"type\":\"step\"}"));

	/* the command fails: two reports, two attempts each, journaled */
	assert_crq_ok(crq_repo_set_config(repo, "crq.notify.run.command",
		"cat >/dev/null; echo 'no route to pager' >&2; exit 3"));
	assert_crq_ok(crq_notify_send(&r, &count, repo, events));
	assert_int_equal(count, 2);
	assert_false(r[0].ok);
	assert_int_equal(r[0].attempts, 2);
	assert_string_equal(r[0].channel, "run");
	assert_string_equal(r[0].event, "evt-0123456789abcdef01234567");
	assert_string_equal(r[0].error,
		"the command exited with status 3: no route to pager");
	crq_notify_reports_free(r, count);
	text = state_file(repo, "failed");
	assert_int_equal(lines(text), 2);
	assert_non_null(strstr(text, "\"channel\":\"run\""));
	assert_non_null(strstr(text, "\"attempts\":2"));
	assert_non_null(strstr(text, "\"rule\":\"big-change\""));
	free(text);
	assert_null(state_file(repo, "sent"));

	/* again: still failing, the same two entries, attempts add up */
	assert_crq_ok(crq_notify_send(&r, &count, repo, events));
	assert_int_equal(count, 2);
	crq_notify_reports_free(r, count);
	text = state_file(repo, "failed");
	assert_int_equal(lines(text), 2);
	assert_non_null(strstr(text, "\"attempts\":4"));
	free(text);

	/* the command works now: retry sends both, the journal goes, the
	 * sent log has them; it sees the event's id and type */
	assert_crq_ok(crq_repo_set_config(repo, "crq.notify.run.command",
		"grep -q \"\\\"id\\\":\\\"$CRQ_EVENT_ID\\\"\" && "
		"test \"$CRQ_EVENT_TYPE\" = rule && test \"$CRQ_CHANNEL\" = run"));
	assert_crq_ok(crq_notify_retry(&r, &count, repo));
	assert_int_equal(count, 2);
	assert_true(r[0].ok);
	assert_true(r[1].ok);
	assert_int_equal(r[0].attempts, 1);
	assert_null(r[0].error);
	crq_notify_reports_free(r, count);
	assert_null(state_file(repo, "failed"));
	text = state_file(repo, "sent");
	assert_string_equal(text, "run\tevt-0123456789abcdef01234567\n"
		"run\tevt-000000000000000000000002\n");
	free(text);
	/* nothing left to retry, nothing left to send */
	assert_crq_ok(crq_notify_retry(&r, &count, repo));
	assert_int_equal(count, 0);
	assert_crq_ok(crq_notify_send(&r, &count, repo, events));
	assert_int_equal(count, 0);
	assert_null(r);
	crq_repo_free(repo);
	crq_node_free(events);
}

/* A torn last line of the sent log (a crash mid-append) is dropped, and
 * the log rewritten whole before anything is appended to it. */
static void test_sent_torn(void **state)
{
	static const char *const cfg[] = {
		"crq.notify.run.type=command",
		"crq.notify.run.events=*",
		"crq.notify.run.command=cat >/dev/null",
	};
	crq_repo *repo = store("torn", cfg, 3);
	crq_node *events = crq_node_new(CRQ_NODE_ARRAY), *e;
	crq_notify_report *r = NULL;
	crq_buf path = CRQ_BUF_INIT;
	size_t count = 0;
	char *text;
	FILE *f;

	(void)state;
	crq_buf_printf(&path, "%s/crq", crq_repo_gitdir(repo));
	mkdir(path.ptr, 0777);
	crq_buf_puts(&path, "/notify");
	mkdir(path.ptr, 0777);
	crq_buf_puts(&path, "/sent");
	f = fopen(path.ptr, "w");
	assert_non_null(f);
	fputs("run\tevt-a\nrun\tevt-b", f);
	fclose(f);
	e = parse("{\"id\":\"evt-a\",\"type\":\"step\"}");
	crq_node_push(events, e);
	crq_node_push(events, parse("{\"id\":\"evt-b\",\"type\":\"step\"}"));
	assert_crq_ok(crq_notify_send(&r, &count, repo, events));
	assert_int_equal(count, 1);
	assert_string_equal(r[0].event, "evt-b");
	crq_notify_reports_free(r, count);
	text = state_file(repo, "sent");
	assert_string_equal(text, "run\tevt-a\nrun\tevt-b\n");
	free(text);
	crq_buf_dispose(&path);
	crq_node_free(events);
	crq_repo_free(repo);
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Has pid ended (gone, or a zombie nobody reaps in a container)? */
static int gone(int pid)
{
	char path[64], st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (!(f = fopen(path, "r")))
		return 1;
	if (fscanf(f, "%*d (%*[^)]) %c", &st) != 1)
		st = 0;
	fclose(f);
	return st == 'Z';
}

/* A command past its timeout is killed, children and all. */
static void test_command_timeout(void **state)
{
	char pidfile[128], set[192];
	const char *cfg[] = {
		"crq.notify.slow.type=command",
		"crq.notify.slow.timeout=1",
		"crq.notify.slow.retries=0",
		set,
	};
	crq_repo *repo;
	crq_notify_report *r = NULL;
	size_t count = 0;
	long long t0;
	FILE *f;
	int pid = 0;

	(void)state;
	snprintf(pidfile, sizeof(pidfile), "%s/sleeper", tmpdir);
	snprintf(set, sizeof(set),
		"crq.notify.slow.command=sleep 30 & echo $! >%s; wait", pidfile);
	repo = store("slow", cfg, 4);
	t0 = mono_ms();
	assert_crq_ok(crq_notify_test(&r, &count, repo, "slow"));
	assert_true(mono_ms() - t0 < 5000);
	assert_int_equal(count, 1);
	assert_false(r[0].ok);
	assert_string_equal(r[0].error,
		"the command did not finish within 1s (killed)");
	crq_notify_reports_free(r, count);
	f = fopen(pidfile, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &pid), 1);
	fclose(f);
	usleep(100 * 1000);
	assert_true(gone(pid));	/* the sleep went too */
	crq_repo_free(repo);
}

static int setup(void **state)
{
	(void)state;
	crq_global_init();
	return test_env_setup(tmpdir, &opts);
}

static int teardown(void **state)
{
	(void)state;
	crq_global_shutdown();
	return test_env_teardown(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slack),
		cmocka_unit_test(test_teams),
		cmocka_unit_test(test_feishu),
		cmocka_unit_test(test_dingtalk),
		cmocka_unit_test(test_wecom),
		cmocka_unit_test(test_webhook),
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_hostile_text),
		cmocka_unit_test(test_due),
		cmocka_unit_test(test_wants),
		cmocka_unit_test(test_url_shown),
		cmocka_unit_test(test_channels),
		cmocka_unit_test(test_send_journal),
		cmocka_unit_test(test_sent_torn),
		cmocka_unit_test(test_command_timeout),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
