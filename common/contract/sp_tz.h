/*  sp_tz - one IANA time zone, read from its TZif file.

    Time on the wire is UTC; reports are cut in the organisation's zone
    ("America/New_York", "Asia/Shanghai"). setenv ("TZ") + localtime ()
    is process-global, not thread-safe and knows one zone at a time, so
    we read the compiled tz database ourselves (RFC 8536 / RFC 9636 TZif):
    the 64-bit data block of version 2+ files (version 1 files use their
    32-bit block), and the footer POSIX TZ string for instants after the
    last transition (e.g. "EST5EDT,M3.2.0,M11.1.0" carries New York to 2100
    and beyond). Before the first transition, local time type 0 applies,
    as RFC 8536 section 3.2 specifies; a file without transitions follows
    its footer at all times, before 1970 too (glibc and zdump apply TZ
    strings from 1970 only).

    The file is read once by sp_tz_new; afterwards an sp_tz_t is immutable,
    does no I/O, and may be shared by any number of threads.

    Names are validated before the file system is touched: 1 to
    SP_TZ_NAME_MAX bytes of [A-Za-z0-9/_+-], no leading '/', no empty
    component. Files are looked up under $TZDIR when set and non-empty,
    else /usr/share/zoneinfo. "UTC" and "Etc/UTC" are built in and need no
    file. Files with leap second records ("right/" zones) are rejected: our
    clocks are POSIX clocks, which do not count leap seconds.

    Instants and wall-clock times are int64 seconds. Every function accepts
    the seconds of any int64 millisecond instant, that is values within
    [SP_TZ_SECONDS_MIN, SP_TZ_SECONDS_MAX] (about 292 million years).
*/
#ifndef SP_TZ_H_INCLUDED
#define SP_TZ_H_INCLUDED

#include <stddef.h>
#include <stdint.h>

/* Longest accepted zone name, bytes. */
#define SP_TZ_NAME_MAX 64

/* Range of seconds accepted by sp_tz_offset_at and sp_tz_local_to_utc:
   floor (INT64_MIN / 1000) .. INT64_MAX / 1000 rounded outwards. */
#define SP_TZ_SECONDS_MAX INT64_C (9223372036854776)
#define SP_TZ_SECONDS_MIN (-SP_TZ_SECONDS_MAX)

/* Bounds of a UTC offset in seconds (RFC 8536 section 3.2: more than
   -25 hours, less than 26 hours); files with offsets outside are rejected. */
#define SP_TZ_OFFSET_MIN (-89999)
#define SP_TZ_OFFSET_MAX 93599

typedef struct _sp_tz_t sp_tz_t;

/* Loads a zone by IANA name. Returns NULL on failure and writes a message
   to error (when error_size > 0; error may be NULL when it is 0), such as
       unknown time zone "Nowhere/City"
       invalid time zone name "../etc/passwd"
       time zone file "/usr/share/zoneinfo/X" is not a valid TZif file: file is truncated
   The caller reports it; this function does not log. */
sp_tz_t *sp_tz_new (const char *name, char *error, size_t error_size);

/* Destroys a zone; no-op on NULL, sets *self_p to NULL. */
void sp_tz_destroy (sp_tz_t **self_p);

/* The name the zone was loaded with. */
const char *sp_tz_name (const sp_tz_t *self);

/* UTC offset in seconds east of UTC in force at the instant utc_seconds
   (e.g. -14400 for New York in July). */
int32_t sp_tz_offset_at (const sp_tz_t *self, int64_t utc_seconds);

/* The UTC instant at which the wall clock of the zone shows local_seconds
   (seconds since 1970-01-01T00:00:00 local wall-clock time).
   - A wall time that occurs once maps to that instant.
   - A wall time that occurs twice (overlap, clocks fall back) maps to the
     earlier instant.
   - A wall time that does not occur (gap, clocks spring forward) maps to
     the first instant after the gap: the transition instant, when the
     clocks jump. New York 2017-03-12 02:30 -> 2017-03-12T07:00:00Z. */
int64_t sp_tz_local_to_utc (const sp_tz_t *self, int64_t local_seconds);

#endif
