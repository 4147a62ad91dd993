/*  test_tz - sp_tz: footer rules of every POSIX form, built-in UTC, name
    validation, and every way a TZif file can be refused (real tzdata
    zones: test_tz_zones.c).

    Expected offsets were collected with zdump (tzdata 2026f) while writing
    the tests, e.g. `zdump -v -c 2017,2019 America/New_York`, and
    `zdump -v -c 2023,2025 'AAA3BBB,J60/2,J300/2'` for footer strings; UTC
    seconds with `date -u -d "2017-03-12 07:00:00" +%s`.

    Hand-made TZif files are written to a fresh temporary directory with
    TZDIR pointed at it; the directory is removed after each test.
*/
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "sp_tz.h"

#define ERROR_SIZE 512                 /* message buffer of every test */
#define PATH_SIZE 512                  /* temporary paths */
#define FILE_SIZE 4096                 /* largest hand-made TZif file */
#define BIG_FILE_SIZE (256 * 1024 + 1) /* one byte over the reader's limit */

/* ------------------------------------------------------------ fixtures */

/* A temporary zone directory that TZDIR points at during one test. */
typedef struct {
    char directory[PATH_SIZE]; /* made by mkdtemp */
} fixture_t;

/* Files a test may leave in the directory; teardown removes them. */
static const char *const s_file_names[] = { "Zone", "Big", "Fifo" };

static char *s_saved_tzdir = NULL; /* TZDIR of the environment, restored at the end */

/* Writes "<directory>/<name>" to path; false when it does not fit. */
static bool
s_path (const fixture_t *fixture, const char *name, char *path, size_t size)
{
    int written = snprintf (path, size, "%s/%s", fixture->directory, name);
    return written > 0 && (size_t) written < size;
}

static int
s_group_setup (void **state)
{
    (void) state;
    const char *tzdir = getenv ("TZDIR");
    if (tzdir) {
        s_saved_tzdir = strdup (tzdir);
        if (!s_saved_tzdir)
            return -1;
    }
    return unsetenv ("TZDIR");
}

static int
s_group_teardown (void **state)
{
    (void) state;
    int rc = 0;
    if (s_saved_tzdir) {
        rc = setenv ("TZDIR", s_saved_tzdir, 1);
        free (s_saved_tzdir);
        s_saved_tzdir = NULL;
    }
    return rc;
}

static int
s_setup (void **state)
{
    fixture_t *fixture = calloc (1, sizeof *fixture);
    if (!fixture)
        return -1;
    const char *temp = getenv ("TMPDIR");
    int written = snprintf (fixture->directory, sizeof fixture->directory, "%s/sp_tz_test.XXXXXX",
                            temp && *temp ? temp : "/tmp");
    if (written < 0 || (size_t) written >= sizeof fixture->directory ||
        !mkdtemp (fixture->directory) || setenv ("TZDIR", fixture->directory, 1) != 0) {
        free (fixture);
        return -1;
    }
    *state = fixture;
    return 0;
}

static int
s_teardown (void **state)
{
    fixture_t *fixture = *state;
    for (size_t i = 0; i < sizeof s_file_names / sizeof s_file_names[0]; i++) {
        char path[PATH_SIZE];
        if (s_path (fixture, s_file_names[i], path, sizeof path))
            unlink (path);
    }
    int rc = rmdir (fixture->directory);
    unsetenv ("TZDIR");
    free (fixture);
    return rc;
}

static void
s_write_file (const fixture_t *fixture, const char *name, const void *bytes, size_t size)
{
    char path[PATH_SIZE];
    assert_true (s_path (fixture, name, path, sizeof path));
    FILE *file = fopen (path, "wb");
    assert_non_null (file);
    assert_int_equal (fwrite (bytes, 1, size, file), size);
    assert_int_equal (fclose (file), 0);
}

/* ------------------------------------------------------ TZif file builder */

/* What a hand-made TZif file holds. */
typedef struct {
    int version;                  /* 0, '2', '3', ... */
    size_t time_count;            /* transitions */
    const int64_t *times;         /* their UTC seconds */
    const uint8_t *indices;       /* their local time types */
    size_t type_count;            /* local time types */
    const int32_t *offsets;       /* UT offset of each type */
    const uint8_t *dst_flags;     /* DST flag of each type */
    const uint8_t *abbreviations; /* abbreviation index of each type */
    const char *chars;            /* abbreviation characters with NULs */
    size_t char_count;            /* bytes of chars */
    int indicators;               /* write standard/wall and UT/local indicators */
    const char *footer;           /* TZ string; NULL writes no footer */
} zone_spec_t;

/* A built file and where its parts start. */
typedef struct {
    uint8_t bytes[FILE_SIZE]; /* the file */
    size_t size;              /* bytes used */
    size_t v2_header;         /* offset of the second header */
    size_t v2_block;          /* offset of the 64-bit data block */
    size_t footer;            /* offset of the footer's first newline */
} tzif_t;

static void
s_put (tzif_t *file, const void *bytes, size_t size)
{
    assert_true (file->size + size <= sizeof file->bytes);
    if (size == 0)
        return;
    memcpy (file->bytes + file->size, bytes, size);
    file->size += size;
}

