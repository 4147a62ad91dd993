/*  sp_tz - one IANA time zone, read from its TZif file (see sp_tz.h).

    A TZif file (RFC 8536 / RFC 9636 section 3) is
        header, data block with 32-bit times           (version 1 part)
        header, data block with 64-bit times, footer   (version 2 and later)
    A data block holds, in order: transition times, one type index per
    transition, local time type records (int32 UT offset, uint8 DST flag,
    uint8 abbreviation index), abbreviation characters, leap second
    records, standard/wall indicators, UT/local indicators. Integers are
    big-endian. The footer is "\n" POSIX-TZ-string "\n".

    Every count is bounded and checked against the bytes present before
    anything is read, so a corrupt file yields an error, never a crash.
    Bytes after the footer are ignored, as RFC 9636 lets future versions
    append data there.

    Lookups work on segments: a span [begin, end) of UTC instants with one
    offset. Up to the last transition, segments come from the table; after
    it, from the footer rule, whose yearly changes are computed for the
    years around the instant. sp_tz_local_to_utc walks the few segments
    that can show a given wall-clock time.

    Civil-date arithmetic is Howard Hinnant's exact integer algorithm
    (days_from_civil), see http://howardhinnant.github.io/date_algorithms.html
*/
#include "sp_tz.h"
#include "sp_error.h"
#include "sp_civil.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define SP_TZ_DEFAULT_DIR "/usr/share/zoneinfo" /* used when $TZDIR is unset or empty */
#define SP_TZ_PATH_MAX 4096                     /* longest file path built, bytes with NUL */
#define SP_TZ_FILE_MAX (256 * 1024)             /* largest TZif file read, bytes */
#define SP_TZ_TRANSITIONS_MAX 8192              /* most transitions in a data block */
#define SP_TZ_TYPES_MAX 256                     /* most local time types (index is a byte) */
#define SP_TZ_CHARS_MAX 1024                    /* most abbreviation characters */
#define SP_TZ_FOOTER_MAX 255                    /* longest footer TZ string, bytes */
#define SP_TZ_QUOTE_MAX 256                     /* longest user value quoted in a message */
#define SP_TZ_REASON_MAX (SP_TZ_QUOTE_MAX + 64) /* longest reason a file is invalid */
#define SP_TZ_ERRNO_TEXT_MAX 128                /* longest strerror text */

#define SP_TZ_MAGIC "TZif"      /* first four bytes of every header */
#define SP_TZ_MAGIC_SIZE 4      /* bytes of the magic */
#define SP_TZ_VERSION_OFFSET 4  /* header byte holding the version */
#define SP_TZ_VERSION_1 0       /* version byte of version 1 files */
#define SP_TZ_VERSION_2 '2'     /* lowest version byte with 64-bit data */
#define SP_TZ_COUNTS_OFFSET 20  /* header byte where the six counts start */
#define SP_TZ_HEADER_SIZE 44    /* bytes of a header */
#define SP_TZ_V1_TIME_SIZE 4    /* bytes of a time in the version 1 block */
#define SP_TZ_V2_TIME_SIZE 8    /* bytes of a time in the version 2+ block */
#define SP_TZ_TYPE_SIZE 6       /* bytes of a local time type record */
#define SP_TZ_CORRECTION_SIZE 4 /* bytes of a leap second correction */
#define SP_TZ_U32_SIZE 4        /* bytes of a 32-bit integer */

#define SP_TZ_SECONDS_PER_MINUTE 60
#define SP_TZ_SECONDS_PER_HOUR 3600
#define SP_TZ_SECONDS_PER_DAY 86400
#define SP_TZ_DAYS_PER_WEEK 7
#define SP_TZ_MONTHS_PER_YEAR 12
#define SP_TZ_MINUTES_MAX 59         /* largest minutes or seconds field */
#define SP_TZ_OFFSET_HOURS_MAX 24    /* largest hours of a POSIX offset */
#define SP_TZ_RULE_HOURS_MAX 167     /* largest hours of a rule time (RFC 8536 3.3.1) */
#define SP_TZ_RULE_TIME_DEFAULT 7200 /* rule time when none is given: 02:00 */
#define SP_TZ_ABBREVIATION_MIN 3     /* shortest POSIX zone abbreviation */
#define SP_TZ_JULIAN_MAX 365         /* Jn: largest n */
#define SP_TZ_ZERO_BASED_MAX 365     /* n: largest n */
#define SP_TZ_JULIAN_MARCH_1 60      /* Jn: n of March 1, after the skipped Feb 29 */
#define SP_TZ_WEEK_LAST 5            /* Mm.w.d: w meaning the last week */
#define SP_TZ_WEEKDAY_MAX 6          /* Mm.w.d: d of Saturday */
#define SP_TZ_DIGITS_MAX 3           /* most digits of a TZ string number */
#define SP_TZ_DECIMAL 10             /* base of TZ string numbers */

