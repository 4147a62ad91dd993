/*  sp_period - calendar periods cut in an organisation's time zone (see
    sp_period.h).

    A period is first worked out as a span of local calendar days, counted
    from 1970-01-01: [first_day, next_day). Placing it on the time line
    converts the local midnights of first_day and next_day to UTC with
    sp_tz_local_to_utc, which resolves gaps (the jump instant) and overlaps
    (the earlier instant). Labels are derived from the span, and parsed back
    into one, so next/previous are calendar steps, never "add 30 days".

    An instant belongs to the period whose [start, end) holds it. That is
    the period of its local date, except in an overlap that crosses local
    midnight (clocks falling back from 00:30 to 23:30): the repeated half
    hour lies after the new day's first midnight, so it belongs to the new
    day; sp_period_cut steps to that period.

    Civil-date arithmetic is Howard Hinnant's exact integer algorithm
    (days_from_civil / civil_from_days),
    see http://howardhinnant.github.io/date_algorithms.html
*/
#include "sp_period.h"
#include "sp_error.h"
#include "sp_civil.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SP_PERIOD_MS_PER_SECOND 1000
#define SP_PERIOD_SECONDS_PER_DAY 86400
#define SP_PERIOD_DAYS_PER_WEEK 7
#define SP_PERIOD_MONTHS_PER_YEAR 12
#define SP_PERIOD_MONTHS_PER_QUARTER 3
#define SP_PERIOD_QUARTERS_PER_YEAR 4
#define SP_PERIOD_WEEKS_MAX 53      /* longest ISO year, in weeks */
#define SP_PERIOD_DAYS_MAX 31       /* longest month, in days */
#define SP_PERIOD_ISO_WEEK_ANCHOR 4 /* January 4 is always in ISO week 1 */
#define SP_PERIOD_THURSDAY_INDEX 3  /* Thursday, counting Monday as 0 */
/* Most steps from the period of an instant's local date to the period
   holding the instant: offsets differ by under 52 hours. */
#define SP_PERIOD_SETTLE_STEPS 3
#define SP_PERIOD_QUOTE_MAX 64  /* longest label quoted in a message, bytes */
#define SP_PERIOD_REASON_MAX 96 /* longest reason a label is invalid, bytes */
#define SP_PERIOD_DECIMAL 10    /* base of label numbers */

/* Label shapes, by length: "2017", "2017-05" or "2017-Q2", "2017-W05",
   "2017-05-03"; and positions of their parts. */
#define SP_PERIOD_YEAR_DIGITS 4
#define SP_PERIOD_SHAPE_YEAR 4
#define SP_PERIOD_SHAPE_MONTH 7
#define SP_PERIOD_SHAPE_WEEK 8
#define SP_PERIOD_SHAPE_DAY 10
#define SP_PERIOD_PART_1 5 /* first character after "YYYY-" */
#define SP_PERIOD_PART_2 8 /* first character after "YYYY-MM-" */

/* Hinnant's civil calendar: eras of 400 Gregorian years starting March 1. */

static const char *const s_kind_names[SP_PERIOD_KIND_COUNT] = { "day", "week", "month", "quarter",
                                                                "year" };

/* A period as local calendar days, before it is placed on the time line. */
typedef struct {
    sp_period_kind_t kind; /* what the span is */
    int64_t first_day;     /* its first local date, days since 1970-01-01 */
    int64_t next_day;      /* the first local date of the next period */
} s_span_t;

/* --------------------------------------------------------------- helpers */

/* Monday of ISO week 1 of an ISO week-numbering year. */
static int64_t
s_iso_year_start (int64_t year)
{
    int64_t anchor = sp_civil_days_from_date (year, 1, SP_PERIOD_ISO_WEEK_ANCHOR);
    return anchor - sp_civil_iso_weekday (anchor);
}