static void
s_put_u32 (tzif_t *file, uint32_t value)
{
    uint8_t bytes[4] = { (uint8_t) (value >> 24), (uint8_t) (value >> 16), (uint8_t) (value >> 8),
                         (uint8_t) value };
    s_put (file, bytes, sizeof bytes);
}

static void
s_put_i64 (tzif_t *file, int64_t value)
{
    uint64_t bits = (uint64_t) value;
    s_put_u32 (file, (uint32_t) (bits >> 32));
    s_put_u32 (file, (uint32_t) bits);
}

static void
s_put_header (tzif_t *file, const zone_spec_t *spec)
{
    uint8_t start[20] = { 'T', 'Z', 'i', 'f', (uint8_t) spec->version };
    s_put (file, start, sizeof start);
    uint32_t indicators = spec->indicators ? (uint32_t) spec->type_count : 0;
    s_put_u32 (file, indicators); /* isutcnt */
    s_put_u32 (file, indicators); /* isstdcnt */
    s_put_u32 (file, 0);          /* leapcnt */
    s_put_u32 (file, (uint32_t) spec->time_count);
    s_put_u32 (file, (uint32_t) spec->type_count);
    s_put_u32 (file, (uint32_t) spec->char_count);
}

static void
s_put_block (tzif_t *file, const zone_spec_t *spec, int wide)
{
    for (size_t i = 0; i < spec->time_count; i++)
        if (wide)
            s_put_i64 (file, spec->times[i]);
        else
            s_put_u32 (file, (uint32_t) (uint64_t) spec->times[i]);
    s_put (file, spec->indices, spec->time_count);
    for (size_t i = 0; i < spec->type_count; i++) {
        s_put_u32 (file, (uint32_t) spec->offsets[i]);
        s_put (file, &spec->dst_flags[i], 1);
        s_put (file, &spec->abbreviations[i], 1);
    }
    s_put (file, spec->chars, spec->char_count);
    if (spec->indicators)
        for (size_t i = 0; i < 2 * spec->type_count; i++)
            s_put (file, "\0", 1);
}

static void
s_build (const zone_spec_t *spec, tzif_t *file)
{
    memset (file, 0, sizeof *file);
    s_put_header (file, spec);
    s_put_block (file, spec, 0);
    if (spec->version == 0)
        return;
    file->v2_header = file->size;
    s_put_header (file, spec);
    file->v2_block = file->size;
    s_put_block (file, spec, 1);
    file->footer = file->size;
    if (spec->footer) {
        s_put (file, "\n", 1);
        s_put (file, spec->footer, strlen (spec->footer));
        s_put (file, "\n", 1);
    }
}

static void
s_patch_u32 (tzif_t *file, size_t offset, uint32_t value)
{
    file->bytes[offset] = (uint8_t) (value >> 24);
    file->bytes[offset + 1] = (uint8_t) (value >> 16);
    file->bytes[offset + 2] = (uint8_t) (value >> 8);
    file->bytes[offset + 3] = (uint8_t) value;
}

/* A New York look-alike: LMT, then EST/EDT switches in 2017, then the
   footer rule. Types: 0 LMT -17762, 1 EST -18000, 2 EDT -14400 (DST). */
static const int64_t s_times[] = { INT64_C (-2717650800), INT64_C (1489302000),
                                   INT64_C (1509861600) };
static const uint8_t s_indices[] = { 1, 2, 1 };
static const int32_t s_offsets[] = { -17762, -18000, -14400 };
static const uint8_t s_dst_flags[] = { 0, 0, 1 };
static const uint8_t s_abbreviations[] = { 0, 4, 8 };
static const char s_chars[] = "LMT\0EST\0EDT"; /* 12 bytes with the final NUL */

static zone_spec_t
s_spec (void)
{
    return (zone_spec_t){
        .version = '2',
        .time_count = 3,
        .times = s_times,
        .indices = s_indices,
        .type_count = 3,
        .offsets = s_offsets,
        .dst_flags = s_dst_flags,
        .abbreviations = s_abbreviations,
        .chars = s_chars,
        .char_count = sizeof s_chars,
        .footer = "EST5EDT,M3.2.0,M11.1.0",
    };
}

/* Header count positions, from the start of a header. */
#define COUNT_ISUT 20
#define COUNT_ISSTD 24
#define COUNT_LEAP 28
#define COUNT_TIME 32
#define COUNT_TYPE 36
#define COUNT_CHAR 40

/* Offsets inside the 64-bit block of s_spec (). */
#define BLOCK_INDICES (3 * 8)
#define BLOCK_TYPES (BLOCK_INDICES + 3)
#define BLOCK_CHARS (BLOCK_TYPES + 3 * 6)

/* ---------------------------------------------------------------- helpers */

static sp_tz_t *
s_load (const char *name)
{
    char error[ERROR_SIZE] = "";
    sp_tz_t *tz = sp_tz_new (name, error, sizeof error);
    if (!tz)
        fail_msg ("could not load %s: %s", name, error);
    return tz;
}

