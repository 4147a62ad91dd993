/*  sp_civil - proleptic Gregorian calendar arithmetic (see sp_civil.h). */
#include "sp_civil.h"

#include <assert.h>
#include <string.h>

#define SP_CIVIL_YEARS_PER_ERA 400        /* the Gregorian cycle */
#define SP_CIVIL_DAYS_PER_ERA 146097      /* days in 400 years */
#define SP_CIVIL_EPOCH_SHIFT 719468       /* days from 0000-03-01 to 1970-01-01 */
#define SP_CIVIL_EPOCH_WEEKDAY 4          /* 1970-01-01 was a Thursday */
#define SP_CIVIL_DAYS_PER_4_YEARS 1460    /* 4 * 365, leap day not counted */
#define SP_CIVIL_DAYS_PER_CENTURY 36524   /* 100 * 365 + 24 */
#define SP_CIVIL_DAYS_PER_YEAR 365

int64_t
sp_civil_floor_divide (int64_t numerator, int64_t denominator)
{
    assert (denominator > 0);
    int64_t quotient = numerator / denominator;
    if (numerator % denominator != 0 && numerator < 0)
        quotient--;
    return quotient;
}

bool
sp_civil_leap_year (int64_t year)
{
    return year % 4 == 0 && (year % 100 != 0 || year % SP_CIVIL_YEARS_PER_ERA == 0);
}

int
sp_civil_days_in_month (int64_t year, int month)
{
    static const int days[SP_CIVIL_MONTHS_PER_YEAR] = { 31, 28, 31, 30, 31, 30,
                                                        31, 31, 30, 31, 30, 31 };
    assert (month >= 1 && month <= SP_CIVIL_MONTHS_PER_YEAR);
    return days[month - 1] + (month == 2 && sp_civil_leap_year (year));
}

int64_t
sp_civil_days_from_date (int64_t year, int month, int day)
{
    year -= month <= 2;
    int64_t era = sp_civil_floor_divide (year, SP_CIVIL_YEARS_PER_ERA);
    int64_t year_of_era = year - era * SP_CIVIL_YEARS_PER_ERA;
    /* Day of the year starting March 1: months of 31,30,31,30,31 days
       repeat, which (153 m + 2) / 5 counts exactly. */
    int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * SP_CIVIL_DAYS_PER_YEAR + year_of_era / 4 -
                         year_of_era / 100 + day_of_year;
    return era * SP_CIVIL_DAYS_PER_ERA + day_of_era - SP_CIVIL_EPOCH_SHIFT;
}

sp_civil_date_t
sp_civil_date_from_days (int64_t days)
{
    days += SP_CIVIL_EPOCH_SHIFT;
    int64_t era = sp_civil_floor_divide (days, SP_CIVIL_DAYS_PER_ERA);
    int64_t day_of_era = days - era * SP_CIVIL_DAYS_PER_ERA;
    int64_t year_of_era = (day_of_era - day_of_era / SP_CIVIL_DAYS_PER_4_YEARS +
                           day_of_era / SP_CIVIL_DAYS_PER_CENTURY -
                           day_of_era / (SP_CIVIL_DAYS_PER_ERA - 1)) /
                          SP_CIVIL_DAYS_PER_YEAR;
    int64_t day_of_year =
        day_of_era - (SP_CIVIL_DAYS_PER_YEAR * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t shifted_month = (5 * day_of_year + 2) / 153; /* 0 = March .. 11 = February */
    sp_civil_date_t date;
    date.day = (int) (day_of_year - (153 * shifted_month + 2) / 5 + 1);
    date.month = (int) (shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
    date.year = year_of_era + era * SP_CIVIL_YEARS_PER_ERA + (date.month <= 2);
    return date;
}

int
sp_civil_weekday (int64_t days)
{
    int64_t weekday = (days + SP_CIVIL_EPOCH_WEEKDAY) % SP_CIVIL_DAYS_PER_WEEK;
    return (int) (weekday < 0 ? weekday + SP_CIVIL_DAYS_PER_WEEK : weekday);
}

int
sp_civil_iso_weekday (int64_t days)
{
    return (sp_civil_weekday (days) + SP_CIVIL_DAYS_PER_WEEK - 1) % SP_CIVIL_DAYS_PER_WEEK;
}

/* Writes value as count decimal digits, zero-padded. */
static void
s_digits (char *out, int value, int count)
{
    for (int index = count - 1; index >= 0; index--) {
        out[index] = (char) ('0' + value % 10);
        value /= 10;
    }
}

int
sp_civil_date_label (int64_t days, char *label)
{
    sp_civil_date_t date = sp_civil_date_from_days (days);
    if (date.year < 0 || date.year > 9999) {
        label[0] = '\0';
        return -1;
    }
    s_digits (label, (int) date.year, 4);
    label[4] = '-';
    s_digits (label + 5, date.month, 2);
    label[7] = '-';
    s_digits (label + 8, date.day, 2);
    label[10] = '\0';
    return 0;
}

/* The number written by count decimal digits, or -1 when one is not a
   digit. */
static int
s_read_digits (const char *text, int count)
{
    int value = 0;
    for (int index = 0; index < count; index++) {
        if (text[index] < '0' || text[index] > '9')
            return -1;
        value = value * 10 + (text[index] - '0');
    }
    return value;
}

int
sp_civil_date_parse (const char *text, int64_t *days)
{
    assert (text && days);
    if (strlen (text) != SP_CIVIL_DATE_LABEL_SIZE - 1 || text[4] != '-' || text[7] != '-')
        return -1;
    int year = s_read_digits (text, 4);
    int month = s_read_digits (text + 5, 2);
    int day = s_read_digits (text + 8, 2);
    if (year < 0 || month < 1 || month > SP_CIVIL_MONTHS_PER_YEAR || day < 1 ||
        day > sp_civil_days_in_month (year, month))
        return -1;
    *days = sp_civil_days_from_date (year, month, day);
    return 0;
}