/* Number of ISO weeks of a week-numbering year: 52 or 53. */
static int
s_iso_weeks_in_year (int64_t year)
{
    return (int) ((s_iso_year_start (year + 1) - s_iso_year_start (year)) /
                  SP_PERIOD_DAYS_PER_WEEK);
}

/* ISO week-numbering year and week of the week starting on monday. */
static void
s_iso_week_of (int64_t monday, int64_t *year, int *week)
{
    int64_t thursday = monday + SP_PERIOD_THURSDAY_INDEX;
    *year = sp_civil_date_from_days (thursday).year;
    *week = (int) ((thursday - sp_civil_days_from_date (*year, 1, 1)) / SP_PERIOD_DAYS_PER_WEEK) + 1;
}

static bool
s_kind_valid (sp_period_kind_t kind)
{
    return (int) kind >= 0 && (int) kind < SP_PERIOD_KIND_COUNT;
}

/* ----------------------------------------------------------------- spans */

/* The span of a kind holding a local day. */
static s_span_t
s_span_of_day (sp_period_kind_t kind, int64_t day)
{
    s_span_t span = { .kind = kind };
    sp_civil_date_t date = sp_civil_date_from_days (day);
    switch (kind) {
        case SP_PERIOD_DAY:
            span.first_day = day;
            span.next_day = day + 1;
            break;
        case SP_PERIOD_WEEK:
            span.first_day = day - sp_civil_iso_weekday (day);
            span.next_day = span.first_day + SP_PERIOD_DAYS_PER_WEEK;
            break;
        case SP_PERIOD_MONTH:
            span.first_day = sp_civil_days_from_date (date.year, date.month, 1);
            span.next_day = span.first_day + sp_civil_days_in_month (date.year, date.month);
            break;
        case SP_PERIOD_QUARTER: {
            int first_month = date.month - (date.month - 1) % SP_PERIOD_MONTHS_PER_QUARTER;
            span.first_day = sp_civil_days_from_date (date.year, first_month, 1);
            span.next_day =
                first_month + SP_PERIOD_MONTHS_PER_QUARTER > SP_PERIOD_MONTHS_PER_YEAR
                    ? sp_civil_days_from_date (date.year + 1, 1, 1)
                    : sp_civil_days_from_date (date.year, first_month + SP_PERIOD_MONTHS_PER_QUARTER, 1);
            break;
        }
        case SP_PERIOD_YEAR:
        default:
            assert (kind == SP_PERIOD_YEAR);
            span.first_day = sp_civil_days_from_date (date.year, 1, 1);
            span.next_day = sp_civil_days_from_date (date.year + 1, 1, 1);
            break;
    }
    return span;
}

/* The year a span's label carries: the ISO week-numbering year for weeks. */
static int64_t
s_span_label_year (const s_span_t *span)
{
    if (span->kind == SP_PERIOD_WEEK) {
        int64_t year;
        int week;
        s_iso_week_of (span->first_day, &year, &week);
        return year;
    }
    return sp_civil_date_from_days (span->first_day).year;
}

/* Writes value as exactly width decimal digits, zero-padded; returns the
   position after them. */
static char *
s_put_digits (char *cursor, int value, int width)
{
    assert (value >= 0);
    for (int i = width - 1; i >= 0; i--) {
        cursor[i] = (char) ('0' + value % SP_PERIOD_DECIMAL);
        value /= SP_PERIOD_DECIMAL;
    }
    assert (value == 0);
    return cursor + width;
}