#define SP_TZ_RULE_YEARS_AROUND 2                                  /* years each side computed */
#define SP_TZ_RULE_CHANGES (2 * (2 * SP_TZ_RULE_YEARS_AROUND + 1)) /* two changes a year */

/* Hinnant's civil calendar: eras of 400 Gregorian years starting March 1. */

/* One date form of a POSIX TZ rule. */
typedef enum {
    SP_TZ_DATE_JULIAN,     /* Jn: day 1..365, February 29 never counted */
    SP_TZ_DATE_ZERO_BASED, /* n: day 0..365, February 29 counted */
    SP_TZ_DATE_MONTH_WEEK, /* Mm.w.d: weekday d of week w (5 = last) of month m */
} s_date_form_t;

/* When daylight time starts or ends each year. */
typedef struct {
    s_date_form_t form; /* which POSIX form the date is written in */
    int month;          /* Mm.w.d: month 1..12 */
    int week;           /* Mm.w.d: week 1..5 of the month, 5 the last */
    int day;            /* Jn 1..365, n 0..365, Mm.w.d weekday 0..6 (Sunday 0) */
    int32_t time;       /* wall-clock time of the change, seconds, -167 h..167 h */
} s_rule_date_t;

/* The footer TZ string, in force after the last transition. */
typedef struct {
    bool present;        /* the footer holds a non-empty TZ string */
    int32_t std_offset;  /* standard time, seconds east of UTC */
    bool has_dst;        /* the string names daylight time and its rules */
    int32_t dst_offset;  /* daylight time, seconds east of UTC */
    s_rule_date_t start; /* change to daylight time, wall time in standard time */
    s_rule_date_t end;   /* change to standard time, wall time in daylight time */
} s_rule_t;

/* A span of instants with one UTC offset. */
typedef struct {
    int64_t begin;  /* first instant, INT64_MIN when unbounded */
    int64_t end;    /* first instant after it, INT64_MAX when unbounded */
    int32_t offset; /* seconds east of UTC within the span */
} s_segment_t;

/* One yearly change computed from the footer rule. */
typedef struct {
    int64_t at;     /* UTC instant of the change */
    int32_t offset; /* offset from then on */
    bool to_dst;    /* a change to daylight time (wins a tie with a change back) */
} s_change_t;

/* Counts read from a TZif header. */
typedef struct {
    unsigned version;     /* version byte: 0, or '2' and later */
    uint32_t isut_count;  /* UT/local indicators */
    uint32_t isstd_count; /* standard/wall indicators */
    uint32_t leap_count;  /* leap second records */
    uint32_t time_count;  /* transitions */
    uint32_t type_count;  /* local time types */
    uint32_t char_count;  /* abbreviation characters */
} s_header_t;

/* Outcome of parsing a file. */
typedef enum {
    SP_TZ_PARSE_OK,        /* the zone is filled in */
    SP_TZ_PARSE_INVALID,   /* the file is malformed; reason given */
    SP_TZ_PARSE_NO_MEMORY, /* allocation failed */
} s_parse_result_t;

struct _sp_tz_t {
    char name[SP_TZ_NAME_MAX + 1]; /* name as given, e.g. "Europe/Berlin" */
    int64_t *transitions;          /* UTC instants of the changes, strictly ascending */
    int32_t *transition_offsets;   /* offset in force from each change on */
    size_t transition_count;       /* entries in both arrays */
    int32_t initial_offset;        /* offset before the first change: type 0 */
    s_rule_t rule;                 /* footer rule, after the last change */
};

/* --------------------------------------------------------------- helpers */

static uint32_t
s_read_u32 (const uint8_t *bytes)
{
    return (uint32_t) bytes[0] << 24 | (uint32_t) bytes[1] << 16 | (uint32_t) bytes[2] << 8 |
           (uint32_t) bytes[3];
}

/* Two's complement big-endian integers, converted without relying on
   implementation-defined unsigned-to-signed conversion. */
static int32_t
s_read_i32 (const uint8_t *bytes)
{
    uint32_t value = s_read_u32 (bytes);
    return value <= INT32_MAX ? (int32_t) value : -(int32_t) (~value) - 1;
}

