/*  salesctl - the Salespulse command-line tool: dispatches subcommands.

        salesctl <command> [flags]     run a command
        salesctl <command> --help      its flags and environment variables
        salesctl help [command]        list commands, or one command's help
        salesctl version               print the version

    The commands come from one table (s_commands); see salesctl.h for how
    to add one.
*/
#include "salesctl.h"

#include "sp_log.h"
#include "sp_service.h"
#include "sp_zmq_curve.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

extern char **environ;

#define SALESCTL_PROGRAM_MAX 64        /* room for "salesctl <command>" */
#define SALESCTL_NAME_MAX 32           /* longest command name */
#define SALESCTL_SHARED_OPTIONS_MAX 32 /* room for the shared settings */

static const salesctl_command_t s_commands[] = {
    { "migrate", "apply database migrations and record the partition count", salesctl_migrate,
      SALESCTL_WRITES },
    { "publish", "send sales events from a JSON lines or CSV file to activity-ingest",
      salesctl_publish, SALESCTL_WRITES },
    { "dead-letters", "list rejected events with their reasons, newest first",
      salesctl_dead_letters, SALESCTL_READS },
    { "status", "show each consumer service's instances, partition owners and lag", salesctl_status,
      SALESCTL_READS },
    { "rebuild", "rebuild a consumer service's Redis state from the event log", salesctl_rebuild,
      SALESCTL_WRITES },
    { "quarantine", "list events consumers gave up on, with the error, newest first",
      salesctl_quarantine, SALESCTL_READS },
    { "load", "validate a file of reference data (load KIND FILE) and store it as a new version",
      salesctl_load, SALESCTL_WRITES },
    { "definitions", "list the reference data loaded and the versions running instances use",
      salesctl_definitions, SALESCTL_READS },
    { "funnels", "list the funnel definitions loaded: latest versions, or one funnel's history",
      salesctl_funnels, SALESCTL_READS },
    { "funnel", "show a funnel's conversion, drop-off and sales cycle for a scope and period",
      salesctl_funnel, SALESCTL_READS },
    { "pipeline", "show the open pipeline by step with weighted value and velocity",
      salesctl_pipeline, SALESCTL_READS },
    { "kpi", "show every KPI of a scope and period against its target, with pace", salesctl_kpi,
      SALESCTL_READS },
    { "scorecard", "rank a team's reps, a region's teams or the company's regions by score",
      salesctl_scorecard, SALESCTL_READS },
    { "report", "write the daily, weekly or monthly report of a rep, team, region or company",
      salesctl_report, SALESCTL_READS },
    { "close-period", "close a period that has ended: snapshot every scope's KPIs",
      salesctl_close_period, SALESCTL_WRITES },
    { "notices", "show funnel bottleneck notices: firing now, history, or --follow live",
      salesctl_notices, SALESCTL_READS },
    { "warnings", "show KPI pace warnings: history, firing now, or --follow live",
      salesctl_warnings, SALESCTL_READS },
    { "health", "show a customer's health score as of a day, with its measures and factors",
      salesctl_health, SALESCTL_READS },
    { "alerts", "show churn alerts: history, firing now, or --follow live", salesctl_alerts,
      SALESCTL_READS },
    { "ack", "acknowledge a customer's firing churn alerts until a day", salesctl_ack,
      SALESCTL_WRITES },
    { "statement", "show a rep's commission statement for a period, every line explained",
      salesctl_statement, SALESCTL_READS },
    { "whatif", "show what one more deal would add to a rep's commission, storing nothing",
      salesctl_whatif, SALESCTL_READS },
    { "statements", "show the statements locked by close-period: history, or --follow live",
      salesctl_statements, SALESCTL_READS },
    { "contest", "rank the reps of a SPIFF or contest by eligible value and earning",
      salesctl_contest, SALESCTL_READS },
    { "keys", "make (keys new NAME) and list (keys list) ZeroMQ CURVE certificates", salesctl_keys,
      SALESCTL_WRITES },
};
static const size_t s_command_count = sizeof s_commands / sizeof s_commands[0];

/* salesctl's own shared setting, after the services' shared ones
   (sp_config_common_options): the read-only role of the query commands. */
static const sp_config_option_t s_postgres_readonly_option = {
    "postgres-readonly",
    "SP_POSTGRES_READONLY_URL",
    SP_CONFIG_STRING,
    NULL,
    "libpq URL of a read-only role the query commands use (unset: --postgres)",
    0,
    0
};

/* The shared settings of every command: sp_config_common_options, then
   s_postgres_readonly_option. Filled on the first salesctl_config and never
   changed: sp_config borrows the table for the life of the process. */
static sp_config_option_t s_shared_options[SALESCTL_SHARED_OPTIONS_MAX];
static size_t s_shared_option_count;

static void
s_shared_options_fill (void)
{
    if (s_shared_option_count > 0)
        return;
    assert (sp_config_common_option_count < SALESCTL_SHARED_OPTIONS_MAX);
    for (size_t index = 0; index < sp_config_common_option_count; index++)
        s_shared_options[index] = sp_config_common_options[index];
    s_shared_options[sp_config_common_option_count] = s_postgres_readonly_option;
    s_shared_option_count = sp_config_common_option_count + 1;
}

