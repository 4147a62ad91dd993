/*  sp_period - calendar periods cut in an organisation's time zone.

    KPI targets, funnels and commission statements are kept per day, ISO
    week, month, quarter or year of the organisation's IANA zone, while
    instants on the wire are UTC milliseconds. A period is the span of UTC
    instants [start_ms, end_ms) whose local date falls on one of its days.

    start_ms is the first instant whose local date is the period's first
    day: local midnight, or when midnight falls in a daylight-saving gap,
    the instant the clocks jump (see sp_tz_local_to_utc). end_ms is the
    start of the next period, so consecutive periods tile the time line;
    a local day may be 23 or 25 hours long.

    Labels: day "2017-05-03", week "2017-W05" (ISO 8601: weeks start on
    Monday, week 1 holds the year's first Thursday, the year in the label
    is the week-numbering year), month "2017-05", quarter "2017-Q2", year
    "2017". Years run from 1 to 9999.

    Pure functions: no I/O, no global state, no floating point, no libc
    time zone functions; exact integer civil-date arithmetic.
*/
#ifndef SP_PERIOD_H_INCLUDED
#define SP_PERIOD_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_tz.h"

/* Bytes of a label with its NUL, longest "9999-12-31". */
#define SP_PERIOD_LABEL_SIZE 16

/* Range of years a period can lie in. */
#define SP_PERIOD_YEAR_MIN 1
#define SP_PERIOD_YEAR_MAX 9999

typedef enum {
    SP_PERIOD_DAY = 0,     /* one local calendar day */
    SP_PERIOD_WEEK = 1,    /* ISO 8601 week, Monday to Sunday */
    SP_PERIOD_MONTH = 2,   /* one calendar month */
    SP_PERIOD_QUARTER = 3, /* January-March, April-June, July-September, October-December */
    SP_PERIOD_YEAR = 4,    /* one calendar year */
} sp_period_kind_t;

/* Number of period kinds; kinds are 0 .. SP_PERIOD_KIND_COUNT - 1. */
#define SP_PERIOD_KIND_COUNT 5

typedef struct {
    sp_period_kind_t kind;            /* day, week, month, quarter or year */
    int64_t start_ms;                 /* first instant, UTC ms, inclusive */
    int64_t end_ms;                   /* first instant of the next period, UTC ms, exclusive */
    char label[SP_PERIOD_LABEL_SIZE]; /* e.g. "2017-Q2", see above */
} sp_period_t;

/* The period of a kind containing the instant utc_ms in zone tz. Returns
   0, or -1 (out untouched) when tz or out is NULL, kind is out of range,
   or the instant's local date or its period lies outside years 1..9999. */
int sp_period_cut (const sp_tz_t *tz, sp_period_kind_t kind, int64_t utc_ms, sp_period_t *out);

/* The day number (sp_civil) of the local day containing the instant
   utc_ms in zone tz: the day sp_period_cut's SP_PERIOD_DAY period is
   labelled with. Returns 0, or -1 (*day untouched) as sp_period_cut. */
int sp_period_local_day (const sp_tz_t *tz, int64_t utc_ms, int64_t *day);

/* The period a label names ("2017-05-03", "2017-W05", "2017-05", "2017-Q2",
   "2017"), for queries such as --period 2017-Q2. Returns 0, or -1 with out
   untouched and a message in error (when error_size > 0), such as
       invalid period "2017-Q5": quarter must be 1..4
       invalid period "2019-W53": 2019 has 52 ISO weeks
       invalid period "2017-13": month must be 1..12 */
int sp_period_parse (const sp_tz_t *tz, const char *label, sp_period_t *out, char *error,
                     size_t error_size);

/* The period of the same kind right after / before period (2017-12 ->
   2018-01, 2020-W53 -> 2021-W01). Returns 0, or -1 (out untouched) when an
   argument is NULL, period is not one this module made (kind and label
   disagree), or the result would leave years 1..9999. out may be period. */
int sp_period_next (const sp_tz_t *tz, const sp_period_t *period, sp_period_t *out);
int sp_period_previous (const sp_tz_t *tz, const sp_period_t *period, sp_period_t *out);

/* True when start_ms <= utc_ms < end_ms; false when period is NULL. */
bool sp_period_contains (const sp_period_t *period, int64_t utc_ms);

/* "day", "week", "month", "quarter" or "year"; NULL for a kind out of range. */
const char *sp_period_kind_name (sp_period_kind_t kind);

/* Parses a kind name as written by sp_period_kind_name. Returns 0, or -1
   with *kind untouched when text is NULL or not a kind name. */
int sp_period_kind_parse (const char *text, sp_period_kind_t *kind);

#endif
