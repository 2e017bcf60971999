/*
 * calendar.h - time as the policy sees it (lib/calendar.c): durations,
 * time zones, business hours, weekly maintenance windows, and the
 * service catalogue's dependencies.  Pure functions of the policy and
 * the times passed in: nothing here reads the repository or the clock.
 */
#ifndef CRQ_CALENDAR_H
#define CRQ_CALENDAR_H

#include "internal.h"

/* "30m", "2h", "1h30m", "3d" in seconds; < 0 when it is not one. */
long long crq_cal__duration(const char *s);
/* "2h30m" for secs (rounded down to minutes; "0m" for less). */
void crq_cal__duration_text(char out[32], long long secs);

/* libical's functions (lib/dynload.h), the library loaded on the first
 * call and the zones it loads let go of at crq_global_shutdown; NULL
 * with the error set when it cannot be loaded.  UTC never needs it. */
struct crq_ical_api;
const struct crq_ical_api *crq_cal__ical(void);
/* Let go of the zones libical loaded (at crq_global_shutdown). */
void crq_cal__shutdown(void);
/* Is tz an IANA zone this machine knows?  1 yes ("UTC" always is), 0
 * no, -1 when libical cannot be loaded to say (the error set). */
int crq_cal__zone_known(const char *tz);
/* How many zone checks of this thread found libical not loading: a
 * policy that fails for that was not judged by its bytes. */
unsigned crq_cal__zone_failures(void);

/* A local date and time in a zone. */
typedef struct {
	int year, month, day, hour, minute;
	int wday;		/* 0 mon .. 6 sun */
} crq_local;

/* The instant of local time y-m-d h:min in tz (past the end of a day
 * rolls over: 24:00 is the next day's midnight). */
long long crq_cal__instant(const char *tz, int y, int m, int d, int h,
	int min);
void crq_cal__local(crq_local *out, const char *tz, long long t);

/* Seconds of working time in [a, b) by hours: "24x7" (or NULL), or the
 * name of a calendar under the policy's calendars.  < 0: no such
 * calendar. */
long long crq_cal__worked(const crq_node *policy, const char *hours,
	long long a, long long b);
/* The instant at which `within` seconds of working time from start are
 * used up; < 0 when the calendar has no hours for ten years, or is
 * unknown. */
long long crq_cal__due(const crq_node *policy, const char *hours,
	long long start, long long within);

/* Does maintenance window m (an entry of the policy's maintenance)
 * apply to a change with services (an array, may be NULL)? */
int crq_cal__maintenance_applies(const crq_node *m, const crq_node *services);
/* Call fn for each occurrence of maintenance window m that overlaps
 * [from, to): its start and end instants.  A non-zero return stops. */
int crq_cal__occurrences(const crq_node *m, long long from, long long to,
	int (*fn)(long long s, long long e, void *payload), void *payload);
/* 1 when [ws, we] lies inside an occurrence of a maintenance window
 * that applies to services; 0 when windows apply but none holds it;
 * -1 when no window applies (nothing is expected). */
int crq_cal__in_maintenance(const crq_node *policy, const crq_node *services,
	long long ws, long long we);

/* The catalogue entry of service name (NULL: none, or no catalogue). */
const crq_node *crq_cal__service(const crq_node *policy, const char *name);
/* {service: true} of what a change to services touches: the services
 * and, through the catalogue, everything that depends on them. */
crq_node *crq_cal__touches(const crq_node *policy, const crq_node *services);
/* A service a change on a touches that b names, or b touches that a
 * names (the first found; NULL: they are unrelated). */
const char *crq_cal__related(const crq_node *policy, const crq_node *a,
	const crq_node *b);
/* Does freeze f apply to doc (its types and, through dependencies, its
 * services)? */
int crq_cal__freeze_applies(const crq_node *policy, const crq_node *f,
	const crq_node *doc);
/* The first freeze of the policy that applies to doc and overlaps
 * [a, b) (a == b: holds the instant a), or NULL (borrowed). */
const crq_node *crq_cal__freeze_in(const crq_node *policy,
	const crq_node *doc, long long a, long long b);

/* Do the windows of changes a and b overlap and share what kind says:
 * CRQ_CAL_SERVICE a service (through dependencies; *what gets it) or
 * CRQ_CAL_IMPLEMENTER the implementer (*what gets the e-mail)?  The one
 * rule of no-collision, for the guard and the calendar alike. */
#define CRQ_CAL_SERVICE 1
#define CRQ_CAL_IMPLEMENTER 2
int crq_cal__collides(const crq_node *policy, const crq_node *a,
	const crq_node *b, int kind, const char **what);

/* A change's window as instants; 0 when it has a well-formed one. */
int crq_cal__window(const crq_node *doc, long long *ws, long long *we);

/* RFC 3339 UTC text of t. */
void crq_cal__time_text(char out[32], long long t);

/* Does a `when` value (a string or a list of them) admit v?  No value
 * admits anything. */
int crq_cal__admits(const crq_node *want, const char *v);

/* Does doc match a `when` (an SLA target's or an automation rule's:
 * type, risk, impact, urgency, priority, services ..., each a value or
 * a list; what a rule says of time is not looked at)? */
int crq_cal__matches(const crq_node *when, const crq_node *doc);

/* The SLA clocks of doc under the policy's targets at now:
 * an array of {change, target, from, hours, within, started, at_risk
 * (when 80 % is used), due,
 * stopped, stopped_in, elapsed (seconds worked), elapsed_text, percent,
 * state (running, at-risk, met, breached), paused}. */
crq_node *crq_sla__clocks(const crq_node *policy, const crq_node *doc,
	long long now);

/* The collisions (kinds service and implementer, as under crq_calendar's
 * conflicts) among docs, changes holding windows (lib/agenda.c). */
crq_node *crq_cal__collisions(const crq_node *policy, const crq_node *docs);

/* Policy parse: the calendar rules a schema cannot state (known zones,
 * services and calendars, depends_on without cycles). */
void crq_cal__check_policy(const crq_node *doc, crq_issues *issues);

#endif