static int64_t
s_read_i64 (const uint8_t *bytes)
{
    uint64_t value = (uint64_t) s_read_u32 (bytes) << 32 | s_read_u32 (bytes + SP_TZ_U32_SIZE);
    return value <= INT64_MAX ? (int64_t) value : -(int64_t) (~value) - 1;
}

/* ------------------------------------------------------ footer TZ string */

static bool
s_is_digit (char c)
{
    return c >= '0' && c <= '9';
}

static bool
s_is_alpha (char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Reads 1..SP_TZ_DIGITS_MAX digits with a value in [0, maximum]. */
static bool
s_parse_number (const char **cursor, int maximum, int *value)
{
    const char *text = *cursor;
    int result = 0;
    int digits = 0;
    while (s_is_digit (*text) && digits < SP_TZ_DIGITS_MAX) {
        result = result * SP_TZ_DECIMAL + (*text - '0');
        text++;
        digits++;
    }
    if (digits == 0 || s_is_digit (*text) || result > maximum)
        return false;
    *cursor = text;
    *value = result;
    return true;
}

/* Reads an abbreviation: three or more letters, or <...> of letters,
   digits, '+' and '-'. */
static bool
s_parse_abbreviation (const char **cursor)
{
    const char *text = *cursor;
    size_t length = 0;
    if (*text == '<') {
        text++;
        while (s_is_alpha (*text) || s_is_digit (*text) || *text == '+' || *text == '-') {
            text++;
            length++;
        }
        if (*text != '>')
            return false;
        text++;
    }
    else
        while (s_is_alpha (*text)) {
            text++;
            length++;
        }
    if (length < SP_TZ_ABBREVIATION_MIN)
        return false;
    *cursor = text;
    return true;
}

/* Reads [+-]hh[:mm[:ss]] with hours at most hours_max, as signed seconds. */
static bool
s_parse_time (const char **cursor, int hours_max, int32_t *seconds)
{
    const char *text = *cursor;
    int sign = 1;
    if (*text == '+' || *text == '-') {
        sign = *text == '-' ? -1 : 1;
        text++;
    }
    int hours = 0, minutes = 0, secs = 0;
    if (!s_parse_number (&text, hours_max, &hours))
        return false;
    if (*text == ':') {
        text++;
        if (!s_parse_number (&text, SP_TZ_MINUTES_MAX, &minutes))
            return false;
        if (*text == ':') {
            text++;
            if (!s_parse_number (&text, SP_TZ_MINUTES_MAX, &secs))
                return false;
        }
    }
    *cursor = text;
    *seconds = sign * (hours * SP_TZ_SECONDS_PER_HOUR + minutes * SP_TZ_SECONDS_PER_MINUTE + secs);
    return true;
}

/* Reads a POSIX offset (hours west of UTC) as seconds east of UTC. */
static bool
s_parse_offset (const char **cursor, int32_t *offset)
{
    int32_t west = 0;
    if (!s_parse_time (cursor, SP_TZ_OFFSET_HOURS_MAX, &west))
        return false;
    *offset = -west;
    return true;
}

/* Reads Jn, n or Mm.w.d, then an optional /time. */
static bool
s_parse_rule_date (const char **cursor, s_rule_date_t *date)
{
    const char *text = *cursor;
    s_rule_date_t parsed = { .time = SP_TZ_RULE_TIME_DEFAULT };
    if (*text == 'J') {
        text++;
        parsed.form = SP_TZ_DATE_JULIAN;
        if (!s_parse_number (&text, SP_TZ_JULIAN_MAX, &parsed.day) || parsed.day < 1)
            return false;
    }
    else if (*text == 'M') {
        text++;
        parsed.form = SP_TZ_DATE_MONTH_WEEK;
        if (!s_parse_number (&text, SP_TZ_MONTHS_PER_YEAR, &parsed.month) || parsed.month < 1 ||
            *text++ != '.' || !s_parse_number (&text, SP_TZ_WEEK_LAST, &parsed.week) ||
            parsed.week < 1 || *text++ != '.' ||
            !s_parse_number (&text, SP_TZ_WEEKDAY_MAX, &parsed.day))
            return false;
    }
    else {
        parsed.form = SP_TZ_DATE_ZERO_BASED;
        if (!s_parse_number (&text, SP_TZ_ZERO_BASED_MAX, &parsed.day))
            return false;
    }
    if (*text == '/') {
        text++;
        if (!s_parse_time (&text, SP_TZ_RULE_HOURS_MAX, &parsed.time))
            return false;
    }
    *cursor = text;
    *date = parsed;
    return true;
}

/* Parses a footer TZ string such as "EST5EDT,M3.2.0,M11.1.0" or "<+08>-8".
   An empty string means no rule. Daylight time must come with its rules:
   RFC 8536 leaves the POSIX default rules out of TZif footers. */
static bool
s_rule_parse (const char *text, s_rule_t *rule)
{
    s_rule_t parsed = { .present = false };
    if (*text == '\0') {
        *rule = parsed;
        return true;
    }
    if (!s_parse_abbreviation (&text) || !s_parse_offset (&text, &parsed.std_offset))
        return false;
    parsed.present = true;
    if (*text != '\0') {
        if (!s_parse_abbreviation (&text))
            return false;
        parsed.has_dst = true;
        parsed.dst_offset = parsed.std_offset + SP_TZ_SECONDS_PER_HOUR;
        if (*text != ',' && !s_parse_offset (&text, &parsed.dst_offset))
            return false;
        if (*text++ != ',' || !s_parse_rule_date (&text, &parsed.start) || *text++ != ',' ||
            !s_parse_rule_date (&text, &parsed.end) || *text != '\0')
            return false;
    }
    *rule = parsed;
    return true;
}

/* Day (since 1970-01-01) on which a rule date falls in a year. */
static int64_t
s_rule_day (const s_rule_date_t *date, int64_t year)
{
    int64_t january_1 = sp_civil_days_from_date (year, 1, 1);
    switch (date->form) {
        case SP_TZ_DATE_JULIAN:
            return january_1 + date->day - 1 +
                   (sp_civil_leap_year (year) && date->day >= SP_TZ_JULIAN_MARCH_1);
        case SP_TZ_DATE_ZERO_BASED:
            return january_1 + date->day;
        case SP_TZ_DATE_MONTH_WEEK:
        default: {
            int64_t first = sp_civil_days_from_date (year, date->month, 1);
            int64_t day =
                first +
                (date->day - sp_civil_weekday (first) + SP_TZ_DAYS_PER_WEEK) % SP_TZ_DAYS_PER_WEEK +
                (int64_t) SP_TZ_DAYS_PER_WEEK * (date->week - 1);
            while (day >= first + sp_civil_days_in_month (year, date->month))
                day -= SP_TZ_DAYS_PER_WEEK;
            return day;
        }
    }
}

/* The segment of the footer rule containing instant. */
static void
s_rule_segment (const s_rule_t *rule, int64_t instant, s_segment_t *segment)
{
    assert (rule->present);
    if (!rule->has_dst) {
        segment->begin = INT64_MIN;
        segment->end = INT64_MAX;
        segment->offset = rule->std_offset;
        return;
    }
    /* The changes of a year fall within a week or so of that year, so the
       years around the instant's UTC year hold the changes on either side. */
    s_change_t changes[SP_TZ_RULE_CHANGES];
    size_t count = 0;
    int64_t year = sp_civil_date_from_days (sp_civil_floor_divide (instant, SP_TZ_SECONDS_PER_DAY)).year;
    for (int64_t y = year - SP_TZ_RULE_YEARS_AROUND; y <= year + SP_TZ_RULE_YEARS_AROUND; y++) {
        changes[count++] = (s_change_t){
            .at = s_rule_day (&rule->start, y) * SP_TZ_SECONDS_PER_DAY + rule->start.time -
                  rule->std_offset,
            .offset = rule->dst_offset,
            .to_dst = true,
        };
        changes[count++] = (s_change_t){
            .at = s_rule_day (&rule->end, y) * SP_TZ_SECONDS_PER_DAY + rule->end.time -
                  rule->dst_offset,
            .offset = rule->std_offset,
            .to_dst = false,
        };
    }
    /* Insertion sort by instant; at a tie the change to daylight time comes
       last, so it wins (RFC 8536 3.3.1: "EST5EDT,0/0,J365/25" is DST all year). */
    for (size_t i = 1; i < count; i++) {
        s_change_t change = changes[i];
        size_t j = i;
        while (j > 0 &&
               (changes[j - 1].at > change.at ||
                (changes[j - 1].at == change.at && changes[j - 1].to_dst && !change.to_dst))) {
            changes[j] = changes[j - 1];
            j--;
        }
        changes[j] = change;
    }
    size_t last = 0;
    while (last + 1 < count && changes[last + 1].at <= instant)
        last++;
    assert (changes[last].at <= instant && last + 1 < count);
    segment->begin = changes[last].at;
    segment->end = changes[last + 1].at;
    segment->offset = changes[last].offset;
}

/* --------------------------------------------------------------- lookups */

/* The segment containing instant. */
static void
s_segment_at (const sp_tz_t *self, int64_t instant, s_segment_t *segment)
{
    size_t count = self->transition_count;
    if (count == 0 || instant < self->transitions[0]) {
        if (count == 0 && self->rule.present) {
            s_rule_segment (&self->rule, instant, segment);
            return;
        }
        segment->begin = INT64_MIN;
        segment->end = count == 0 ? INT64_MAX : self->transitions[0];
        segment->offset = self->initial_offset;
        return;
    }
    /* Invariant: transitions[low] <= instant < transitions[high] (or high == count). */
    size_t low = 0;
    size_t high = count;
    while (high - low > 1) {
        size_t middle = low + (high - low) / 2;
        if (self->transitions[middle] <= instant)
            low = middle;
        else
            high = middle;
    }
    if (low + 1 < count || !self->rule.present) {
        segment->begin = self->transitions[low];
        segment->end = low + 1 < count ? self->transitions[low + 1] : INT64_MAX;
        segment->offset = self->transition_offsets[low];
        return;
    }
    s_rule_segment (&self->rule, instant, segment);
    if (segment->begin < self->transitions[low])
        segment->begin = self->transitions[low];
}

int32_t
sp_tz_offset_at (const sp_tz_t *self, int64_t utc_seconds)
{
    assert (self);
    assert (utc_seconds >= SP_TZ_SECONDS_MIN && utc_seconds <= SP_TZ_SECONDS_MAX);
    s_segment_t segment;
    s_segment_at (self, utc_seconds, &segment);
    return segment.offset;
}

int64_t
sp_tz_local_to_utc (const sp_tz_t *self, int64_t local_seconds)
{
    assert (self);
    assert (local_seconds >= SP_TZ_SECONDS_MIN && local_seconds <= SP_TZ_SECONDS_MAX);
    /* Offsets are bounded, so only instants in [first, last] can show this
       wall time. Walk their segments in order: the first segment whose
       offset maps the wall time inside itself holds the earliest instant.
       Without one, the wall time is in a gap: the wall clock jumps over it
       where a segment whose times are all earlier is followed by one whose
       times are all later. */
    int64_t first = local_seconds - SP_TZ_OFFSET_MAX;
    int64_t last = local_seconds - SP_TZ_OFFSET_MIN;
    bool gap_found = false;
    int64_t gap = 0;
    s_segment_t segment;
    s_segment_at (self, first, &segment);
    while (true) {
        int64_t candidate = local_seconds - segment.offset;
        if (candidate >= segment.begin && candidate < segment.end)
            return candidate;
        if (segment.end > last)
            break;
        s_segment_t next;
        s_segment_at (self, segment.end, &next);
        if (!gap_found && candidate >= segment.end && local_seconds - next.offset < next.begin) {
            gap_found = true;
            gap = segment.end;
        }
        segment = next;
    }
    assert (gap_found);
    return gap;
}

const char *
sp_tz_name (const sp_tz_t *self)
{
    assert (self);
    return self->name;
}

/* ----------------------------------------------------------- file format */

/* Size of the data block a header announces; counts are already bounded. */
static size_t
s_block_size (const s_header_t *header, size_t time_size)
{
    return (size_t) header->time_count * (time_size + 1) +
           (size_t) header->type_count * SP_TZ_TYPE_SIZE + header->char_count +
           (size_t) header->leap_count * (time_size + SP_TZ_CORRECTION_SIZE) + header->isstd_count +
           header->isut_count;
}

static bool
s_header_parse (const uint8_t *data, size_t size, s_header_t *header, char *reason,
                size_t reason_size)
{
    if (size < SP_TZ_HEADER_SIZE) {
        sp_error_set (reason, reason_size, "file is truncated");
        return false;
    }
    if (memcmp (data, SP_TZ_MAGIC, SP_TZ_MAGIC_SIZE) != 0) {
        sp_error_set (reason, reason_size, "magic number \"%s\" is missing", SP_TZ_MAGIC);
        return false;
    }
    header->version = data[SP_TZ_VERSION_OFFSET];
    if (header->version != SP_TZ_VERSION_1 && header->version < SP_TZ_VERSION_2) {
        sp_error_set (reason, reason_size, "unsupported version byte %u", header->version);
        return false;
    }
    const uint8_t *counts = data + SP_TZ_COUNTS_OFFSET;
    header->isut_count = s_read_u32 (counts);
    header->isstd_count = s_read_u32 (counts + SP_TZ_U32_SIZE);
    header->leap_count = s_read_u32 (counts + 2 * SP_TZ_U32_SIZE);
    header->time_count = s_read_u32 (counts + 3 * SP_TZ_U32_SIZE);
    header->type_count = s_read_u32 (counts + 4 * SP_TZ_U32_SIZE);
    header->char_count = s_read_u32 (counts + 5 * SP_TZ_U32_SIZE);
    if (header->leap_count != 0)
        sp_error_set (reason, reason_size, "leap second records are not supported");
    else if (header->time_count > SP_TZ_TRANSITIONS_MAX)
        sp_error_set (reason, reason_size, "%u transitions, at most %d are supported",
                 header->time_count, SP_TZ_TRANSITIONS_MAX);
    else if (header->type_count > SP_TZ_TYPES_MAX)
        sp_error_set (reason, reason_size, "%u local time types, at most %d are allowed",
                 header->type_count, SP_TZ_TYPES_MAX);
    else if (header->char_count > SP_TZ_CHARS_MAX)
        sp_error_set (reason, reason_size, "%u abbreviation characters, at most %d are supported",
                 header->char_count, SP_TZ_CHARS_MAX);
    else if (header->isstd_count != 0 && header->isstd_count != header->type_count)
        sp_error_set (reason, reason_size,
                 "%u standard/wall indicators do not match %u local time types",
                 header->isstd_count, header->type_count);
    else if (header->isut_count != 0 && header->isut_count != header->type_count)
        sp_error_set (reason, reason_size, "%u UT/local indicators do not match %u local time types",
                 header->isut_count, header->type_count);
    else
        return true;
    return false;
}

/* Reads the transitions and local time types of a data block whose size
   was checked against the file. */
static s_parse_result_t
s_block_parse (sp_tz_t *self, const uint8_t *block, const s_header_t *header, size_t time_size,
               char *reason, size_t reason_size)
{
    if (header->type_count == 0) {
        sp_error_set (reason, reason_size, "no local time types");
        return SP_TZ_PARSE_INVALID;
    }
    if (header->char_count == 0) {
        sp_error_set (reason, reason_size, "no abbreviation characters");
        return SP_TZ_PARSE_INVALID;
    }
    const uint8_t *times = block;
    const uint8_t *indices = times + (size_t) header->time_count * time_size;
    const uint8_t *types = indices + header->time_count;
    const uint8_t *chars = types + (size_t) header->type_count * SP_TZ_TYPE_SIZE;
    if (chars[header->char_count - 1] != '\0') {
        sp_error_set (reason, reason_size, "abbreviation characters are not NUL-terminated");
        return SP_TZ_PARSE_INVALID;
    }
    int32_t offsets[SP_TZ_TYPES_MAX] = { 0 };
    for (uint32_t i = 0; i < header->type_count; i++) {
        const uint8_t *record = types + (size_t) i * SP_TZ_TYPE_SIZE;
        int32_t offset = s_read_i32 (record);
        unsigned is_dst = record[SP_TZ_U32_SIZE];
        unsigned abbreviation = record[SP_TZ_U32_SIZE + 1];
        if (offset < SP_TZ_OFFSET_MIN || offset > SP_TZ_OFFSET_MAX) {
            sp_error_set (reason, reason_size, "local time type %u has UT offset %d outside %d..%d", i,
                     offset, SP_TZ_OFFSET_MIN, SP_TZ_OFFSET_MAX);
            return SP_TZ_PARSE_INVALID;
        }
        if (is_dst > 1) {
            sp_error_set (reason, reason_size, "local time type %u has DST flag %u", i, is_dst);
            return SP_TZ_PARSE_INVALID;
        }
        if (abbreviation >= header->char_count) {
            sp_error_set (reason, reason_size,
                     "local time type %u has abbreviation index %u past %u characters", i,
                     abbreviation, header->char_count);
            return SP_TZ_PARSE_INVALID;
        }
        offsets[i] = offset;
    }
    self->initial_offset = offsets[0];
    if (header->time_count == 0)
        return SP_TZ_PARSE_OK;

    self->transitions = malloc (header->time_count * sizeof *self->transitions);
    self->transition_offsets = malloc (header->time_count * sizeof *self->transition_offsets);
    if (!self->transitions || !self->transition_offsets)
        return SP_TZ_PARSE_NO_MEMORY;
    for (uint32_t i = 0; i < header->time_count; i++) {
        const uint8_t *time = times + (size_t) i * time_size;
        int64_t at = time_size == SP_TZ_V2_TIME_SIZE ? s_read_i64 (time) : s_read_i32 (time);
        if (i > 0 && at <= self->transitions[i - 1]) {
            sp_error_set (reason, reason_size, "transition times are not in ascending order");
            return SP_TZ_PARSE_INVALID;
        }
        if (indices[i] >= header->type_count) {
            sp_error_set (reason, reason_size, "transition %u refers to local time type %u of %u", i,
                     indices[i], header->type_count);
            return SP_TZ_PARSE_INVALID;
        }
        self->transitions[i] = at;
        self->transition_offsets[i] = offsets[indices[i]];
        self->transition_count = i + 1;
    }
    return SP_TZ_PARSE_OK;
}

/* Reads the footer "\n<TZ string>\n" that starts at data[0]. */
static s_parse_result_t
s_footer_parse (sp_tz_t *self, const uint8_t *data, size_t size, char *reason, size_t reason_size)
{
    if (size == 0 || data[0] != '\n') {
        sp_error_set (reason, reason_size, "footer is missing");
        return SP_TZ_PARSE_INVALID;
    }
    const uint8_t *text = data + 1;
    const uint8_t *newline = memchr (text, '\n', size - 1);
    if (!newline) {
        sp_error_set (reason, reason_size, "footer does not end with a newline");
        return SP_TZ_PARSE_INVALID;
    }
    size_t length = (size_t) (newline - text);
    if (length > SP_TZ_FOOTER_MAX) {
        sp_error_set (reason, reason_size, "footer is longer than %d bytes", SP_TZ_FOOTER_MAX);
        return SP_TZ_PARSE_INVALID;
    }
    char string[SP_TZ_FOOTER_MAX + 1];
    memcpy (string, text, length);
    string[length] = '\0';
    if (strlen (string) != length || !s_rule_parse (string, &self->rule)) {
        char quoted[SP_TZ_QUOTE_MAX];
        sp_error_quote (string, quoted, sizeof quoted);
        sp_error_set (reason, reason_size, "invalid footer TZ string \"%s\"", quoted);
        return SP_TZ_PARSE_INVALID;
    }
    return SP_TZ_PARSE_OK;
}

/* Parses a whole file into self. */
static s_parse_result_t
s_tzif_parse (sp_tz_t *self, const uint8_t *data, size_t size, char *reason, size_t reason_size)
{
    s_header_t header;
    if (!s_header_parse (data, size, &header, reason, reason_size))
        return SP_TZ_PARSE_INVALID;
    size_t position = SP_TZ_HEADER_SIZE;
    size_t time_size = SP_TZ_V1_TIME_SIZE;
    if (header.version != SP_TZ_VERSION_1) {
        /* Skip the version 1 block; the second header describes the 64-bit one. */
        size_t skipped = s_block_size (&header, SP_TZ_V1_TIME_SIZE);
        if (size - position < skipped) {
            sp_error_set (reason, reason_size, "file is truncated");
            return SP_TZ_PARSE_INVALID;
        }
        position += skipped;
        if (!s_header_parse (data + position, size - position, &header, reason, reason_size))
            return SP_TZ_PARSE_INVALID;
        position += SP_TZ_HEADER_SIZE;
        time_size = SP_TZ_V2_TIME_SIZE;
    }
    size_t block_size = s_block_size (&header, time_size);
    if (size - position < block_size) {
        sp_error_set (reason, reason_size, "file is truncated");
        return SP_TZ_PARSE_INVALID;
    }
    s_parse_result_t result =
        s_block_parse (self, data + position, &header, time_size, reason, reason_size);
    if (result != SP_TZ_PARSE_OK || time_size == SP_TZ_V1_TIME_SIZE)
        return result;
    position += block_size;
    return s_footer_parse (self, data + position, size - position, reason, reason_size);
}

/* Text of an errno value, e.g. "No such file or directory". */
static void
s_errno_text (int number, char *buffer, size_t size)
{
    if (strerror_r (number, buffer, size) != 0)
        snprintf (buffer, size, "errno %d", number);
}

/* Reads a whole regular file of at most SP_TZ_FILE_MAX bytes. A missing
   file or a non-file (a directory such as "America") is an unknown zone. */
static int
s_file_read (const char *path, const char *name, uint8_t **data_p, size_t *size_p, char *error,
             size_t error_size)
{
    char quoted_path[SP_TZ_QUOTE_MAX];
    char errno_text[SP_TZ_ERRNO_TEXT_MAX];
    sp_error_quote (path, quoted_path, sizeof quoted_path);
    /* Non-blocking, so that a FIFO in the directory cannot hang us. */
    int fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            sp_error_set (error, error_size, "unknown time zone \"%s\"", name);
        else {
            s_errno_text (errno, errno_text, sizeof errno_text);
            sp_error_set (error, error_size, "could not open time zone file \"%s\": %s", quoted_path,
                     errno_text);
        }
        return -1;
    }
    uint8_t *data = NULL;
    struct stat status;
    if (fstat (fd, &status) != 0)
        goto out_read_error;
    if (!S_ISREG (status.st_mode)) {
        sp_error_set (error, error_size, "unknown time zone \"%s\"", name);
        goto out_close;
    }
    if (status.st_size > SP_TZ_FILE_MAX) {
        sp_error_set (error, error_size,
                 "time zone file \"%s\" is not a valid TZif file: file is larger than %d bytes",
                 quoted_path, SP_TZ_FILE_MAX);
        goto out_close;
    }
    size_t capacity = (size_t) status.st_size;
    data = malloc (capacity + 1);
    if (!data) {
        sp_error_set (error, error_size, "could not load time zone \"%s\": out of memory", name);
        goto out_close;
    }
    size_t length = 0;
    while (length < capacity) {
        ssize_t got = read (fd, data + length, capacity - length);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            goto out_read_error;
        if (got == 0)
            break;
        length += (size_t) got;
    }
    close (fd);
    *data_p = data;
    *size_p = length;
    return 0;

out_read_error:
    s_errno_text (errno, errno_text, sizeof errno_text);
    sp_error_set (error, error_size, "could not read time zone file \"%s\": %s", quoted_path,
             errno_text);
out_close:
    free (data);
    close (fd);
    return -1;
}