static sp_tz_t *
s_load_file (const fixture_t *fixture, const void *bytes, size_t size)
{
    s_write_file (fixture, "Zone", bytes, size);
    return s_load ("Zone");
}

/* Writes bytes as "Zone" and checks they are refused for reason. */
static void
s_expect_invalid (const fixture_t *fixture, const void *bytes, size_t size, const char *reason)
{
    s_write_file (fixture, "Zone", bytes, size);
    char error[ERROR_SIZE] = "";
    char expected[ERROR_SIZE * 2];
    snprintf (expected, sizeof expected, "time zone file \"%s/Zone\" is not a valid TZif file: %s",
              fixture->directory, reason);
    assert_null (sp_tz_new ("Zone", error, sizeof error));
    assert_string_equal (error, expected);
}

/* Builds s_spec () with another footer and checks it is refused. */
static void
s_expect_bad_footer (const fixture_t *fixture, const char *footer)
{
    zone_spec_t spec = s_spec ();
    spec.footer = footer;
    tzif_t file;
    s_build (&spec, &file);
    char reason[ERROR_SIZE];
    snprintf (reason, sizeof reason, "invalid footer TZ string \"%s\"", footer);
    s_expect_invalid (fixture, file.bytes, file.size, reason);
}

/* Builds a zone that has only a footer (no transitions, one type). */
static sp_tz_t *
s_footer_zone (const fixture_t *fixture, const char *footer, int32_t type_offset)
{
    static const uint8_t zero = 0;
    zone_spec_t spec = {
        .version = '2',
        .type_count = 1,
        .offsets = &type_offset,
        .dst_flags = &zero,
        .abbreviations = &zero,
        .chars = "ZZZ",
        .char_count = 4,
        .footer = footer,
    };
    tzif_t file;
    s_build (&spec, &file);
    return s_load_file (fixture, file.bytes, file.size);
}

/* Checks offsets just before and at a change: before, then after. */
static void
s_expect_change (const sp_tz_t *tz, int64_t at, int32_t before, int32_t after)
{
    assert_int_equal (sp_tz_offset_at (tz, at - 1), before);
    assert_int_equal (sp_tz_offset_at (tz, at), after);
}

/* ------------------------------------------------------- names and UTC */

static void
test_utc_is_built_in (void **state)
{
    (void) state; /* TZDIR points at an empty directory */
    sp_tz_t *tz = s_load ("UTC");
    assert_string_equal (sp_tz_name (tz), "UTC");
    assert_int_equal (sp_tz_offset_at (tz, 0), 0);
    assert_int_equal (sp_tz_offset_at (tz, SP_TZ_SECONDS_MIN), 0);
    assert_int_equal (sp_tz_offset_at (tz, SP_TZ_SECONDS_MAX), 0);
    assert_int_equal (sp_tz_local_to_utc (tz, INT64_C (1489285800)), INT64_C (1489285800));
    assert_int_equal (sp_tz_local_to_utc (tz, SP_TZ_SECONDS_MAX), SP_TZ_SECONDS_MAX);
    sp_tz_destroy (&tz);
    assert_null (tz);

    tz = s_load ("Etc/UTC");
    assert_string_equal (sp_tz_name (tz), "Etc/UTC");
    assert_int_equal (sp_tz_offset_at (tz, INT64_C (4118126400)), 0);
    sp_tz_destroy (&tz);
}

static void
test_destroy_null (void **state)
{
    (void) state;
    sp_tz_t *tz = NULL;
    sp_tz_destroy (&tz);
    assert_null (tz);
}

static void
test_invalid_names (void **state)
{
    (void) state;
    char long_name[SP_TZ_NAME_MAX + 2];
    memset (long_name, 'A', SP_TZ_NAME_MAX + 1);
    long_name[SP_TZ_NAME_MAX + 1] = '\0';
    const char *names[] = { "",           "../etc/passwd",     "/etc/passwd", "America/../etc",
                            "./UTC",      "America//New_York", "America/",    "Europe/Berlin.",
                            "Asia Tokyo", "Europe/Berlin\n",   "UTC\\",       long_name };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char error[ERROR_SIZE] = "";
        char expected[ERROR_SIZE];
        snprintf (expected, sizeof expected, "invalid time zone name \"%s\"", names[i]);
        if (strchr (names[i], '\n'))
            snprintf (expected, sizeof expected, "invalid time zone name \"Europe/Berlin?\"");
        if (strchr (names[i], '\\'))
            snprintf (expected, sizeof expected, "invalid time zone name \"UTC?\"");
        assert_null (sp_tz_new (names[i], error, sizeof error));
        assert_string_equal (error, expected);
    }
    /* The longest valid length passes validation (and is then unknown). */
    char error[ERROR_SIZE];
    long_name[SP_TZ_NAME_MAX] = '\0';
    assert_null (sp_tz_new (long_name, error, sizeof error));
    assert_non_null (strstr (error, "unknown time zone"));
    /* Quoted values are bounded: a huge name is cut and ends with "...". */
    static char huge[4 * ERROR_SIZE];
    memset (huge, 'x', sizeof huge - 1);
    assert_null (sp_tz_new (huge, error, sizeof error));
    assert_int_equal (strncmp (error, "invalid time zone name \"xxx", 27), 0);
    assert_non_null (strstr (error, "...\""));
}

