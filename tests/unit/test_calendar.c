/*
 * test_calendar.c - the policy's time: durations, zones, business hours
 * and due times, maintenance windows, the service catalogue.  Every
 * expected instant is worked out by hand in the comment beside it.
 */
#include "testutil.h"
#include "calendar.h"
#include "rules.h"

static crq_node *policy;

static long long at(const char *rfc3339)
{
	long long t = -1;

	assert_int_equal(crq_time_parse(rfc3339, &t), 0);
	return t;
}

static void assert_time(long long t, const char *want)
{
	char got[32];

	crq_rules_time(got, t);
	assert_string_equal(got, want);
}

static int setup(void **state)
{
	static const char text[] =
		"calendars:\n"
		"  office:\n"
		"    tz: UTC\n"
		"    hours:\n"
		"      mon: ['09:00-17:00']\n"
		"      tue: ['09:00-17:00']\n"
		"      wed: ['09:00-12:00', '13:00-17:00']\n"
		"      thu: ['09:00-17:00']\n"
		"      fri: ['09:00-17:00']\n"
		"    holidays: ['2026-12-25']\n"
		"  berlin:\n"
		"    tz: Europe/Berlin\n"
		"    hours:\n"
		"      sun: ['00:00-24:00']\n"
		"      mon: ['08:00-16:00']\n"
		"maintenance:\n"
		"  - name: sunday night\n"
		"    services: [web]\n"
		"    tz: Europe/London\n"
		"    days: [sun]\n"
		"    start: '23:00'\n"
		"    end: '03:00'\n"
		"services:\n"
		"  - name: db\n"
		"  - name: api\n"
		"    depends_on: [db]\n"
		"  - name: web\n"
		"    depends_on: [api]\n"
		"  - name: mail\n"
		"freeze:\n"
		"  - name: web freeze\n"
		"    start: '2026-12-01T00:00:00Z'\n"
		"    end: '2026-12-02T00:00:00Z'\n"
		"    services: [web]\n";

	(void)state;
	return crq_yaml_load(&policy, text, strlen(text), "policy") < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	crq_node_free(policy);
	crq_cal__shutdown();
	return 0;
}

static void test_durations(void **state)
{
	char t[32];

	(void)state;
	assert_int_equal(crq_cal__duration("30m"), 1800);
	assert_int_equal(crq_cal__duration("2h"), 7200);
	assert_int_equal(crq_cal__duration("1h30m"), 5400);
	assert_int_equal(crq_cal__duration("3d"), 3 * 86400);
	assert_int_equal(crq_cal__duration("1d2h3m"), 86400 + 7200 + 180);
	assert_true(crq_cal__duration("") < 0);
	assert_true(crq_cal__duration("2") < 0);
	assert_true(crq_cal__duration("m") < 0);
	assert_true(crq_cal__duration("30m2h") < 0);	/* order */
	assert_true(crq_cal__duration("2h2h") < 0);	/* once each */
	assert_true(crq_cal__duration("-2h") < 0);
	assert_true(crq_cal__duration("2 h") < 0);
	assert_true(crq_cal__duration("99999999999h") < 0);
	crq_cal__duration_text(t, 5400);
	assert_string_equal(t, "1h30m");
	crq_cal__duration_text(t, 86400 + 60);
	assert_string_equal(t, "1d1m");
	crq_cal__duration_text(t, 59);
	assert_string_equal(t, "0m");
}

static void test_zones(void **state)
{
	crq_local l;

	(void)state;
	assert_true(crq_cal__zone_known("UTC"));
	assert_true(crq_cal__zone_known("Europe/Berlin"));
	assert_false(crq_cal__zone_known("Mars/Olympus"));
	/* Berlin is UTC+1 in winter and UTC+2 in summer */
	assert_time(crq_cal__instant("Europe/Berlin", 2026, 12, 1, 9, 0),
		"2026-12-01T08:00:00Z");
	assert_time(crq_cal__instant("Europe/Berlin", 2026, 7, 1, 9, 0),
		"2026-07-01T07:00:00Z");
	/* 24:00 is the next midnight */
	assert_time(crq_cal__instant("UTC", 2026, 12, 31, 24, 0),
		"2027-01-01T00:00:00Z");
	crq_cal__local(&l, "America/New_York", at("2026-11-23T03:30:00Z"));
	/* UTC-5 in November: 22:30 on Sunday the 22nd */
	assert_int_equal(l.day, 22);
	assert_int_equal(l.hour, 22);
	assert_int_equal(l.minute, 30);
	assert_int_equal(l.wday, 6);
}

