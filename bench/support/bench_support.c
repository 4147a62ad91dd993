/*  bench_support - helpers shared by the benchmarks (see bench_support.h).
 */
#include "bench_support.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sp_event.h"
#include "sp_harness.h"
#include "sp_harness_redis.h"

#define BENCH_SUPPORT_BYTES_PER_MIB (1024.0 * 1024.0)
#include "sp_harness_pg.h"
#include "sp_harness_redis.h"

#define LOG_TAIL 4096  /* bytes of a service log shown on failure */
#define TEXT_SIZE 96   /* one event field made from a number */
#define SUFFIX_ROOM 64 /* room left in a path for "/bin/<name>" and "/../.." */

double
bench_seconds (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (double) now.tv_sec + (double) now.tv_nsec / BENCH_SUPPORT_NS_PER_S;
}

int64_t
bench_wall_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t) now.tv_sec * BENCH_SUPPORT_MS_PER_S +
           now.tv_nsec / (BENCH_SUPPORT_NS_PER_S / BENCH_SUPPORT_MS_PER_S);
}

double
bench_wait_limit (size_t events)
{
    return BENCH_SUPPORT_WAIT_BASE_S + (double) events / BENCH_SUPPORT_WAIT_RATE_FLOOR;
}

int
bench_env_count (const char *bench, const char *name, size_t fallback, size_t *count)
{
    const char *text = getenv (name);
    *count = fallback;
    if (!text || !*text)
        return 0;
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull (text, &end, 10);
    if (errno != 0 || *end != '\0' || value == 0 || value > SIZE_MAX || text[0] == '-') {
        fprintf (stderr, "%s: invalid %s \"%s\": expected a positive integer\n", bench, name, text);
        return -1;
    }
    *count = (size_t) value;
    return 0;
}

int
bench_set_text (char **slot, const char *format, size_t value)
{
    char text[TEXT_SIZE];
    int length = snprintf (text, sizeof text, format, value);
    if (length < 0 || (size_t) length >= sizeof text)
        return -1;
    return sp_event_set_string (slot, text, (size_t) length);
}

int
bench_exec (const char *bench, sp_pg_t *pg, const char *sql)
{
    sp_pg_result_t *result = sp_pg_exec_script (pg, sql);
    int rc = sp_pg_result_ok (result) ? 0 : -1;
    if (rc != 0)
        fprintf (stderr, "%s: \"%s\" failed: %s\n", bench, sql, sp_pg_result_error (result));
    sp_pg_result_destroy (&result);
    return rc;
}

sp_harness_t *
bench_start_servers (const char *bench, uint32_t partitions, sp_pg_t **pg, sp_redis_t **redis)
{
    sp_harness_t *harness = sp_harness_pg_fixture (bench, (int) partitions, pg);
    if (harness)
        *redis = sp_harness_redis_connect (harness);
    if (!harness || !*redis)
        fprintf (stderr, "%s: could not start PostgreSQL and Redis\n", bench);
    return harness;
}

int
bench_stop (pid_t *pid, int timeout_ms)
{
    if (*pid <= 0)
        return 0;
    int status = sp_harness_stop (*pid, timeout_ms);
    *pid = -1;
    return status;
}

void
bench_show_log (const char *bench, const char *name, const char *path)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return;
    char tail[LOG_TAIL + 1];
    if (fseek (file, 0, SEEK_END) == 0 && ftell (file) > LOG_TAIL)
        fseek (file, -LOG_TAIL, SEEK_END);
    else
        rewind (file);
    size_t size = fread (tail, 1, LOG_TAIL, file);
    tail[size] = '\0';
    fclose (file);
    fprintf (stderr, "%s: end of the %s log:\n%s\n", bench, name, tail);
}

void
bench_locate (const char *name, char *program, size_t size)
{
    char self_path[PATH_MAX - SUFFIX_ROOM];
    ssize_t length = readlink ("/proc/self/exe", self_path, sizeof self_path - 1);
    program[0] = '\0';
    if (length > 0) {
        self_path[length] = '\0';
        char *slash = strrchr (self_path, '/');
        if (slash) {
            *slash = '\0'; /* <build>/bench */
            slash = strrchr (self_path, '/');
        }
        if (slash) {
            *slash = '\0'; /* <build> */
            snprintf (program, size, "%s/bin/%s", self_path, name);
            char source[PATH_MAX], marker[PATH_MAX + SUFFIX_ROOM];
            snprintf (source, sizeof source, "%s/../..", self_path);
            snprintf (marker, sizeof marker, "%s/migrations", source);
            const char *configured = getenv ("SP_SOURCE_DIR");
            if ((!configured || !*configured) && access (marker, F_OK) == 0) {
                setenv ("SP_SOURCE_DIR", source, 1);
                /* <build> is <source>/build/<x>: the harness's programs
                   (activity-ingest, salesctl) come from the same build */
                const char *build = getenv ("SP_BUILD_DIR");
                char *parent = strrchr (self_path, '/');
                while (parent && parent > self_path && parent[-1] != '/')
                    parent--;
                if ((!build || !*build) && parent && parent > self_path)
                    setenv ("SP_BUILD_DIR", parent, 1);
            }
        }
    }
    if (!program[0] || access (program, X_OK) != 0)
        sp_harness_program (name, program, size);
}

int
bench_redis_size (sp_redis_t *redis, int64_t *keys, double *mib)
{
    if (sp_harness_redis_integer (redis, 1, (const char *const[]){ "DBSIZE" }, keys) != 0)
        return -1;
    sp_redis_reply_t *info =
        sp_harness_redis_run (redis, 2, (const char *const[]){ "INFO", "memory" });
    const char *text = info ? sp_redis_reply_string (info, NULL) : NULL;
    const char *field = text ? strstr (text, "used_memory:") : NULL;
    *mib =
        field ? strtod (field + strlen ("used_memory:"), NULL) / BENCH_SUPPORT_BYTES_PER_MIB : -1;
    sp_redis_reply_destroy (&info);
    return field ? 0 : -1;
}

int
bench_compare_double (const void *left, const void *right)
{
    double a = *(const double *) left, b = *(const double *) right;
    return (a > b) - (a < b);
}
