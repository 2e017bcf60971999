/*
 * test_dashboard.c - the HTML file: its sections from the fixtures in
 * tests/data/dashboard (a report, an audit pack with a refused step and
 * every control status, a calendar with a freeze and windows across two
 * months, a RACI matrix; a hostile change title), the test hooks the
 * browser test counts, escaping of what repositories put in titles and
 * messages, and sections left out when their input is NULL.
 *
 * DASHBOARD_OUT=DIR also writes DIR/report.html and DIR/audit.html for
 * tests/html-check.py.
 */
#include "testutil.h"
#include "internal.h"

static crq_node *report, *audit, *calendar, *raci;

static crq_node *fixture(const char *name)
{
	const char *top = getenv("CRQ_DATADIR") ? getenv("CRQ_DATADIR") : ".";
	crq_buf path = CRQ_BUF_INIT, text = CRQ_BUF_INIT;
	crq_node *n = NULL;

	crq_buf_printf(&path, "%s/tests/data/dashboard/%s", top, name);
	assert_crq_ok(crq_buf_read_file(&text, crq_buf_cstr(&path), 1 << 20));
	assert_crq_ok(crq_json_parse(&n, text.ptr, text.size,
		crq_buf_cstr(&path)));
	crq_buf_dispose(&path);
	crq_buf_dispose(&text);
	return n;
}

static int setup(void **state)
{
	(void)state;
	report = fixture("report.json");
	audit = fixture("audit.json");
	calendar = fixture("calendar.json");
	raci = fixture("raci.json");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	crq_node_free(report);
	crq_node_free(audit);
	crq_node_free(calendar);
	crq_node_free(raci);
	return 0;
}

/* The page, as a string the caller frees. */
static char *render(const crq_node *r, const crq_node *a, const crq_node *c,
	const crq_node *x, int audit_first, const char *title)
{
	crq_dashboard_options o = CRQ_DASHBOARD_OPTIONS_INIT;
	crq_buf out = CRQ_BUF_INIT;

	o.audit_first = audit_first;
	o.title = title;
	crq_dashboard_html(&out, r, a, c, x, &o);
	return crq_buf_detach(&out);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0, len = strlen(needle);

	for (hay = strstr(hay, needle); hay; hay = strstr(hay + len, needle))
		n++;
	return n;
}

static int has_ci(const char *hay, const char *needle)
{
	return strcasestr(hay, needle) != NULL;
}

/* where needle first is, or the end (for "before" checks) */
static size_t at(const char *hay, const char *needle)
{
	const char *p = strstr(hay, needle);

	return p ? (size_t)(p - hay) : strlen(hay);
}

#define COUNT(page, s, n) do { \
	size_t count_n_ = count((page), (s)); \
	if (count_n_ != (size_t)(n)) \
		print_error("%zu times '%s', wanted %zu\n", count_n_, (s), \
			(size_t)(n)); \
	assert_int_equal(count_n_, (n)); \
} while (0)

/* What every page must be: one HTML5 document that loads nothing. */
static void self_contained(const char *page)
{
	const unsigned char *u;
	size_t bad;

	assert_true(!strncmp(page, "<!DOCTYPE html>\n<html lang=\"en\">\n", 33));
	assert_non_null(strstr(page, "<meta charset=\"utf-8\">"));
	assert_non_null(strstr(page, "</html>\n"));
	COUNT(page, "</head>", 1);
	COUNT(page, "<h1>", 1);
	assert_false(has_ci(page, "<script"));
	assert_false(has_ci(page, "http"));
	assert_false(has_ci(page, "//"));
	assert_false(has_ci(page, "url("));
	assert_false(has_ci(page, "@import"));
	assert_false(has_ci(page, "<link"));
	assert_false(has_ci(page, "<img"));
	assert_false(has_ci(page, "<iframe"));
	assert_false(has_ci(page, " xmlns"));
	/* the one stylesheet, with its print sheet */
	COUNT(page, "<style>", 1);
	assert_non_null(strstr(page, "@media print{"));
	assert_non_null(strstr(page, "@page{size:A4"));
	assert_non_null(strstr(page, "break-before:page"));
	assert_non_null(strstr(page, "print-color-adjust:exact"));
	/* well-formed UTF-8, no control characters but tab and newline, no
	 * C1 controls */
	assert_true(crq_utf8__valid(page, strlen(page), &bad));
	for (u = (const unsigned char *)page; *u; u++) {
		assert_false(*u < 0x20 && *u != '\n' && *u != '\t');
		assert_false(*u == 0x7f);
		assert_false(u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f);
	}
	/* every chart is an image with a name and a text alternative */
	COUNT(page, "role=\"img\"", count(page, "<svg class=\"chart\""));
	COUNT(page, "<desc id=\"chart-", count(page, "<svg class=\"chart\""));
	COUNT(page, "<svg", count(page, "<svg class=\"chart\""));
	/* every table has its caption, every header cell a scope */
	COUNT(page, "<caption>", count(page, "<table"));
	COUNT(page, "<th", count(page, "<th scope=\"") + count(page, "<thead"));
}

