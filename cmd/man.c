/*
 * man.c - crq's manual pages in scdoc format, and the names shell
 * completion needs, rendered from the one command table (commands[])
 * that `crq help` prints: `crq help --scdoc [CMD]`, `crq help
 * --commands`, `crq help --options CMD`.
 */
#include <stdio.h>
#include <string.h>
#include <ctype.h>

#include "cmd.h"

/* Write n bytes of s with scdoc's inline specials escaped. */
static void esc(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '*' || s[i] == '_' || s[i] == '\\')
			putchar('\\');
		putchar(s[i]);
	}
}

/* A line of prose: leading blanks dropped, a line-start special
 * (list, header, roff control, table) escaped. */
static void esc_text(const char *s, size_t n, int nl)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	if (n && strchr("-.#[|:'`+", *s))
		fputs("\\", stdout);
	esc(s, n);
	if (nl)
		putchar('\n');
}

static void esc_line(const char *s, size_t n)
{
	esc_text(s, n, 1);
}


/* An option line: "  -m, --message MSG    why ..." */
static int is_option_line(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] == ' ')
		i++;
	return i >= 1 && i <= 4 && i + 1 < n && s[i] == '-' &&
	    (isalnum((unsigned char)s[i + 1]) || s[i + 1] == '-');
}

/*
 * An option's description is one line of the page, its continuation
 * lines joined to it: no line then starts with what roff takes for a
 * request (a quote or a dot that begins a continuation line).
 */
static void render_help(const char *h)
{
	const char *p = h, *e;
	int in_opt = 0, open = 0;

	while (*p) {
		size_t n, i, t;

		e = strchr(p, '\n');
		if (!e)
			e = p + strlen(p);
		n = (size_t)(e - p);
		i = 0;
		while (i < n && p[i] == ' ')
			i++;
		if (open && !(i < n && in_opt && i >= 6 &&
		    !is_option_line(p, n))) {
			putchar('\n');
			open = 0;
		}
		if (i == n) {
			putchar('\n');
			in_opt = 0;
		} else if (is_option_line(p, n)) {
			/* term up to a run of two blanks */
			for (t = i; t + 1 < n; t++)
				if (p[t] == ' ' && p[t + 1] == ' ')
					break;
			if (t + 1 >= n)
				t = n;
			printf("\n*");
			esc(p + i, t - i);
			printf("*\n");
			if (t < n) {
				putchar('\t');
				esc_text(p + t, n - t, 0);
				open = 1;
			}
			in_opt = 1;
		} else if (in_opt && i >= 6) {
			if (open)
				putchar(' ');
			else
				putchar('\t');
			if (open)
				esc(p + i, n - i);
			else
				esc_text(p, n, 0);
			open = 1;
		} else {
			if (in_opt)
				putchar('\n');
			in_opt = 0;
			/* prose: one line per paragraph, so that no line
			 * starts with a roff control character */
			if (*e && e[1] && e[1] != '\n' &&
			    !is_option_line(e + 1, strcspn(e + 1, "\n"))) {
				esc_text(p, n, 0);
				putchar(' ');
			} else
				esc_line(p, n);
		}
		p = *e ? e + 1 : e;
	}
	if (open)
		putchar('\n');
}

static void render_usage(const char *u)
{
	const char *p = u, *e;

	while (*p) {
		size_t n;

		while (*p == ' ')
			p++;
		e = strchr(p, '\n');
		if (!e)
			e = p + strlen(p);
		n = (size_t)(e - p);
		esc_line(p, n);
		putchar('\n');
		p = *e ? e + 1 : e;
	}
}

int man_scdoc_command(const struct cmd *c)
{
	printf("crq-%s(1)\n\n# NAME\n\ncrq-%s - ", c->name, c->name);
	esc(c->summary, strlen(c->summary));
	printf("\n\n# SYNOPSIS\n\n");
	render_usage(c->usage);
	if (c->help && *c->help) {
		printf("# DESCRIPTION\n\n");
		render_help(c->help);
		putchar('\n');
	}
	printf("# SEE ALSO\n\n*crq*(1)\n");
	return finish(0);
}

int man_scdoc_main(void)
{
	const struct cmd *c;

	printf("crq(1)\n\n# NAME\n\ncrq - change requests as YAML files in git\n\n"
	    "# SYNOPSIS\n\n");
	render_usage(main_synopsis + strlen("usage: "));
	printf("# DESCRIPTION\n\n"
	    "crq keeps change requests as YAML files in a git repository;\n"
	    "every step is a commit signed with your ssh key.\n"
	    "The policy (.crq/policy.yaml, see *crq-policy*(5)) decides\n"
	    "the workflow, roles and rules; change files are described in\n"
	    "*crq-change*(5).\n\n"
	    "# GLOBAL OPTIONS\n\n");
	render_help(main_options_help);
	printf("\n# COMMANDS\n\n");
	for (c = commands; c->name; c++) {
		printf("*crq-%s*(1)\n\t", c->name);
		esc(c->summary, strlen(c->summary));
		printf("\n\n");
	}
	printf("# EXIT STATUS\n\n"
	    "*0*\n\tsuccess\n\n"
	    "*1*\n\trefused: invalid input, a rule says no, problems found\n\n"
	    "*128*\n\trepository or system failure\n\n"
	    "*129*\n\tusage error\n\n"
	    "# SEE ALSO\n\n*crq-policy*(5), *crq-change*(5), *git*(1)\n");
	return finish(0);
}

int man_commands(void)
{
	const struct cmd *c;

	for (c = commands; c->name; c++)
		printf("%s\n", c->name);
	return finish(0);
}

/* Every option name (-x, --name) in a command's usage and help,
 * once each, in order of appearance. */
int man_options(const struct cmd *c)
{
	const char *texts[2] = { c->usage, c->help };
	char seen[8192] = "\n";
	int k;

	for (k = 0; k < 2; k++) {
		const char *p = texts[k];

		if (!p)
			continue;
		for (; *p; p++) {
			size_t n = 0;
			char name[128];

			if (*p != '-' || (p != texts[k] &&
			    !strchr(" \t\n[(|,", p[-1])))
				continue;
			if (p[1] == '-') {
				n = 2;
				while (isalnum((unsigned char)p[n]) ||
				    (p[n] == '-' && isalnum((unsigned char)p[n + 1])))
					n++;
				if (n == 2)
					continue;
			} else if (isalpha((unsigned char)p[1]) &&
			    !isalnum((unsigned char)p[2]) && p[2] != '-') {
				n = 2;
			} else
				continue;
			if (n >= sizeof(name) - 2)
				continue;
			name[0] = '\n';
			memcpy(name + 1, p, n);
			name[n + 1] = '\n';
			name[n + 2] = '\0';
			if (strstr(seen, name))
				continue;
			if (strlen(seen) + n + 2 < sizeof(seen))
				strcat(seen, name + 1);
			printf("%.*s\n", (int)n, p);
			p += n - 1;
		}
	}
	return finish(0);
}
