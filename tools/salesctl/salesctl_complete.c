/*  salesctl_complete - whether a query's state was complete, and --wait
    (see salesctl_complete.h). */
#include "salesctl_complete.h"

#include "salesctl.h"
#include "sp_refdata.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define S_MS_PER_SECOND 1000
#define S_NS_PER_MS 1000000
#define S_ERROR_SIZE 512

int
salesctl_complete_open (const sp_config_t *config, const char *command, const char *service,
                        sp_pg_t *pg, const char *const *kinds, size_t count,
                        salesctl_complete_t *self)
{
    memset (self, 0, sizeof *self);
    self->command = command;
    self->wait = sp_config_bool (config, "wait");
    self->deadline_ms =
        salesctl_now_ms () + sp_config_int (config, "timeout") * (int64_t) S_MS_PER_SECOND;
    uint32_t partitions = 0;
    if (salesctl_partitions (pg, command, &partitions) != 0)
        return -1;
    /* heads and revision from the primary when pg is a standby */
    sp_pg_t *heads = salesctl_heads_connection (config, command, pg, &self->primary);
    if (!heads)
        return -1;
    char error[S_ERROR_SIZE];
    int64_t revision = 0;
    if (count > 0 && sp_refdata_revision (heads, kinds, count, &revision, error, sizeof error) != 0) {
        fprintf (stderr, "salesctl %s: could not read the reference data revision: %s\n", command,
                 error);
        salesctl_complete_close (self);
        return -1;
    }
    self->completeness = sp_completeness_new (service, partitions, error, sizeof error);
    if (!self->completeness) {
        fprintf (stderr, "salesctl %s: %s\n", command, error);
        salesctl_complete_close (self);
        return -1;
    }
    sp_completeness_set_revision (self->completeness, revision);
    return 0;
}

/* Sleeps SALESCTL_COMPLETE_POLL_MS, or less when the deadline is nearer. */
static void
s_pause (const salesctl_complete_t *self)
{
    int64_t left = self->deadline_ms - salesctl_now_ms ();
    int64_t pause = left < SALESCTL_COMPLETE_POLL_MS ? left : SALESCTL_COMPLETE_POLL_MS;
    if (pause <= 0)
        return;
    struct timespec delay = { (time_t) (pause / S_MS_PER_SECOND),
                              (long) (pause % S_MS_PER_SECOND) * S_NS_PER_MS };
    nanosleep (&delay, NULL);
}

int
salesctl_complete_begin (salesctl_complete_t *self, sp_pg_t *pg, sp_redis_t *redis)
{
    sp_pg_t *heads = self->primary ? self->primary : pg;
    char error[S_ERROR_SIZE];
    for (;;) {
        if (sp_completeness_read (self->completeness, heads, redis, error, sizeof error) != 0) {
            fprintf (stderr, "salesctl %s: could not tell whether %s's state is complete: %s\n",
                     self->command, sp_completeness_service (self->completeness), error);
            return -1;
        }
        if (sp_completeness_complete (self->completeness) || !self->wait ||
            salesctl_now_ms () >= self->deadline_ms)
            return 0;
        s_pause (self);
    }
}

int
salesctl_complete_end (salesctl_complete_t *self, sp_redis_t *redis)
{
    char error[S_ERROR_SIZE];
    if (sp_completeness_confirm (self->completeness, redis, error, sizeof error) != 0) {
        fprintf (stderr, "salesctl %s: could not tell whether %s's state is complete: %s\n",
                 self->command, sp_completeness_service (self->completeness), error);
        return -1;
    }
    if (sp_completeness_complete (self->completeness) || !self->wait ||
        salesctl_now_ms () >= self->deadline_ms)
        return 0;
    s_pause (self);
    return 1;
}

bool
salesctl_complete_ok (const salesctl_complete_t *self)
{
    return sp_completeness_complete (self->completeness);
}

void
salesctl_complete_text (const salesctl_complete_t *self, FILE *stream)
{
    char line[SP_COMPLETENESS_TEXT_SIZE];
    if (sp_completeness_text (self->completeness, line, sizeof line) > 0)
        fprintf (stream, "%s\n", line);
}

int
salesctl_complete_json (const salesctl_complete_t *self, json_t *document)
{
    return json_object_set_new (document, "completeness",
                                sp_completeness_json (self->completeness));
}

int
salesctl_complete_exit (const salesctl_complete_t *self)
{
    return self->wait && !sp_completeness_complete (self->completeness) ? SALESCTL_EXIT_INCOMPLETE
                                                                        : SALESCTL_EXIT_OK;
}

void
salesctl_complete_close (salesctl_complete_t *self)
{
    sp_completeness_destroy (&self->completeness);
    sp_pg_destroy (&self->primary);
}