static void test_full_report(void **state)
{
	char *page, *again;

	(void)state;
	page = render(report, audit, calendar, raci, 0, NULL);
	self_contained(page);
	assert_non_null(strstr(page, "<title>crq report</title>"));
	/* the test hooks */
	COUNT(page, "<section class=\"change\" id=\"chg-", 5);
	assert_non_null(strstr(page, "<section class=\"change\" "
		"id=\"chg-CHG-000002\" data-verdict=\"refused\">"));
	COUNT(page, "<td class=\"control status-", 30);
	COUNT(page, "<td class=\"control status-pass\">", 12);
	COUNT(page, "<td class=\"control status-fail\">", 2);
	COUNT(page, "<td class=\"control status-pending\">", 2);
	COUNT(page, "<td class=\"control status-not-recorded\">", 2);
	COUNT(page, "<td class=\"control status-na\">", 12);
	/* 4 volumes, lead times, approval latency, outcomes, SLA, time in
	 * state, the Gantt chart */
	COUNT(page, "<svg class=\"chart\"", 10);
	/* windows of CHG-000001 to -4 from the pack and of CHG-000006 from
	 * the calendar only; CHG-000005 has a row for its task, no bar */
	COUNT(page, "<rect class=\"gantt-bar\"", 5);
	COUNT(page, "<g class=\"gantt-line\">", 6);
	COUNT(page, "<polygon class=\"gantt-due\"", 4);
	COUNT(page, "<polygon class=\"gantt-due\" data-done=\"true\"", 2);
	/* one a day: CHG-000003 from Nov 30 22:00 to Dec 1 02:00 twice */
	COUNT(page, "<div class=\"cal-window\"", 6);
	COUNT(page, "<div class=\"cal-freeze\"", 3);
	COUNT(page, "<div class=\"cal-maint\"", 1);
	/* tasks due: Nov 4, Nov 27, Nov 30, Dec 15 */
	COUNT(page, "<div class=\"cal-task\"", 4);
	COUNT(page, "<div class=\"cal-task\" data-done=\"true\"", 2);
	COUNT(page, "<table class=\"cal\"", 2);
	assert_non_null(strstr(page, "<caption>November 2026</caption>"));
	assert_non_null(strstr(page, "<caption>December 2026</caption>"));
	assert_non_null(strstr(page, "<span class=\"cal-time\">22:00 \xe2\x86\x92"
		"</span>"));
	assert_non_null(strstr(page, "<span class=\"cal-time\">\xe2\x86\x92 "
		"02:00</span>"));
	/* the calendar's conflicts */
	COUNT(page, "<table class=\"conflicts\">", 1);
	/* the refused step, marked, with its rule and message */
	COUNT(page, "<tr class=\"refused\">", 1);
	assert_non_null(strstr(page, "<strong>\xe2\x9c\x97 refused</strong> "
		"<code>signer</code>: signed by a key no member holds"));
	assert_non_null(strstr(page, "<td class=\"sig-unknown-key\">"));
	/* the summary */
	assert_non_null(strstr(page, "<dt>Refused steps</dt><dd>1</dd>"));
	assert_non_null(strstr(page, "<dt>Controls failed</dt><dd>2</dd>"));
	assert_non_null(strstr(page, "<dt>Verify: violation</dt><dd>1"));
	COUNT(page, "<table class=\"violations\">", 1);
	assert_non_null(strstr(page, "Left out of the metrics"));
	/* durations for people, rates as percentages */
	assert_non_null(strstr(page, "<td class=\"num\">2h 30m</td>"));
	assert_non_null(strstr(page, "<td class=\"num\">4d 1h</td>"));
	assert_non_null(strstr(page, "<td class=\"num\">40.0%</td>"));
	assert_non_null(strstr(page, "<td class=\"num\">75.0%</td>"));
	/* months in order whatever the object's order, the empty one too */
	assert_true(at(page, "<th scope=\"row\">2026-10</th>") <
		at(page, "<th scope=\"row\">2026-11</th>"));
	assert_true(at(page, "<th scope=\"row\">2026-11</th>") <
		at(page, "<th scope=\"row\">2026-12</th>"));
	/* policy steps have their own table */
	COUNT(page, "<section class=\"policy-trail\" id=\"policy-steps\">", 1);
	/* the RACI matrix */
	COUNT(page, "<table class=\"raci\">", 1);
	COUNT(page, "<th scope=\"rowgroup\"", 4);
	assert_non_null(strstr(page, "<td class=\"cell has-r has-a\">RA</td>"));
	/* metrics first, then the calendar, the Gantt chart, the trails */
	assert_true(at(page, "id=\"summary\"") < at(page, "id=\"metrics\""));
	assert_true(at(page, "id=\"metrics\"") < at(page, "id=\"calendar\""));
	assert_true(at(page, "id=\"calendar\"") < at(page, "id=\"gantt\""));
	assert_true(at(page, "id=\"gantt\"") < at(page, "id=\"changes\""));
	assert_true(at(page, "id=\"changes\"") < at(page, "id=\"raci\""));
	/* headings in order: h2 sections, h3 inside */
	assert_true(at(page, "<h1>") < at(page, "<h2>"));
	assert_true(at(page, "<h2>") < at(page, "<h3>"));
	assert_null(strstr(page, "<h4"));
	/* deterministic */
	again = render(report, audit, calendar, raci, 0, NULL);
	assert_string_equal(page, again);
	free(again);
	free(page);
}