/* Writes the label of a span whose label year is within range. */
static void
s_span_label (const s_span_t *span, char *label)
{
    sp_civil_date_t date = sp_civil_date_from_days (span->first_day);
    char *cursor = label;
    switch (span->kind) {
        case SP_PERIOD_DAY:
            cursor = s_put_digits (cursor, (int) date.year, SP_PERIOD_YEAR_DIGITS);
            *cursor++ = '-';
            cursor = s_put_digits (cursor, date.month, 2);
            *cursor++ = '-';
            cursor = s_put_digits (cursor, date.day, 2);
            break;
        case SP_PERIOD_WEEK: {
            int64_t week_year;
            int week;
            s_iso_week_of (span->first_day, &week_year, &week);
            cursor = s_put_digits (cursor, (int) week_year, SP_PERIOD_YEAR_DIGITS);
            *cursor++ = '-';
            *cursor++ = 'W';
            cursor = s_put_digits (cursor, week, 2);
            break;
        }
        case SP_PERIOD_MONTH:
            cursor = s_put_digits (cursor, (int) date.year, SP_PERIOD_YEAR_DIGITS);
            *cursor++ = '-';
            cursor = s_put_digits (cursor, date.month, 2);
            break;
        case SP_PERIOD_QUARTER:
            cursor = s_put_digits (cursor, (int) date.year, SP_PERIOD_YEAR_DIGITS);
            *cursor++ = '-';
            *cursor++ = 'Q';
            cursor = s_put_digits (cursor, (date.month - 1) / SP_PERIOD_MONTHS_PER_QUARTER + 1, 1);
            break;
        case SP_PERIOD_YEAR:
        default:
            cursor = s_put_digits (cursor, (int) date.year, SP_PERIOD_YEAR_DIGITS);
            break;
    }
    *cursor = '\0';
}

/* Places a span on the time line. Returns -1 (out untouched) when its
   label year is outside SP_PERIOD_YEAR_MIN..SP_PERIOD_YEAR_MAX. */
static int
s_span_place (const sp_tz_t *tz, const s_span_t *span, sp_period_t *out)
{
    int64_t year = s_span_label_year (span);
    if (year < SP_PERIOD_YEAR_MIN || year > SP_PERIOD_YEAR_MAX)
        return -1;
    sp_period_t period = { .kind = span->kind };
    period.start_ms = sp_tz_local_to_utc (tz, span->first_day * SP_PERIOD_SECONDS_PER_DAY) *
                      SP_PERIOD_MS_PER_SECOND;
    period.end_ms = sp_tz_local_to_utc (tz, span->next_day * SP_PERIOD_SECONDS_PER_DAY) *
                    SP_PERIOD_MS_PER_SECOND;
    s_span_label (span, period.label);
    *out = period;
    return 0;
}

static s_span_t
s_span_next (const s_span_t *span)
{
    return s_span_of_day (span->kind, span->next_day);
}

static s_span_t
s_span_previous (const s_span_t *span)
{
    return s_span_of_day (span->kind, span->first_day - 1);
}

/* -------------------------------------------------------------- labels */

/* Reads exactly count decimal digits. */
static bool
s_parse_digits (const char *text, size_t count, int *value)
{
    int result = 0;
    for (size_t i = 0; i < count; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        result = result * SP_PERIOD_DECIMAL + (text[i] - '0');
    }
    *value = result;
    return true;
}

