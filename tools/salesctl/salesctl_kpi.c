/*  salesctl_kpi - what `salesctl kpi` and `salesctl scorecard` share:
    checking --scope, --period and --as-of, and opening a kpi_query on
    kpi-evaluator's Redis state and the reference data (declared in
    salesctl.h). */
#include "salesctl.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sp_civil.h"
#include "sp_event.h"

#define S_MS_PER_SECOND 1000

/* True for "company", "region:ID", "team:ID", "rep:ID" with a non-empty
   id of at most SP_EVENT_ID_MAX bytes. */
static bool
s_scope_valid (const char *scope)
{
    if (strcmp (scope, "company") == 0)
        return true;
    static const char *const prefixes[] = { "region:", "team:", "rep:" };
    for (size_t index = 0; index < 3; index++) {
        size_t length = strlen (prefixes[index]);
        if (strncmp (scope, prefixes[index], length) == 0)
            return scope[length] != '\0' && strlen (scope + length) <= SP_EVENT_ID_MAX;
    }
    return false;
}

/* --as-of a date: that local day, whose last instant is the as-of time. */
static int
s_date_end (salesctl_kpi_t *self, int64_t day)
{
    self->through = day;
    int64_t next = sp_tz_local_to_utc (kpi_query_tz (self->query),
                                       (self->through + 1) * SP_CIVIL_SECONDS_PER_DAY);
    self->as_of_ms = next * S_MS_PER_SECOND - 1;
    return 0;
}

int
salesctl_kpi_open (const sp_config_t *config, const char *command, size_t arguments,
                   unsigned reference, const char *scope, const char *period, const char *as_of,
                   salesctl_kpi_t *self)
{
    memset (self, 0, sizeof *self);
    if (sp_config_arg_count (config) > arguments) {
        fprintf (stderr, "salesctl %s: unexpected argument \"%s\"\n", command,
                 sp_config_arg (config, arguments));
        return -1;
    }
    if (scope && !s_scope_valid (scope)) {
        fprintf (stderr,
                 "salesctl %s: invalid scope \"%s\": use company, region:ID, team:ID or rep:ID\n",
                 command, scope);
        return -1;
    }
    int64_t day = 0;
    bool date_only = as_of && sp_civil_date_parse (as_of, &day) == 0 && day >= SP_CIVIL_DAYS_YEAR_ONE;
    if (as_of && *as_of && !date_only && sp_event_time_parse (as_of, &self->as_of_ms) != 0) {
        fprintf (stderr,
                 "salesctl %s: invalid time \"%s\": use a date YYYY-MM-DD or an RFC 3339 "
                 "timestamp\n",
                 command, as_of);
        return -1;
    }
    if (!as_of || !*as_of)
        self->as_of_ms = salesctl_wall_ms ();
    uint32_t partitions = 0;
    char error[KPI_QUERY_ERROR_SIZE];
    self->pg = salesctl_postgres_connect (config, command);
    if (!self->pg || salesctl_partitions (self->pg, command, &partitions) != 0)
        goto out_close;
    self->redis = salesctl_redis_connect (config, command);
    if (!self->redis)
        goto out_close;
    self->query =
        kpi_query_new_with (self->redis, self->pg, partitions, reference, error, sizeof error);
    if (!self->query) {
        fprintf (stderr, "salesctl %s: %s\n", command, error);
        goto out_close;
    }
    *error = '\0';
    if ((period && sp_period_parse (kpi_query_tz (self->query), period, &self->period, error,
                                    sizeof error) != 0) ||
        (date_only ? s_date_end (self, day)
                   : kpi_query_day (self->query, self->as_of_ms, &self->through)) != 0) {
        fprintf (stderr, "salesctl %s: %s\n", command, *error ? error : "--as-of is out of range");
        goto out_close;
    }
    return 0;
out_close:
    salesctl_kpi_close (self);
    return -1;
}

void
salesctl_kpi_close (salesctl_kpi_t *self)
{
    kpi_query_destroy (&self->query);
    sp_redis_destroy (&self->redis);
    sp_pg_destroy (&self->pg);
}