static void
test_error_buffer_optional_and_bounded (void **state)
{
    (void) state;
    char error[ERROR_SIZE] = "untouched";
    assert_null (sp_tz_new ("../x", error, 0));
    assert_string_equal (error, "untouched");
    assert_null (sp_tz_new ("../x", NULL, 0));
    char small[8];
    assert_null (sp_tz_new ("../x", small, sizeof small));
    assert_string_equal (small, "invalid");
}

static void
test_unknown_zones (void **state)
{
    (void) state;
    char error[ERROR_SIZE] = "";
    assert_null (sp_tz_new ("Nowhere/City", error, sizeof error));
    assert_string_equal (error, "unknown time zone \"Nowhere/City\"");
    /* A directory of the database is not a zone. */
    assert_null (sp_tz_new ("America", error, sizeof error));
    assert_string_equal (error, "unknown time zone \"America\"");
    /* A path through a file. */
    assert_null (sp_tz_new ("UTC/Extra", error, sizeof error));
    assert_string_equal (error, "unknown time zone \"UTC/Extra\"");
}

static void
test_empty_tzdir_means_default (void **state)
{
    (void) state;
    assert_int_equal (setenv ("TZDIR", "", 1), 0);
    sp_tz_t *tz = s_load ("Europe/Berlin");
    assert_int_equal (unsetenv ("TZDIR"), 0);
    assert_string_equal (sp_tz_name (tz), "Europe/Berlin");
    sp_tz_destroy (&tz);
}

/* ---------------------------------------------------- hand-made files */

static void
test_file_table_and_footer (void **state)
{
    fixture_t *fixture = *state;
    zone_spec_t spec = s_spec ();
    spec.indicators = 1;
    tzif_t file;
    s_build (&spec, &file);
    sp_tz_t *tz = s_load_file (fixture, file.bytes, file.size);
    assert_string_equal (sp_tz_name (tz), "Zone");
    assert_int_equal (sp_tz_offset_at (tz, INT64_C (-5364662400)), -17762);
    s_expect_change (tz, s_times[0], -17762, -18000);
    s_expect_change (tz, s_times[1], -18000, -14400);
    s_expect_change (tz, s_times[2], -14400, -18000);
    /* After the table, the footer. */
    s_expect_change (tz, INT64_C (4108690800), -18000, -14400);
    sp_tz_destroy (&tz);
}

static void
test_file_versions (void **state)
{
    fixture_t *fixture = *state;
    zone_spec_t spec = s_spec ();
    tzif_t file;
    /* Version 1: 32-bit block only, no footer; after the table the type of
       the last transition. Times must fit 32 bits. */
    static const int64_t times[] = { INT32_MIN, INT64_C (1489302000), INT64_C (1509861600) };
    spec.version = 0;
    spec.times = times;
    s_build (&spec, &file);
    sp_tz_t *tz = s_load_file (fixture, file.bytes, file.size);
    s_expect_change (tz, INT32_MIN, -17762, -18000);
    s_expect_change (tz, s_times[1], -18000, -14400);
    assert_int_equal (sp_tz_offset_at (tz, INT64_C (4118126400)), -18000);
    sp_tz_destroy (&tz);
    /* Versions 3, 4 and later share the version 2 layout. */
    spec.times = s_times;
    const int versions[] = { '3', '4', '9' };
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        spec.version = versions[i];
        s_build (&spec, &file);
        tz = s_load_file (fixture, file.bytes, file.size);
        assert_int_equal (sp_tz_offset_at (tz, INT64_C (4118126400)), -14400);
        sp_tz_destroy (&tz);
    }
}

static void
test_file_empty_footer_and_trailing_data (void **state)
{
    fixture_t *fixture = *state;
    zone_spec_t spec = s_spec ();
    spec.footer = "";
    tzif_t file;
    s_build (&spec, &file);
    s_put (&file, "later data", 10); /* ignored after the footer */
    sp_tz_t *tz = s_load_file (fixture, file.bytes, file.size);
    /* No rule: the last transition's type (EST) stays. */
    assert_int_equal (sp_tz_offset_at (tz, INT64_C (4118126400)), -18000);
    assert_int_equal (sp_tz_local_to_utc (tz, INT64_C (4118126400)), INT64_C (4118126400) + 18000);
    sp_tz_destroy (&tz);

    /* No transitions and no rule: type 0 everywhere. */
    tz = s_footer_zone (fixture, "", -12345);
    assert_int_equal (sp_tz_offset_at (tz, SP_TZ_SECONDS_MIN), -12345);
    assert_int_equal (sp_tz_offset_at (tz, SP_TZ_SECONDS_MAX), -12345);
    assert_int_equal (sp_tz_local_to_utc (tz, 0), 12345);
    sp_tz_destroy (&tz);
}