/* Parses a label into a span; on failure writes why to reason. */
static bool
s_label_parse (const char *label, s_span_t *span, char *reason, size_t reason_size)
{
    size_t length = strnlen (label, SP_PERIOD_LABEL_SIZE);
    int year = 0, number = 0, day = 0;
    sp_period_kind_t kind = SP_PERIOD_YEAR;
    bool shaped = s_parse_digits (label, SP_PERIOD_YEAR_DIGITS, &year);
    if (shaped && length == SP_PERIOD_SHAPE_YEAR)
        kind = SP_PERIOD_YEAR;
    else if (!shaped || label[SP_PERIOD_YEAR_DIGITS] != '-')
        shaped = false;
    else if (length == SP_PERIOD_SHAPE_MONTH && label[SP_PERIOD_PART_1] == 'Q') {
        kind = SP_PERIOD_QUARTER;
        shaped = s_parse_digits (label + SP_PERIOD_PART_1 + 1, 1, &number);
    }
    else if (length == SP_PERIOD_SHAPE_MONTH) {
        kind = SP_PERIOD_MONTH;
        shaped = s_parse_digits (label + SP_PERIOD_PART_1, 2, &number);
    }
    else if (length == SP_PERIOD_SHAPE_WEEK && label[SP_PERIOD_PART_1] == 'W') {
        kind = SP_PERIOD_WEEK;
        shaped = s_parse_digits (label + SP_PERIOD_PART_1 + 1, 2, &number);
    }
    else if (length == SP_PERIOD_SHAPE_DAY && label[SP_PERIOD_PART_2 - 1] == '-') {
        kind = SP_PERIOD_DAY;
        shaped = s_parse_digits (label + SP_PERIOD_PART_1, 2, &number) &&
                 s_parse_digits (label + SP_PERIOD_PART_2, 2, &day);
    }
    else
        shaped = false;
    if (!shaped) {
        sp_error_set (reason, reason_size, "expected YYYY, YYYY-Qn, YYYY-MM, YYYY-Www or YYYY-MM-DD");
        return false;
    }
    if (year < SP_PERIOD_YEAR_MIN) {
        sp_error_set (reason, reason_size, "year must be %d..%d", SP_PERIOD_YEAR_MIN,
                 SP_PERIOD_YEAR_MAX);
        return false;
    }
    int64_t first_day = 0;
    switch (kind) {
        case SP_PERIOD_QUARTER:
            if (number < 1 || number > SP_PERIOD_QUARTERS_PER_YEAR) {
                sp_error_set (reason, reason_size, "quarter must be 1..%d", SP_PERIOD_QUARTERS_PER_YEAR);
                return false;
            }
            first_day =
                sp_civil_days_from_date (year, (number - 1) * SP_PERIOD_MONTHS_PER_QUARTER + 1, 1);
            break;
        case SP_PERIOD_WEEK:
            if (number < 1 || number > SP_PERIOD_WEEKS_MAX) {
                sp_error_set (reason, reason_size, "week must be 1..%d", SP_PERIOD_WEEKS_MAX);
                return false;
            }
            if (number > s_iso_weeks_in_year (year)) {
                sp_error_set (reason, reason_size, "%04d has %d ISO weeks", year,
                         s_iso_weeks_in_year (year));
                return false;
            }
            first_day = s_iso_year_start (year) + (int64_t) (number - 1) * SP_PERIOD_DAYS_PER_WEEK;
            break;
        case SP_PERIOD_MONTH:
        case SP_PERIOD_DAY:
            if (number < 1 || number > SP_PERIOD_MONTHS_PER_YEAR) {
                sp_error_set (reason, reason_size, "month must be 1..%d", SP_PERIOD_MONTHS_PER_YEAR);
                return false;
            }
            if (kind == SP_PERIOD_DAY && (day < 1 || day > SP_PERIOD_DAYS_MAX)) {
                sp_error_set (reason, reason_size, "day must be 1..%d", SP_PERIOD_DAYS_MAX);
                return false;
            }
            if (kind == SP_PERIOD_DAY && day > sp_civil_days_in_month (year, number)) {
                sp_error_set (reason, reason_size, "%04d-%02d has %d days", year, number,
                         sp_civil_days_in_month (year, number));
                return false;
            }
            first_day = sp_civil_days_from_date (year, number, kind == SP_PERIOD_DAY ? day : 1);
            break;
        case SP_PERIOD_YEAR:
        default:
            first_day = sp_civil_days_from_date (year, 1, 1);
            break;
    }
    *span = s_span_of_day (kind, first_day);
    return true;
}

/* ------------------------------------------------------------ public API */

