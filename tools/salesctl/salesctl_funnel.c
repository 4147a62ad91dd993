/*  salesctl_funnel - what `salesctl funnel` and `salesctl pipeline` share:
    checking their flags and opening a funnel_query on funnel-tracker's
    Redis state (declared in salesctl.h). */
#include "salesctl.h"

#include <stdio.h>
#include <string.h>

#include "funnel-tracker/funnel_keys.h"
#include "funnel-tracker/funnel_report.h"

int
salesctl_funnel_open (const sp_config_t *config, const char *command, salesctl_funnel_t *self)
{
    memset (self, 0, sizeof *self);
    char error[FUNNEL_QUERY_ERROR_SIZE];
    funnel_scope_kind_t kind;
    const char *id;
    uint32_t partitions = 0;
    if (sp_config_arg_count (config) > 0) {
        fprintf (stderr, "salesctl %s: unexpected argument \"%s\"\n", command,
                 sp_config_arg (config, 0));
        return -1;
    }
    if (funnel_keys_scope_parse (sp_config_string (config, "scope"), &kind, &id, error,
                                 sizeof error) != 0 ||
        funnel_report_period_check (sp_config_string (config, "period"), error, sizeof error) !=
            0) {
        fprintf (stderr, "salesctl %s: %s\n", command, error);
        return -1;
    }
    self->pg = salesctl_postgres_connect (config, command);
    if (!self->pg || salesctl_partitions (self->pg, command, &partitions) != 0)
        goto out_close;
    self->redis = salesctl_redis_connect (config, command);
    if (!self->redis)
        goto out_close;
    self->query = funnel_query_new (self->redis, partitions, sp_config_string (config, "funnel"),
                                    error, sizeof error);
    if (self->query)
        return 0;
    fprintf (stderr, "salesctl %s: %s\n", command, error);
out_close:
    salesctl_funnel_close (self);
    return -1;
}

void
salesctl_funnel_close (salesctl_funnel_t *self)
{
    funnel_query_destroy (&self->query);
    sp_redis_destroy (&self->redis);
    sp_pg_destroy (&self->pg);
}