static void
test_file_big_bang_transition (void **state)
{
    fixture_t *fixture = *state;
    /* zic writes a first transition at -2^59 ("big bang"); times at the
       edge of int64 must compare without overflow. */
    static const int64_t times[] = { -(INT64_C (1) << 59), INT64_C (1489302000),
                                     INT64_C (1) << 59 };
    zone_spec_t spec = s_spec ();
    spec.times = times;
    spec.footer = "";
    tzif_t file;
    s_build (&spec, &file);
    sp_tz_t *tz = s_load_file (fixture, file.bytes, file.size);
    /* The whole accepted range lies between -2^59 and 2^59. */
    assert_int_equal (sp_tz_offset_at (tz, SP_TZ_SECONDS_MIN), -18000);
    assert_int_equal (sp_tz_offset_at (tz, 0), -18000);
    assert_int_equal (sp_tz_offset_at (tz, SP_TZ_SECONDS_MAX), -14400);
    assert_int_equal (sp_tz_local_to_utc (tz, SP_TZ_SECONDS_MIN), SP_TZ_SECONDS_MIN + 18000);
    assert_int_equal (sp_tz_local_to_utc (tz, 0), 18000);
    sp_tz_destroy (&tz);
}

static void
test_footer_fixed_offsets (void **state)
{
    fixture_t *fixture = *state;
    sp_tz_t *tz = s_footer_zone (fixture, "<+0330>-3:30", 0);
    assert_int_equal (sp_tz_offset_at (tz, 0), 12600);
    assert_int_equal (sp_tz_local_to_utc (tz, 12600), 0);
    sp_tz_destroy (&tz);
    tz = s_footer_zone (fixture, "<-0930>9:30:15", 0);
    assert_int_equal (sp_tz_offset_at (tz, INT64_C (4118126400)), -34215);
    sp_tz_destroy (&tz);
    tz = s_footer_zone (fixture, "<+14>-14", 0);
    assert_int_equal (sp_tz_offset_at (tz, 0), 50400);
    sp_tz_destroy (&tz);
    tz = s_footer_zone (fixture, "AAA+24:59:59", 0);
    assert_int_equal (sp_tz_offset_at (tz, 0), -89999);
    sp_tz_destroy (&tz);
}