static void test_audit_first(void **state)
{
	char *page;

	(void)state;
	page = render(report, audit, calendar, raci, 1, "Audit <Q4>");
	self_contained(page);
	assert_non_null(strstr(page, "<title>Audit &lt;Q4&gt;</title>"));
	assert_non_null(strstr(page, "<h1>Audit &lt;Q4&gt;</h1>"));
	assert_true(at(page, "id=\"summary\"") < at(page, "id=\"changes\""));
	assert_true(at(page, "id=\"changes\"") < at(page, "id=\"metrics\""));
	assert_true(at(page, "id=\"metrics\"") < at(page, "id=\"calendar\""));
	COUNT(page, "<section class=\"change\" id=\"chg-", 5);
	free(page);
}

static void test_hostile(void **state)
{
	char *page;

	(void)state;
	page = render(report, audit, calendar, raci, 0, NULL);
	/* the title, in the change's heading, the index, the calendar's
	 * title attribute and the Gantt chart's label */
	assert_null(strstr(page, "<script>"));
	assert_null(strstr(page, "alert(1)</"));
	assert_true(count(page, "&lt;script&gt;alert(1)&lt;&#47;script&gt;"
		"&amp;&quot;&#39;") >= 4);
	assert_null(strstr(page, "\"><script>alert(3)"));
	assert_non_null(strstr(page, "&quot;&gt;&lt;script&gt;alert(3)"));
	/* services, phases, report keys */
	assert_non_null(strstr(page, "&lt;b&gt;bold&lt;&#47;b&gt;"));
	assert_non_null(strstr(page, "&lt;i&gt;review&lt;&#47;i&gt;"));
	assert_non_null(strstr(page, "&lt;img src=x onerror=alert(4)&gt;"));
	assert_non_null(strstr(page, "&#47;&#47;evil.example&#47;x"));
	/* the terminal escapes of the refused step's message are gone */
	assert_non_null(strstr(page, "no member holds[31m2J &lt;img"));
	free(page);
}

