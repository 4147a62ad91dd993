/*  sp_civil - proleptic Gregorian calendar arithmetic on day numbers.

    Days are counted from 1970-01-01 (day 0), negative before it. The
    conversions are Howard Hinnant's days_from_civil / civil_from_days:
    integer only, exact for every int64 year that fits, no libc time zone
    functions and no floating point. Time zones (sp_tz), periods
    (sp_period) and RFC 3339 timestamps (sp_event) all build on these.
*/
#ifndef SP_CIVIL_H_INCLUDED
#define SP_CIVIL_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

#define SP_CIVIL_MONTHS_PER_YEAR 12
#define SP_CIVIL_DAYS_PER_WEEK 7
#define SP_CIVIL_SECONDS_PER_DAY INT64_C (86400)

/* A calendar date. */
typedef struct {
    int64_t year; /* proleptic Gregorian year, 0 = 1 BC */
    int month;    /* 1..12 */
    int day;      /* 1..31 */
} sp_civil_date_t;

/* Quotient rounded toward negative infinity; denominator > 0 (asserted). */
int64_t sp_civil_floor_divide (int64_t numerator, int64_t denominator);

/* True for Gregorian leap years (2000 yes, 1900 no). */
bool sp_civil_leap_year (int64_t year);

/* Days in a month of a year; month 1..12 (asserted). */
int sp_civil_days_in_month (int64_t year, int month);

/* Day number of a date; month 1..12, day 1..31 (not checked against the
   month: day 32 is the next month's first). */
int64_t sp_civil_days_from_date (int64_t year, int month, int day);

/* Date of a day number. */
sp_civil_date_t sp_civil_date_from_days (int64_t days);

/* Weekday of a day number: Sunday 0 .. Saturday 6 (1970-01-01 is 4). */
int sp_civil_weekday (int64_t days);

/* ISO 8601 weekday of a day number: Monday 0 .. Sunday 6. */
int sp_civil_iso_weekday (int64_t days);

/* Bytes of a date label "YYYY-MM-DD" with its NUL. */
#define SP_CIVIL_DATE_LABEL_SIZE 11

/* Writes the date of a day number as "YYYY-MM-DD" into label (at least
   SP_CIVIL_DATE_LABEL_SIZE bytes). Returns 0, or -1 with label "" when
   the year is outside 0..9999. */
int sp_civil_date_label (int64_t days, char *label);

/* Day number of 0001-01-01, the first day of the years periods are cut
   in (sp_period). */
#define SP_CIVIL_DAYS_YEAR_ONE INT64_C (-719162)

/* Reads a date label "YYYY-MM-DD", the inverse of sp_civil_date_label:
   exactly ten characters, digits and dashes in place, a real day of
   years 0..9999. Returns 0 with *days set, or -1 (*days untouched). */
int sp_civil_date_parse (const char *text, int64_t *days);

#endif
