/*
 * test_config.c - git configuration without a store: -c overrides, the
 * repository's config, the global one outside any repository, booleans.
 */
#include "testutil.h"
#include <stdlib.h>
#include <unistd.h>

static char tmpdir[64];
static crq_options opts;

static int setup(void **state)
{
	(void)state;
	return test_env_setup(tmpdir, &opts);
}

static int teardown(void **state)
{
	(void)state;
	return test_env_teardown(tmpdir);
}

/* Run a shell command made from fmt in tmpdir; it must succeed. */
static void __attribute__((format(printf, 1, 2))) sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int n;

	n = snprintf(cmd, sizeof(cmd), "cd '%s' && ", tmpdir);
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - (size_t)n, fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static void test_repository_global_and_overrides(void **state)
{
	const char *over[] = { "Core.Pager=first", "core.pager=second" };
	crq_options o = opts;
	crq_config *cfg = NULL;
	crq_buf b = CRQ_BUF_INIT;
	char path[256];

	(void)state;
	sh("git config --global core.pager global-pager && "
		"git config --global color.ui never && git init -q r && "
		"git -C r config core.pager repo-pager && mkdir -p r/sub none");

	/* inside the repository (searched upwards): its value, the global
	 * config under it */
	snprintf(path, sizeof(path), "%s/r/sub", tmpdir);
	assert_crq_ok(crq_config_open(&cfg, path, NULL));
	assert_crq_ok(crq_config_get(&b, cfg, "core.pager"));
	assert_string_equal(b.ptr, "repo-pager");
	crq_buf_clear(&b);
	assert_crq_ok(crq_config_get(&b, cfg, "color.ui"));
	assert_string_equal(b.ptr, "never");
	crq_buf_clear(&b);
	assert_crq_fails(crq_config_get(&b, cfg, "pager.show"),
		CRQ_ENOTFOUND, "'pager.show' is not set");
	crq_config_free(cfg);

	/* -c overrides first, the last one winning, names in any case */
	o.config = over;
	o.config_count = 2;
	assert_crq_ok(crq_config_open(&cfg, path, &o));
	assert_crq_ok(crq_config_get(&b, cfg, "core.pager"));
	assert_string_equal(b.ptr, "second");
	crq_buf_clear(&b);
	crq_config_free(cfg);

	/* outside any repository: the global configuration */
	snprintf(path, sizeof(path), "%s/none", tmpdir);
	assert_crq_ok(crq_config_open(&cfg, path, NULL));
	assert_crq_ok(crq_config_get(&b, cfg, "core.pager"));
	assert_string_equal(b.ptr, "global-pager");
	crq_config_free(cfg);
	crq_config_free(NULL);
	crq_buf_dispose(&b);
}

static void test_booleans(void **state)
{
	const char *over[] = { "pager.log=Yes", "pager.show=", "pager.x=odd" };
	crq_options o = opts;
	crq_config *cfg = NULL;
	char path[256];
	int v = -1;

	(void)state;
	sh("git init -q b && git -C b config pager.list off && "
		"git -C b config pager.audit maybe && "
		"printf '[pager]\\n\\tlog\\n\\tsla\\n' >>b/.git/config");
	snprintf(path, sizeof(path), "%s/b", tmpdir);
	o.config = over;
	o.config_count = 3;
	assert_crq_ok(crq_config_open(&cfg, path, &o));
	assert_crq_ok(crq_config_get_bool(&v, cfg, "pager.list"));
	assert_int_equal(v, 0);
	/* the override wins over the file's */
	assert_crq_ok(crq_config_get_bool(&v, cfg, "pager.log"));
	assert_int_equal(v, 1);
	/* "key =" is false, "key" alone true, as git reads them */
	assert_crq_ok(crq_config_get_bool(&v, cfg, "pager.show"));
	assert_int_equal(v, 0);
	assert_crq_ok(crq_config_get_bool(&v, cfg, "pager.sla"));
	assert_int_equal(v, 1);
	assert_crq_fails(crq_config_get_bool(&v, cfg, "pager.x"),
		CRQ_EINVALID, "bad boolean config value 'odd' for 'pager.x'");
	assert_crq_fails(crq_config_get_bool(&v, cfg, "pager.audit"),
		CRQ_EINVALID, "'maybe' for 'pager.audit'");
	assert_crq_fails(crq_config_get_bool(&v, cfg, "pager.none"),
		CRQ_ENOTFOUND, "is not set");
	crq_config_free(cfg);
	assert_int_equal(crq_config_parse_bool("ON"), 1);
	assert_int_equal(crq_config_parse_bool("0"), 0);
	assert_int_equal(crq_config_parse_bool("2"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_repository_global_and_overrides),
		cmocka_unit_test(test_booleans),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