/* Escaping of bytes no repository should hold: malformed UTF-8 as
 * U+FFFD, controls and non-characters dropped, cuts on characters. */
static void test_escaping(void **state)
{
	static const char *const wide = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";
	crq_node *a = crq_node_dup(audit), *c0, *c1;
	char *page;

	(void)state;
	c0 = crq_node_path(a, "changes")->items[0];
	c1 = crq_node_path(a, "changes")->items[2];
	crq_node_set(c0, "title", crq_node_new_cstr("bad\xff" "byte "
		"c1\xc2\x9b" "del\x7f" "nonchar\xef\xbf\xbe" "cut\xe2\x82"));
	crq_node_set(c1, "title", crq_node_new_cstr(wide));
	page = render(NULL, a, calendar, NULL, 1, NULL);
	self_contained(page);
	assert_non_null(strstr(page, "bad\xef\xbf\xbd" "byte c1delnoncharcut"
		"\xef\xbf\xbd\xef\xbf\xbd</span>") ||
		strstr(page, "bad\xef\xbf\xbd" "byte c1delnoncharcut"
		"\xef\xbf\xbd\xef\xbf\xbd"));
	/* the Gantt label: 29 characters and an ellipsis, never half of
	 * one (self_contained checked the UTF-8) */
	assert_non_null(strstr(page, "</tspan> \xc3\xa9\xc3\xa9\xc3\xa9"));
	assert_non_null(strstr(page, "\xc3\xa9\xe2\x80\xa6</text>"));
	free(page);
	crq_node_free(a);
}

static void test_null_inputs(void **state)
{
	crq_node *rc;
	char *page;

	(void)state;
	/* nothing: a page with an empty summary */
	page = render(NULL, NULL, NULL, NULL, 0, NULL);
	self_contained(page);
	assert_non_null(strstr(page, "id=\"summary\""));
	assert_null(strstr(page, "id=\"metrics\""));
	assert_null(strstr(page, "id=\"changes\""));
	assert_null(strstr(page, "id=\"calendar\""));
	assert_null(strstr(page, "id=\"gantt\""));
	assert_null(strstr(page, "id=\"raci\""));
	assert_null(strstr(page, "<svg"));
	free(page);
	/* the report alone: metrics, no trails, no calendar */
	page = render(report, NULL, NULL, NULL, 0, NULL);
	self_contained(page);
	assert_non_null(strstr(page, "id=\"metrics\""));
	COUNT(page, "<svg class=\"chart\"", 9);
	assert_null(strstr(page, "class=\"change\""));
	assert_null(strstr(page, "<td class=\"control"));
	assert_null(strstr(page, "id=\"calendar\""));
	assert_null(strstr(page, "id=\"raci\""));
	assert_non_null(strstr(page, "<dt>Verify: violation</dt>"));
	free(page);
	/* the report's own calendar stands in for a missing one */
	rc = crq_node_dup(report);
	crq_node_set(rc, "calendar", crq_node_dup(calendar));
	page = render(rc, NULL, NULL, NULL, 0, NULL);
	self_contained(page);
	assert_non_null(strstr(page, "id=\"calendar\""));
	COUNT(page, "<rect class=\"gantt-bar\"", 3);
	COUNT(page, "<div class=\"cal-window\"", 4);
	free(page);
	crq_node_free(rc);
	/* the pack alone: trails and controls, no metrics, no calendar */
	page = render(NULL, audit, NULL, NULL, 1, NULL);
	self_contained(page);
	COUNT(page, "<section class=\"change\" id=\"chg-", 5);
	COUNT(page, "<td class=\"control status-", 30);
	assert_null(strstr(page, "id=\"metrics\""));
	assert_null(strstr(page, "id=\"calendar\""));
	assert_null(strstr(page, "<svg"));
	free(page);
	/* the calendar alone */
	page = render(NULL, NULL, calendar, NULL, 0, NULL);
	self_contained(page);
	COUNT(page, "<rect class=\"gantt-bar\"", 3);
	COUNT(page, "<svg class=\"chart\"", 1);
	assert_null(strstr(page, "class=\"change\""));
	free(page);
	/* RACI alone */
	page = render(NULL, NULL, NULL, raci, 0, NULL);
	self_contained(page);
	COUNT(page, "<table class=\"raci\">", 1);
	assert_null(strstr(page, "<svg"));
	free(page);
}