/* --------------------------------------------------------------- objects */

/* 1..SP_TZ_NAME_MAX bytes of [A-Za-z0-9/_+-], no leading '/', no empty
   component. '.' is not allowed at all, so "." and ".." cannot occur. */
static bool
s_name_valid (const char *name)
{
    size_t length = strnlen (name, SP_TZ_NAME_MAX + 1);
    if (length == 0 || length > SP_TZ_NAME_MAX || name[0] == '/' || name[length - 1] == '/')
        return false;
    for (size_t i = 0; i < length; i++) {
        char c = name[i];
        if (!(s_is_alpha (c) || s_is_digit (c) || c == '/' || c == '_' || c == '+' || c == '-'))
            return false;
        if (c == '/' && name[i + 1] == '/')
            return false;
    }
    return true;
}

sp_tz_t *
sp_tz_new (const char *name, char *error, size_t error_size)
{
    assert (name);
    assert (error || error_size == 0);
    if (!s_name_valid (name)) {
        char quoted[SP_TZ_QUOTE_MAX];
        sp_error_quote (name, quoted, sizeof quoted);
        sp_error_set (error, error_size, "invalid time zone name \"%s\"", quoted);
        return NULL;
    }
    sp_tz_t *self = calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "could not load time zone \"%s\": out of memory", name);
        return NULL;
    }
    memcpy (self->name, name, strlen (name) + 1);
    if (strcmp (name, "UTC") == 0 || strcmp (name, "Etc/UTC") == 0)
        return self; /* built in: no transitions, no rule, offset 0 */

    uint8_t *data = NULL;
    size_t size = 0;
    char reason[SP_TZ_REASON_MAX];
    const char *directory = getenv ("TZDIR");
    if (!directory || *directory == '\0')
        directory = SP_TZ_DEFAULT_DIR;
    char path[SP_TZ_PATH_MAX];
    int written = snprintf (path, sizeof path, "%s/%s", directory, name);
    if (written < 0 || (size_t) written >= sizeof path) {
        char quoted[SP_TZ_QUOTE_MAX];
        sp_error_quote (directory, quoted, sizeof quoted);
        sp_error_set (error, error_size, "time zone directory \"%s\" is too long", quoted);
        goto out_destroy;
    }
    if (s_file_read (path, name, &data, &size, error, error_size) != 0)
        goto out_destroy;
    s_parse_result_t result = s_tzif_parse (self, data, size, reason, sizeof reason);
    if (result == SP_TZ_PARSE_NO_MEMORY) {
        sp_error_set (error, error_size, "could not load time zone \"%s\": out of memory", name);
        goto out_free_data;
    }
    if (result == SP_TZ_PARSE_INVALID) {
        char quoted[SP_TZ_QUOTE_MAX];
        sp_error_quote (path, quoted, sizeof quoted);
        sp_error_set (error, error_size, "time zone file \"%s\" is not a valid TZif file: %s", quoted,
                 reason);
        goto out_free_data;
    }
    free (data);
    return self;

out_free_data:
    free (data);
out_destroy:
    sp_tz_destroy (&self);
    return NULL;
}

void
sp_tz_destroy (sp_tz_t **self_p)
{
    assert (self_p);
    sp_tz_t *self = *self_p;
    if (!self)
        return;
    free (self->transitions);
    free (self->transition_offsets);
    free (self);
    *self_p = NULL;
}
