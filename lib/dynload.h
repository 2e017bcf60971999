/*
 * dynload.h - the libraries crq loads on first use (lib/dynload.c):
 * libcurl for notifications, libical for time zones and iCalendar.
 *
 * Neither is linked: loading one (with the dozens of libraries under
 * it: TLS, LDAP, Kerberos, ICU ...) costs a process more than a small
 * command's own work, and only a few commands need them.  Their headers
 * still give the types; each library's functions come as a table whose
 * members have the functions' own names and types (__typeof__ of the
 * header's declarations, so a table cannot drift from the headers).
 *
 * A table is loaded whole or not at all: every function resolved, or
 * an error naming the library ("cannot load libcurl.so.4: ... (needed
 * for notifications)").  Loaded once per process (thread-safe) and
 * kept until exit; a failure is remembered too.
 */
#ifndef CRQ_DYNLOAD_H
#define CRQ_DYNLOAD_H

#include <curl/curl.h>
#include <libical/ical.h>

/* the calls go through the tables: curl's argument-checking macros of
 * these two would take a table's members for the functions */
#undef curl_easy_setopt
#undef curl_easy_getinfo

/* The runtime libraries, by SONAME: what the -dev packages' .so links
 * to (objdump -p /usr/lib/x86_64-linux-gnu/libcurl.so | grep SONAME). */
#define CRQ_LIBCURL "libcurl.so.4"
#define CRQ_LIBICAL "libical.so.3"

#define CRQ_CURL_FUNCTIONS(X) \
	X(curl_global_init) X(curl_global_cleanup) X(curl_easy_init) \
	X(curl_easy_setopt) X(curl_easy_perform) X(curl_easy_getinfo) \
	X(curl_easy_strerror) X(curl_easy_cleanup) X(curl_slist_append) \
	X(curl_slist_free_all)

#define CRQ_ICAL_FUNCTIONS(X) \
	X(icalcomponent_new_vcalendar) X(icalcomponent_new_vevent) \
	X(icalcomponent_add_component) X(icalcomponent_add_property) \
	X(icalcomponent_as_ical_string_r) X(icalcomponent_free) \
	X(icalproperty_new_calscale) X(icalproperty_new_categories) \
	X(icalproperty_new_description) X(icalproperty_new_dtend) \
	X(icalproperty_new_dtstamp) X(icalproperty_new_dtstart) \
	X(icalproperty_new_prodid) X(icalproperty_new_sequence) \
	X(icalproperty_new_status) X(icalproperty_new_summary) \
	X(icalproperty_new_transp) X(icalproperty_new_uid) \
	X(icalproperty_new_version) X(icalproperty_new_x) \
	X(icalproperty_set_x_name) \
	X(icaltime_null_time) X(icaltime_as_timet_with_zone) \
	X(icaltime_from_timet_with_zone) \
	X(icaltimezone_get_utc_timezone) X(icaltimezone_get_builtin_timezone) \
	X(icaltimezone_free_builtin_timezones) \
	X(icalerror_clear_errno) X(icalerror_strerror) X(icalerrno_return)

#define CRQ_DL_MEMBER(fn) __typeof__(fn) *fn;

typedef struct crq_curl_api {
	CRQ_CURL_FUNCTIONS(CRQ_DL_MEMBER)
} crq_curl_api;

typedef struct crq_ical_api {
	CRQ_ICAL_FUNCTIONS(CRQ_DL_MEMBER)
} crq_ical_api;

/* The table of libcurl's (libical's) functions, loading the library on
 * the first call; NULL with the error set (CRQ_EREPO, the same each
 * time) when it cannot be loaded or lacks one of them.  Borrowed, valid
 * until exit.  Library state (curl_global_init, libical's zones) is its
 * user's to manage. */
const crq_curl_api *crq_dl__curl(void);
const crq_ical_api *crq_dl__ical(void);

#endif