/* Odd shapes: empty objects and arrays, wrong kinds, no times. */
static void test_degenerate(void **state)
{
	static const char *const odd[] = {
		"{}",
		"{\"changes\": 0, \"volume\": {}, \"lead_times\": {}, "
		"\"time_in_state\": {}, \"approval_latency\": {}, "
		"\"outcomes\": {}, \"sla\": [], \"load\": []}",
		"{\"changes\": \"x\", \"volume\": [], \"sla\": {}, "
		"\"lead_times\": {\"a\": 1}, \"time_in_state\": {\"s\": "
		"{\"p50\": -5, \"p90\": 1e300, \"target\": \"x\"}}}",
	};
	static const char *const packs[] = {
		"{}",
		"{\"changes\": [], \"steps\": []}",
		"{\"changes\": [{\"id\": \"X-1\", \"window\": {\"start\": "
		"\"nope\", \"end\": 3}, \"tasks\": [{\"due\": "
		"\"2026-13-01T00:00:00Z\"}], \"controls\": [{}]}, {}, 7], "
		"\"steps\": [{}, 3, {\"change\": \"X-1\", \"time\": "
		"\"2026-01-01\"}]}",
		"{\"changes\": [{\"id\": \"X-2\", \"window\": {\"start\": "
		"\"1960-01-01T00:00:00Z\", \"end\": \"2090-01-01T00:00:00+05:30\""
		"}}]}",
	};
	static const char freeze[] = "{\"freezes\": [{\"start\": "
		"\"2020-01-01T00:00:00Z\", \"end\": \"2030-01-01T00:00:00Z\"}]}";
	size_t i, k;

	(void)state;
	for (i = 0; i < CRQ_ARRAY_SIZE(odd); i++)
		for (k = 0; k < CRQ_ARRAY_SIZE(packs); k++) {
			crq_node *r = NULL, *a = NULL, *c = NULL;
			char *page;

			assert_crq_ok(crq_json_parse(&r, odd[i], strlen(odd[i]),
				"r"));
			assert_crq_ok(crq_json_parse(&a, packs[k],
				strlen(packs[k]), "a"));
			assert_crq_ok(crq_json_parse(&c, freeze, strlen(freeze),
				"c"));
			page = render(r, a, c, a, (int)k & 1, NULL);
			self_contained(page);
			/* a window across 130 years: capped months, one bar */
			if (k == 3) {
				assert_true(count(page, "<table class=\"cal\"") <= 24);
				COUNT(page, "<rect class=\"gantt-bar\"", 1);
			}
			free(page);
			crq_node_free(r);
			crq_node_free(a);
			crq_node_free(c);
		}
}

static void write_out(const char *dir, const char *name, const char *page)
{
	crq_buf path = CRQ_BUF_INIT;
	FILE *f;

	crq_buf_printf(&path, "%s/%s", dir, name);
	f = fopen(crq_buf_cstr(&path), "w");
	assert_non_null(f);
	assert_int_equal(fputs(page, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	crq_buf_dispose(&path);
}

/* DASHBOARD_OUT=DIR: the pages, for the browser test */
static void test_write_files(void **state)
{
	const char *dir = getenv("DASHBOARD_OUT");
	char *page;

	(void)state;
	page = render(report, audit, calendar, raci, 0, "crq report");
	write_out(dir, "report.html", page);
	free(page);
	page = render(report, audit, calendar, raci, 1, "crq audit");
	write_out(dir, "audit.html", page);
	free(page);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_report),
		cmocka_unit_test(test_audit_first),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_null_inputs),
		cmocka_unit_test(test_degenerate),
		/* only with DASHBOARD_OUT (t41 checks those files in a
		 * browser): last, so it can be left out */
		cmocka_unit_test(test_write_files),
	};
	const char *out = getenv("DASHBOARD_OUT");
	size_t n = sizeof(tests) / sizeof(tests[0]) - !(out && *out);

	return _cmocka_run_group_tests("test_dashboard", tests, n, setup,
		teardown);
}