static void
test_footer_rule_forms (void **state)
{
    fixture_t *fixture = *state;
    /* Jn: J60 is March 1 even in leap years; J300 is October 27. */
    sp_tz_t *tz = s_footer_zone (fixture, "AAA3BBB,J60/2,J300/2", -10800);
    s_expect_change (tz, INT64_C (1709269200), -10800, -7200); /* 2024-03-01 05:00:00Z */
    s_expect_change (tz, INT64_C (1730001600), -7200, -10800); /* 2024-10-27 04:00:00Z */
    s_expect_change (tz, INT64_C (1677646800), -10800, -7200); /* 2023-03-01 05:00:00Z */
    /* A file without transitions follows its footer at all times (RFC 9636
       3.2), before 1970 too: 1960-07-01T12:00Z, and 1960-03-01 02:30 local
       in the gap. (glibc and zdump apply TZ strings from 1970 only.) */
    assert_int_equal (sp_tz_offset_at (tz, INT64_C (-299851200)), -7200);
    assert_int_equal (sp_tz_local_to_utc (tz, INT64_C (-310426200)), INT64_C (-310417200));
    sp_tz_destroy (&tz);
    /* n: zero-based, Feb 29 counted: 59 is Feb 29 in 2024, Mar 1 in 2023. */
    tz = s_footer_zone (fixture, "AAA3BBB,59/2,299/2", -10800);
    s_expect_change (tz, INT64_C (1709182800), -10800, -7200); /* 2024-02-29 05:00:00Z */
    s_expect_change (tz, INT64_C (1729915200), -7200, -10800); /* 2024-10-26 04:00:00Z */
    s_expect_change (tz, INT64_C (1677646800), -10800, -7200); /* 2023-03-01 05:00:00Z */
    s_expect_change (tz, INT64_C (1698379200), -7200, -10800); /* 2023-10-27 04:00:00Z */
    sp_tz_destroy (&tz);
    /* Times beyond 24 h and negative (RFC 8536 3.3.1). */
    tz = s_footer_zone (fixture, "AAA3BBB,M3.2.0/26,M11.1.0/-3", -10800);
    s_expect_change (tz, INT64_C (1710133200), -10800, -7200); /* 2024-03-11 05:00:00Z */
    s_expect_change (tz, INT64_C (1730588400), -7200, -10800); /* 2024-11-02 23:00:00Z */
    sp_tz_destroy (&tz);
    tz = s_footer_zone (fixture, "AAA3BBB,M3.5.0/167,M10.5.0/-167", -10800);
    s_expect_change (tz, INT64_C (1712455200), -10800, -7200); /* 2024-04-07 02:00:00Z */
    s_expect_change (tz, INT64_C (1729393200), -7200, -10800); /* 2024-10-20 03:00:00Z */
    sp_tz_destroy (&tz);
    /* America/Nuuk's rule: changes at -2:00 and -1:00 local. */
    tz = s_footer_zone (fixture, "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1", -10800);
    s_expect_change (tz, INT64_C (1711846800), -10800, -7200); /* 2024-03-31 01:00:00Z */
    s_expect_change (tz, INT64_C (1729990800), -7200, -10800); /* 2024-10-27 01:00:00Z */
    sp_tz_destroy (&tz);
    /* Southern hemisphere, half-hour shift (Lord Howe). */
    tz = s_footer_zone (fixture, "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 37800);
    s_expect_change (tz, INT64_C (1712415600), 39600, 37800);             /* 2024-04-06 15:00:00Z */
    s_expect_change (tz, INT64_C (1728142200), 37800, 39600);             /* 2024-10-05 15:30:00Z */
    assert_int_equal (sp_tz_offset_at (tz, INT64_C (4102444800)), 39600); /* 2100-01-01 */
    sp_tz_destroy (&tz);
    /* Seconds in offsets and times, explicit DST offset, Saturday rules. */
    tz = s_footer_zone (fixture, "AAA3:30:15BBB2,M4.1.6/0:0:1,M9.5.6", -12615);
    s_expect_change (tz, INT64_C (1712374216), -12615, -7200); /* 2024-04-06 03:30:16Z */
    s_expect_change (tz, INT64_C (1727496000), -7200, -12615); /* 2024-09-28 04:00:00Z */
    sp_tz_destroy (&tz);
}

static void
test_footer_dst_all_year (void **state)
{
    fixture_t *fixture = *state;
    /* RFC 8536 3.3.1: DST all year, the end (Dec 31 25:00 EDT) meets the
       next start (Jan 1 00:00 EST). */
    sp_tz_t *tz = s_footer_zone (fixture, "EST5EDT,0/0,J365/25", -18000);
    assert_int_equal (sp_tz_offset_at (tz, INT64_C (4102461000)), -14400); /* 2100-01-01T04:30Z */
    assert_int_equal (sp_tz_offset_at (tz, INT64_C (4102462800)), -14400); /* 2100-01-01T05:00Z */
    assert_int_equal (sp_tz_offset_at (tz, INT64_C (4118126400)), -14400); /* 2100-07-01 */
    assert_int_equal (sp_tz_offset_at (tz, INT64_C (4133979000)), -14400); /* 2100-12-31T23:30Z */
    assert_int_equal (sp_tz_local_to_utc (tz, INT64_C (4102444800)), INT64_C (4102459200));
    sp_tz_destroy (&tz);
}

static void
test_footer_invalid (void **state)
{
    fixture_t *fixture = *state;
    const char *footers[] = {
        "EST",                        /* no offset */
        "ES5",                        /* abbreviation too short */
        "<+08-8",                     /* unclosed quoted abbreviation */
        "<+8>-8",                     /* quoted abbreviation too short */
        "EST25",                      /* offset hours above 24 */
        "EST5:60",                    /* minutes above 59 */
        "EST5:30:60",                 /* seconds above 59 */
        "EST5:",                      /* minutes missing */
        "EST1234",                    /* too many digits */
        "EST5 ",                      /* trailing garbage */
        "EST5EDT",                    /* daylight time without rules */
        "EST5ED",                     /* short daylight abbreviation */
        "EST5EDT4",                   /* still no rules */
        "EST5EDT,M3.2.0",             /* one rule */
        "EST5EDT,M3.2.0,",            /* empty second rule */
        "EST5EDT,M13.2.0,M11.1.0",    /* month 13 */
        "EST5EDT,M0.2.0,M11.1.0",     /* month 0 */
        "EST5EDT,M3.6.0,M11.1.0",     /* week 6 */
        "EST5EDT,M3.0.0,M11.1.0",     /* week 0 */
        "EST5EDT,M3.2.7,M11.1.0",     /* weekday 7 */
        "EST5EDT,M3.2,M11.1.0",       /* weekday missing */
        "EST5EDT,M3,M11.1.0",         /* week missing */
        "EST5EDT,J0,J365",            /* Jn from 1 */
        "EST5EDT,J366,J365",          /* Jn to 365 */
        "EST5EDT,366,0",              /* n to 365 */
        "EST5EDT,M3.2.0/168,M11.1.0", /* rule time above 167 h */
        "EST5EDT,M3.2.0/,M11.1.0",    /* rule time missing */
        "EST5EDT,M3.2.0,M11.1.0x",    /* trailing garbage */
        "EST5EDT,X3.2.0,M11.1.0",     /* unknown date form */
        "EST5EDT;M3.2.0,M11.1.0",     /* wrong separator */
    };
    for (size_t i = 0; i < sizeof footers / sizeof footers[0]; i++)
        s_expect_bad_footer (fixture, footers[i]);
}

/* ------------------------------------------------------ refused files */

static void
test_refused_headers (void **state)
{
    fixture_t *fixture = *state;
    tzif_t file;
    zone_spec_t spec = s_spec ();
    s_build (&spec, &file);

    s_expect_invalid (fixture, file.bytes, 0, "file is truncated");
    s_expect_invalid (fixture, file.bytes, 43, "file is truncated");

    tzif_t bad = file;
    bad.bytes[0] = 'X';
    s_expect_invalid (fixture, bad.bytes, bad.size, "magic number \"TZif\" is missing");

    bad = file;
    bad.bytes[4] = '1';
    s_expect_invalid (fixture, bad.bytes, bad.size, "unsupported version byte 49");

    bad = file;
    s_patch_u32 (&bad, COUNT_LEAP, 1);
    s_expect_invalid (fixture, bad.bytes, bad.size, "leap second records are not supported");

    bad = file;
    s_patch_u32 (&bad, COUNT_TIME, 8193);
    s_expect_invalid (fixture, bad.bytes, bad.size, "8193 transitions, at most 8192 are supported");

    bad = file;
    s_patch_u32 (&bad, COUNT_TIME, UINT32_MAX);
    s_expect_invalid (fixture, bad.bytes, bad.size,
                      "4294967295 transitions, at most 8192 are supported");

    bad = file;
    s_patch_u32 (&bad, COUNT_TYPE, 257);
    s_expect_invalid (fixture, bad.bytes, bad.size,
                      "257 local time types, at most 256 are allowed");

    bad = file;
    s_patch_u32 (&bad, COUNT_CHAR, 1025);
    s_expect_invalid (fixture, bad.bytes, bad.size,
                      "1025 abbreviation characters, at most 1024 are supported");

    bad = file;
    s_patch_u32 (&bad, COUNT_ISSTD, 2);
    s_expect_invalid (fixture, bad.bytes, bad.size,
                      "2 standard/wall indicators do not match 3 local time types");

    bad = file;
    s_patch_u32 (&bad, COUNT_ISUT, 4);
    s_expect_invalid (fixture, bad.bytes, bad.size,
                      "4 UT/local indicators do not match 3 local time types");

    /* The second header is checked the same way. */
    bad = file;
    bad.bytes[bad.v2_header] = 'x';
    s_expect_invalid (fixture, bad.bytes, bad.size, "magic number \"TZif\" is missing");
    bad = file;
    s_patch_u32 (&bad, bad.v2_header + COUNT_LEAP, 2);
    s_expect_invalid (fixture, bad.bytes, bad.size, "leap second records are not supported");
}

static void
test_refused_truncations (void **state)
{
    fixture_t *fixture = *state;
    tzif_t file;
    zone_spec_t spec = s_spec ();
    s_build (&spec, &file);
    /* Inside the version 1 block, the second header, the 64-bit block. */
    s_expect_invalid (fixture, file.bytes, 50, "file is truncated");
    s_expect_invalid (fixture, file.bytes, file.v2_header + 10, "file is truncated");
    s_expect_invalid (fixture, file.bytes, file.v2_block + 5, "file is truncated");
    s_expect_invalid (fixture, file.bytes, file.footer - 1, "file is truncated");
    /* A count that claims more than the file holds. */
    tzif_t bad = file;
    s_patch_u32 (&bad, bad.v2_header + COUNT_TIME, 8000);
    s_expect_invalid (fixture, bad.bytes, bad.size, "file is truncated");
    bad = file;
    s_patch_u32 (&bad, COUNT_CHAR, 1024);
    s_expect_invalid (fixture, bad.bytes, bad.size, "file is truncated");
}

static void
test_refused_data (void **state)
{
    fixture_t *fixture = *state;
    tzif_t file;
    zone_spec_t spec = s_spec ();
    s_build (&spec, &file);
    size_t block = file.v2_block;

    tzif_t bad = file;
    s_patch_u32 (&bad, bad.v2_header + COUNT_TYPE, 0);
    s_expect_invalid (fixture, bad.bytes, bad.size, "no local time types");

    bad = file;
    s_patch_u32 (&bad, bad.v2_header + COUNT_CHAR, 0);
    s_expect_invalid (fixture, bad.bytes, bad.size, "no abbreviation characters");

    bad = file;
    bad.bytes[block + BLOCK_CHARS + sizeof s_chars - 1] = 'T';
    s_expect_invalid (fixture, bad.bytes, bad.size,
                      "abbreviation characters are not NUL-terminated");

    bad = file;
    s_patch_u32 (&bad, block + BLOCK_TYPES, 93600);
    s_expect_invalid (fixture, bad.bytes, bad.size,
                      "local time type 0 has UT offset 93600 outside -89999..93599");

    bad = file;
    s_patch_u32 (&bad, block + BLOCK_TYPES + 6, 0x80000000u);
    s_expect_invalid (fixture, bad.bytes, bad.size,
                      "local time type 1 has UT offset -2147483648 outside -89999..93599");

    bad = file;
    s_patch_u32 (&bad, block + BLOCK_TYPES, (uint32_t) -90000);
    s_expect_invalid (fixture, bad.bytes, bad.size,
                      "local time type 0 has UT offset -90000 outside -89999..93599");

    bad = file;
    bad.bytes[block + BLOCK_TYPES + 6 + 4] = 2;
    s_expect_invalid (fixture, bad.bytes, bad.size, "local time type 1 has DST flag 2");

    bad = file;
    bad.bytes[block + BLOCK_TYPES + 12 + 5] = 12;
    s_expect_invalid (fixture, bad.bytes, bad.size,
                      "local time type 2 has abbreviation index 12 past 12 characters");

    bad = file;
    memcpy (bad.bytes + block + 16, bad.bytes + block + 8, 8); /* third time = second */
    s_expect_invalid (fixture, bad.bytes, bad.size, "transition times are not in ascending order");

    bad = file;
    bad.bytes[block + BLOCK_INDICES + 1] = 3;
    s_expect_invalid (fixture, bad.bytes, bad.size,
                      "transition 1 refers to local time type 3 of 3");
}

static void
test_refused_footers (void **state)
{
    fixture_t *fixture = *state;
    tzif_t file;
    zone_spec_t spec = s_spec ();
    s_build (&spec, &file);

    s_expect_invalid (fixture, file.bytes, file.footer, "footer is missing");
    tzif_t bad = file;
    bad.bytes[bad.footer] = ' ';
    s_expect_invalid (fixture, bad.bytes, bad.size, "footer is missing");
    s_expect_invalid (fixture, file.bytes, file.size - 1, "footer does not end with a newline");
    s_expect_invalid (fixture, file.bytes, file.footer + 1, "footer does not end with a newline");

    bad = file;
    bad.bytes[bad.footer + 5] = '\0'; /* "EST5\0DT,..." */
    s_expect_invalid (fixture, bad.bytes, bad.size, "invalid footer TZ string \"EST5\"");

    char footer[300];
    memset (footer, 'A', 256);
    footer[256] = '\0';
    spec.footer = footer;
    s_build (&spec, &bad);
    s_expect_invalid (fixture, bad.bytes, bad.size, "footer is longer than 255 bytes");
    /* 255 bytes is accepted by length (then refused as a TZ string, quoted
       up to 252 bytes). */
    footer[255] = '\0';
    s_build (&spec, &bad);
    footer[252] = '\0';
    char reason[ERROR_SIZE];
    snprintf (reason, sizeof reason, "invalid footer TZ string \"%s...\"", footer);
    s_expect_invalid (fixture, bad.bytes, bad.size, reason);
    /* Unprintable bytes are not echoed. */
    spec.footer = "EST\x01\"5";
    s_build (&spec, &bad);
    s_expect_invalid (fixture, bad.bytes, bad.size, "invalid footer TZ string \"EST??5\"");
}

static void
test_refused_files (void **state)
{
    fixture_t *fixture = *state;
    char error[ERROR_SIZE];
    char expected[ERROR_SIZE * 2];

    /* Larger than the reader accepts. */
    static uint8_t big[BIG_FILE_SIZE];
    s_write_file (fixture, "Big", big, sizeof big);
    snprintf (expected, sizeof expected,
              "time zone file \"%s/Big\" is not a valid TZif file: file is larger than 262144 "
              "bytes",
              fixture->directory);
    assert_null (sp_tz_new ("Big", error, sizeof error));
    assert_string_equal (error, expected);

    /* A FIFO is not a zone, and opening it must not block. */
    char path[PATH_SIZE];
    assert_true (s_path (fixture, "Fifo", path, sizeof path));
    assert_int_equal (mkfifo (path, S_IRUSR | S_IWUSR), 0);
    assert_null (sp_tz_new ("Fifo", error, sizeof error));
    assert_string_equal (error, "unknown time zone \"Fifo\"");
}

static void
test_refused_directories (void **state)
{
    (void) state;
    char error[ERROR_SIZE];
    /* A directory path longer than any file path. */
    static char directory[5000];
    directory[0] = '/';
    memset (directory + 1, 'd', sizeof directory - 2);
    assert_int_equal (setenv ("TZDIR", directory, 1), 0);
    assert_null (sp_tz_new ("Europe/Berlin", error, sizeof error));
    assert_int_equal (strncmp (error, "time zone directory \"/ddd", 25), 0);
    const char *suffix = "...\" is too long";
    assert_string_equal (error + strlen (error) - strlen (suffix), suffix);

    /* A path component longer than the file system allows. */
    static char long_component[300];
    memcpy (long_component, "/tmp/", 5);
    memset (long_component + 5, 'c', sizeof long_component - 6);
    assert_int_equal (setenv ("TZDIR", long_component, 1), 0);
    assert_null (sp_tz_new ("Europe/Berlin", error, sizeof error));
    assert_int_equal (strncmp (error, "could not open time zone file \"/tmp/ccc", 39), 0);
    suffix = "\": File name too long";
    assert_string_equal (error + strlen (error) - strlen (suffix), suffix);
    assert_int_equal (unsetenv ("TZDIR"), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_utc_is_built_in, s_setup, s_teardown),
        cmocka_unit_test (test_destroy_null),
        cmocka_unit_test (test_invalid_names),
        cmocka_unit_test (test_error_buffer_optional_and_bounded),
        cmocka_unit_test (test_unknown_zones),
        cmocka_unit_test (test_empty_tzdir_means_default),
        cmocka_unit_test_setup_teardown (test_file_table_and_footer, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_file_versions, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_file_empty_footer_and_trailing_data, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_file_big_bang_transition, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_footer_fixed_offsets, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_footer_rule_forms, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_footer_dst_all_year, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_footer_invalid, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_refused_headers, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_refused_truncations, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_refused_data, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_refused_footers, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_refused_files, s_setup, s_teardown),
        cmocka_unit_test (test_refused_directories),
    };
    return cmocka_run_group_tests (tests, s_group_setup, s_group_teardown);
}