static void test_business_hours(void **state)
{
	(void)state;
	/* 24x7: plain arithmetic */
	assert_time(crq_cal__due(policy, "24x7", at("2026-11-27T16:00:00Z"),
		7200), "2026-11-27T18:00:00Z");
	/* Friday 16:00 + 2h of office time: 1h on Friday, the weekend does
	 * not count, 1h on Monday: Monday 10:00 */
	assert_time(crq_cal__due(policy, "office", at("2026-11-27T16:00:00Z"),
		7200), "2026-11-30T10:00:00Z");
	/* Saturday: the clock starts on Monday at 09:00 */
	assert_time(crq_cal__due(policy, "office", at("2026-11-28T11:00:00Z"),
		1800), "2026-11-30T09:30:00Z");
	/* Wednesday's lunch break: 11:30 + 1h = 30m before, 30m after */
	assert_time(crq_cal__due(policy, "office", at("2026-12-02T11:30:00Z"),
		3600), "2026-12-02T13:30:00Z");
	/* Thursday Dec 24 16:00 + 2h: 1h on the 24th, the 25th is a
	 * holiday, the 26th and 27th a weekend: Monday Dec 28 10:00 */
	assert_time(crq_cal__due(policy, "office", at("2026-12-24T16:00:00Z"),
		7200), "2026-12-28T10:00:00Z");
	/* worked: Friday 16:00 to Monday 10:00 is 2h of office time */
	assert_int_equal(crq_cal__worked(policy, "office",
		at("2026-11-27T16:00:00Z"), at("2026-11-30T10:00:00Z")), 7200);
	/* a weekend alone: nothing */
	assert_int_equal(crq_cal__worked(policy, "office",
		at("2026-11-28T00:00:00Z"), at("2026-11-30T00:00:00Z")), 0);
	/* Berlin, across the end of summer time (Sunday 2026-10-25: 03:00
	 * CEST becomes 02:00 CET): that Sunday has 25 hours */
	assert_int_equal(crq_cal__worked(policy, "berlin",
		at("2026-10-24T22:00:00Z"), at("2026-10-25T23:00:00Z")),
		25 * 3600);
	/* Sunday 20:00 CET (19:00Z) + 6h: 4h to midnight, then Monday from
	 * 08:00 CET (07:00Z) 2h: Monday 10:00 CET = 09:00Z */
	assert_time(crq_cal__due(policy, "berlin", at("2026-10-25T19:00:00Z"),
		6 * 3600), "2026-10-26T09:00:00Z");
	assert_true(crq_cal__due(policy, "nope", 0, 60) < 0);
	assert_true(crq_cal__worked(policy, "nope", 0, 60) < 0);
}

static void test_maintenance(void **state)
{
	const crq_node *m = crq_node_get(policy, "maintenance")->items[0];
	crq_node *web = crq_node_new(CRQ_NODE_ARRAY);
	crq_node *mail = crq_node_new(CRQ_NODE_ARRAY);

	(void)state;
	crq_node_push(web, crq_node_new_cstr("web"));
	crq_node_push(mail, crq_node_new_cstr("mail"));
	assert_true(crq_cal__maintenance_applies(m, web));
	assert_false(crq_cal__maintenance_applies(m, mail));
	/* London is UTC in winter: Sunday 2026-11-29 23:00 to Monday
	 * 03:00 UTC */
	assert_int_equal(crq_cal__in_maintenance(policy, web,
		at("2026-11-29T23:30:00Z"), at("2026-11-30T02:00:00Z")), 1);
	assert_int_equal(crq_cal__in_maintenance(policy, web,
		at("2026-11-29T22:30:00Z"), at("2026-11-30T02:00:00Z")), 0);
	assert_int_equal(crq_cal__in_maintenance(policy, web,
		at("2026-11-30T02:00:00Z"), at("2026-11-30T03:30:00Z")), 0);
	/* in summer (BST, UTC+1) the same local hours are an hour earlier:
	 * Sunday 2026-07-05 22:00Z to Monday 02:00Z */
	assert_int_equal(crq_cal__in_maintenance(policy, web,
		at("2026-07-05T22:00:00Z"), at("2026-07-06T02:00:00Z")), 1);
	assert_int_equal(crq_cal__in_maintenance(policy, web,
		at("2026-07-05T22:00:00Z"), at("2026-07-06T02:30:00Z")), 0);
	/* no window for mail: nothing is expected of it */
	assert_int_equal(crq_cal__in_maintenance(policy, mail,
		at("2026-11-30T12:00:00Z"), at("2026-11-30T13:00:00Z")), -1);
	crq_node_free(web);
	crq_node_free(mail);
}

static void test_services(void **state)
{
	crq_node *db = crq_node_new(CRQ_NODE_ARRAY);
	crq_node *web = crq_node_new(CRQ_NODE_ARRAY);
	crq_node *mail = crq_node_new(CRQ_NODE_ARRAY);
	crq_node *t, *doc;
	const crq_node *f = crq_node_get(policy, "freeze")->items[0];

	(void)state;
	crq_node_push(db, crq_node_new_cstr("db"));
	crq_node_push(web, crq_node_new_cstr("web"));
	crq_node_push(mail, crq_node_new_cstr("mail"));
	/* a change to db touches api and web, which depend on it */
	t = crq_cal__touches(policy, db);
	assert_int_equal(t->count, 3);
	assert_non_null(crq_node_get(t, "web"));
	crq_node_free(t);
	/* web touches only itself */
	t = crq_cal__touches(policy, web);
	assert_int_equal(t->count, 1);
	crq_node_free(t);
	assert_string_equal(crq_cal__related(policy, db, web), "web");
	assert_string_equal(crq_cal__related(policy, web, db), "web");
	assert_null(crq_cal__related(policy, mail, web));
	/* the web freeze holds a change to db, not one to mail */
	doc = crq_node_new(CRQ_NODE_OBJECT);
	crq_node_set(doc, "services", crq_node_dup(db));
	assert_true(crq_cal__freeze_applies(policy, f, doc));
	crq_node_set(doc, "services", crq_node_dup(mail));
	assert_false(crq_cal__freeze_applies(policy, f, doc));
	/* emergencies pass a freeze without types */
	crq_node_set(doc, "services", crq_node_dup(db));
	crq_node_set(doc, "type", crq_node_new_cstr("emergency"));
	assert_false(crq_cal__freeze_applies(policy, f, doc));
	crq_node_free(doc);
	crq_node_free(db);
	crq_node_free(web);
	crq_node_free(mail);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_zones),
		cmocka_unit_test(test_business_hours),
		cmocka_unit_test(test_maintenance),
		cmocka_unit_test(test_services),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