int
sp_period_cut (const sp_tz_t *tz, sp_period_kind_t kind, int64_t utc_ms, sp_period_t *out)
{
    if (!tz || !out || !s_kind_valid (kind))
        return -1;
    int64_t utc_seconds = sp_civil_floor_divide (utc_ms, SP_PERIOD_MS_PER_SECOND);
    int64_t local_seconds = utc_seconds + sp_tz_offset_at (tz, utc_seconds);
    int64_t local_day = sp_civil_floor_divide (local_seconds, SP_PERIOD_SECONDS_PER_DAY);
    int64_t local_year = sp_civil_date_from_days (local_day).year;
    if (local_year < SP_PERIOD_YEAR_MIN || local_year > SP_PERIOD_YEAR_MAX)
        return -1;

    /* A local date in years 1..9999 has its label year there too: ISO
       week 0001-W01 starts on 0001-01-01, 9999-12-31 is in 9999-W52. */
    s_span_t span = s_span_of_day (kind, local_day);
    sp_period_t period;
    int placed = s_span_place (tz, &span, &period);
    assert (placed == 0);
    (void) placed;
    for (int step = 0; step < SP_PERIOD_SETTLE_STEPS && !sp_period_contains (&period, utc_ms);
         step++) {
        span = utc_ms >= period.end_ms ? s_span_next (&span) : s_span_previous (&span);
        if (s_span_place (tz, &span, &period) != 0)
            return -1;
    }
    if (!sp_period_contains (&period, utc_ms))
        return -1;
    *out = period;
    return 0;
}

int
sp_period_local_day (const sp_tz_t *tz, int64_t utc_ms, int64_t *day)
{
    assert (day);
    sp_period_t period;
    if (sp_period_cut (tz, SP_PERIOD_DAY, utc_ms, &period) != 0)
        return -1;
    int parsed = sp_civil_date_parse (period.label, day);
    assert (parsed == 0); /* a day's label is its date */
    (void) parsed;
    return 0;
}

int
sp_period_parse (const sp_tz_t *tz, const char *label, sp_period_t *out, char *error,
                 size_t error_size)
{
    if (!tz || !label || !out) {
        sp_error_set (error, error_size, "could not parse period: missing time zone, label or output");
        return -1;
    }
    char reason[SP_PERIOD_REASON_MAX];
    s_span_t span;
    if (!s_label_parse (label, &span, reason, sizeof reason)) {
        char quoted[SP_PERIOD_QUOTE_MAX];
        sp_error_quote (label, quoted, sizeof quoted);
        sp_error_set (error, error_size, "invalid period \"%s\": %s", quoted, reason);
        return -1;
    }
    int rc = s_span_place (tz, &span, out);
    assert (rc == 0); /* a parsed label's year is within range */
    return rc;
}

/* Steps a period made by this module one period forwards or backwards. */
static int
s_period_step (const sp_tz_t *tz, const sp_period_t *period, bool forwards, sp_period_t *out)
{
    if (!tz || !period || !out || !s_kind_valid (period->kind))
        return -1;
    if (memchr (period->label, '\0', sizeof period->label) == NULL)
        return -1;
    s_span_t span;
    if (!s_label_parse (period->label, &span, NULL, 0) || span.kind != period->kind)
        return -1;
    span = forwards ? s_span_next (&span) : s_span_previous (&span);
    return s_span_place (tz, &span, out);
}

int
sp_period_next (const sp_tz_t *tz, const sp_period_t *period, sp_period_t *out)
{
    return s_period_step (tz, period, true, out);
}

int
sp_period_previous (const sp_tz_t *tz, const sp_period_t *period, sp_period_t *out)
{
    return s_period_step (tz, period, false, out);
}

bool
sp_period_contains (const sp_period_t *period, int64_t utc_ms)
{
    return period && utc_ms >= period->start_ms && utc_ms < period->end_ms;
}

const char *
sp_period_kind_name (sp_period_kind_t kind)
{
    return s_kind_valid (kind) ? s_kind_names[kind] : NULL;
}

int
sp_period_kind_parse (const char *text, sp_period_kind_t *kind)
{
    if (!text || !kind)
        return -1;
    for (int i = 0; i < SP_PERIOD_KIND_COUNT; i++)
        if (strcmp (text, s_kind_names[i]) == 0) {
            *kind = (sp_period_kind_t) i;
            return 0;
        }
    return -1;
}
