/*  salesctl - the Salespulse command-line tool: its command table and the
    helpers every subcommand shares.

    main.c dispatches `salesctl <command> [flags]` through one table of
    salesctl_command_t; each command lives in its own cmd_<name>.c and is
    declared here. Adding a command is: write cmd_<name>.c, declare its
    function below, add one line to the table in main.c.

    Output convention: what a command did goes to stdout as plain lines;
    logs (and therefore errors, logged once where they happen) go to stderr.
    Exit status is 0 on success, 1 on failure (bad flags included).
*/
#ifndef SALESCTL_H_INCLUDED
#define SALESCTL_H_INCLUDED

#include "sp_config.h"

#include <stddef.h>

#define SALESCTL_VERSION "0.1.0" /* version printed by `salesctl version` */
#define SALESCTL_EXIT_OK 0       /* the command succeeded (or printed help) */
#define SALESCTL_EXIT_FAILURE 1  /* the command failed; stderr says why */

/* Runs one command; argv[0] is the command name, argv[1..] its flags. */
typedef int (salesctl_run_fn) (int argc, char **argv);

/* One entry of the command table. */
typedef struct {
    const char *name;     /* word after `salesctl`, e.g. "migrate" */
    const char *summary;  /* one line for `salesctl help` */
    salesctl_run_fn *run; /* the command */
} salesctl_command_t;

/* Parses a command's flags (the common options plus its own table) from
   argv and the environment, and sets up logging from --log-level and
   --log-format. Returns the configuration, or NULL when the command must
   stop: *exit_code is then SALESCTL_EXIT_OK after --help, or
   SALESCTL_EXIT_FAILURE after an error (printed to stderr). */
sp_config_t *salesctl_config (int argc, char **argv, const char *summary,
                              const sp_config_option_t *options, size_t count, int *exit_code);

/* `salesctl migrate`: applies migrations and fixes the partition count. */
int salesctl_migrate (int argc, char **argv);

/* `salesctl publish`: sends events from a file through sp_ingest_client. */
int salesctl_publish (int argc, char **argv);

/* `salesctl dead-letters`: lists the dead_letters table, newest first. */
int salesctl_dead_letters (int argc, char **argv);

#endif