static void
s_usage (FILE *stream)
{
    fprintf (stream, "usage: salesctl <command> [flags]\n"
                     "       salesctl <command> --help\n"
                     "\n"
                     "Salespulse command-line tool.\n"
                     "\n"
                     "commands:\n");
    for (size_t index = 0; index < s_command_count; index++)
        fprintf (stream, "  %-12s %s\n", s_commands[index].name, s_commands[index].summary);
    fprintf (stream, "  %-12s %s\n", "help", "list commands, or `help <command>` for one command");
    fprintf (stream, "  %-12s %s\n", "version", "print the version");
}

static const salesctl_command_t *
s_find (const char *name)
{
    for (size_t index = 0; index < s_command_count; index++)
        if (strcmp (s_commands[index].name, name) == 0)
            return &s_commands[index];
    return NULL;
}

salesctl_access_t
salesctl_command_access (const char *name)
{
    /* "load funnel": the table's name is the first word. */
    size_t length = strcspn (name, " ");
    for (size_t index = 0; index < s_command_count; index++)
        if (strlen (s_commands[index].name) == length &&
            strncmp (s_commands[index].name, name, length) == 0)
            return s_commands[index].access;
    assert (!"salesctl_command_access: command not in the table");
    return SALESCTL_WRITES;
}

static int
s_unknown (const char *name)
{
    fprintf (stderr, "salesctl: unknown command \"%s\"\n\n", name);
    s_usage (stderr);
    return SALESCTL_EXIT_FAILURE;
}

sp_config_t *
salesctl_config (int argc, char **argv, const char *summary, const sp_config_option_t *options,
                 size_t count, int *exit_code)
{
    char program[SALESCTL_PROGRAM_MAX];
    snprintf (program, sizeof program, "salesctl %s", argv[0]);
    *exit_code = SALESCTL_EXIT_FAILURE;
    s_shared_options_fill ();
    sp_config_t *config =
        sp_config_new (program, summary, s_shared_options, s_shared_option_count, options, count);
    if (!config)
        return NULL;
    char error[SP_CONFIG_ERROR_SIZE];
    sp_config_result_t parsed =
        sp_config_parse (config, argc, argv, environ, stdout, error, sizeof error);
    if (parsed == SP_CONFIG_HELP) {
        *exit_code = SALESCTL_EXIT_OK;
        goto out_destroy_config;
    }
    if (parsed == SP_CONFIG_ERROR) {
        fprintf (stderr, "%s: %s\ntry \"%s --help\"\n", program, error, program);
        goto out_destroy_config;
    }
    sp_log_level_t level;
    sp_log_format_t format;
    const char *level_text = sp_config_string (config, "log-level");
    const char *format_text = sp_config_string (config, "log-format");
    if (sp_log_level_parse (level_text, &level) != 0) {
        fprintf (stderr,
                 "%s: invalid value \"%s\" for --log-level: expected debug|info|warn|error\n",
                 program, level_text ? level_text : "");
        goto out_destroy_config;
    }
    if (sp_log_format_parse (format_text, &format) != 0) {
        fprintf (stderr, "%s: invalid value \"%s\" for --log-format: expected logfmt|json\n",
                 program, format_text ? format_text : "");
        goto out_destroy_config;
    }
    sp_log_init ("salesctl", level, format);
    /* --curve-secret and --curve-server make every socket CURVE
       (publish, --follow); main uninstalls it after the command. */
    char curve_error[SP_CONFIG_ERROR_SIZE];
    if (!sp_zmq_curve_installed () &&
        sp_service_install_curve (config, curve_error, sizeof curve_error) != 0) {
        fprintf (stderr, "%s: %s\n", program, curve_error);
        goto out_destroy_config;
    }
    return config;

out_destroy_config:
    sp_config_destroy (&config);
    return NULL;
}

int
main (int argc, char **argv)
{
    if (argc < 2) {
        s_usage (stderr);
        return SALESCTL_EXIT_FAILURE;
    }
    const char *name = argv[1];
    if (strcmp (name, "help") == 0 || strcmp (name, "--help") == 0 || strcmp (name, "-h") == 0) {
        if (argc < 3) {
            s_usage (stdout);
            return SALESCTL_EXIT_OK;
        }
        const salesctl_command_t *command = s_find (argv[2]);
        if (!command)
            return s_unknown (argv[2]);
        char command_name[SALESCTL_NAME_MAX];
        char help_flag[] = "--help";
        snprintf (command_name, sizeof command_name, "%s", command->name);
        char *help_argv[] = { command_name, help_flag, NULL };
        return command->run (2, help_argv);
    }
    if (strcmp (name, "version") == 0 || strcmp (name, "--version") == 0) {
        printf ("salesctl %s\n", SALESCTL_VERSION);
        return SALESCTL_EXIT_OK;
    }
    const salesctl_command_t *command = s_find (name);
    if (!command)
        return s_unknown (name);
    int exit_code = command->run (argc - 1, argv + 1);
    sp_zmq_curve_uninstall ();
    return exit_code;
}
