/*  salesctl migrate - sets up or upgrades a Salespulse database.

        salesctl migrate [--postgres URL] [--dir DIR] [--partitions N]

    Applies the pending migration files of DIR (sp_migrate: in order, once
    each, under an advisory lock, refusing edited files), then fixes the
    partition count: the first run records N in salespulse_settings and
    creates the event_partitions rows 0..N-1; later runs check it. The count
    is fixed at setup, so an explicit --partitions (or SP_PARTITIONS) that
    differs from the recorded count is an error; without one the recorded
    count is kept. Safe to run any number of times and from several
    machines at once.
*/
#include "salesctl.h"

#include "sp_migrate.h"
#include "sp_pg.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const sp_config_option_t s_options[] = {
    { "dir", "SP_MIGRATIONS_DIR", SP_CONFIG_STRING, "migrations",
      "folder holding the NNNN_name.sql migration files", 0, 0 },
};

int
salesctl_migrate (int argc, char **argv)
{
    int exit_code = SALESCTL_EXIT_FAILURE;
    sp_config_t *config =
        salesctl_config (argc, argv, "Apply database migrations and record the partition count.",
                         s_options, sizeof s_options / sizeof s_options[0], &exit_code);
    if (!config)
        return exit_code;
    exit_code = SALESCTL_EXIT_FAILURE;
    sp_pg_t *pg = NULL;
    sp_migrate_t *migrate = NULL;
    if (sp_config_arg_count (config) > 0) {
        fprintf (stderr, "salesctl migrate: unexpected argument \"%s\"\n",
                 sp_config_arg (config, 0));
        goto out_destroy_config;
    }
    const char *dir = sp_config_string (config, "dir");
    int partitions = (int) sp_config_int (config, "partitions");
    bool partitions_given = strcmp (sp_config_source (config, "partitions"), "default") != 0;

    pg = sp_pg_new (sp_config_string (config, "postgres"), "salesctl migrate");
    if (!pg) {
        fprintf (stderr, "salesctl migrate: invalid --postgres URL\n");
        goto out_destroy_config;
    }
    if (sp_pg_connect (pg) != 0) {
        fprintf (stderr, "salesctl migrate: could not connect to postgresql: %s\n",
                 sp_pg_error (pg));
        goto out_destroy_pg;
    }
    migrate = sp_migrate_new (dir);
    if (!migrate) {
        fprintf (stderr, "salesctl migrate: out of memory\n");
        goto out_destroy_pg;
    }
    int applied = sp_migrate_apply (migrate, pg);
    if (applied < 0) {
        fprintf (stderr, "salesctl migrate: %s\n", sp_migrate_error (migrate));
        goto out_destroy_migrate;
    }
    size_t count = sp_migrate_count (migrate);
    for (size_t index = 0; index < count; index++)
        if (sp_migrate_applied (migrate, index))
            printf ("applied %s\n", sp_migrate_name (migrate, index));
    printf ("migrations: %d applied, %zu already applied (folder \"%s\")\n", applied,
            count - (size_t) applied, dir);

    int created = 0;
    int in_force = sp_migrate_set_partitions (migrate, pg, partitions, partitions_given, &created);
    if (in_force < 0) {
        fprintf (stderr, "salesctl migrate: %s\n", sp_migrate_error (migrate));
        goto out_destroy_migrate;
    }
    if (created > 0)
        printf ("partitions: %d (created %d partition rows)\n", in_force, created);
    else
        printf ("partitions: %d (already set up)\n", in_force);
    exit_code = SALESCTL_EXIT_OK;

out_destroy_migrate:
    sp_migrate_destroy (&migrate);
out_destroy_pg:
    sp_pg_destroy (&pg);
out_destroy_config:
    sp_config_destroy (&config);
    return exit_code;
}
