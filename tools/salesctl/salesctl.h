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

#include <jansson.h>
#include <protobuf-c/protobuf-c.h>
#include "sp_outbox_store.h"
#include "sp_pg.h"
#include "sp_redis.h"
#include "funnel-tracker/funnel_query.h"
#include "kpi-evaluator/kpi_query.h"
#include "sp_refdata.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SALESCTL_VERSION "0.1.0" /* version printed by `salesctl version` */
#define SALESCTL_EXIT_OK 0       /* the command succeeded (or printed help) */
#define SALESCTL_EXIT_FAILURE 1  /* the command failed; stderr says why */

/* Runs one command; argv[0] is the command name, argv[1..] its flags. */
typedef int (salesctl_run_fn) (int argc, char **argv);

/* What a command does with PostgreSQL: it decides the role it connects
   as (salesctl_postgres_connect). */
typedef enum {
    SALESCTL_READS = 0,  /* a query: --postgres-readonly when set, else --postgres */
    SALESCTL_WRITES = 1, /* changes something (or runs no query): --postgres */
} salesctl_access_t;

/* One entry of the command table. */
typedef struct {
    const char *name;         /* word after `salesctl`, e.g. "migrate" */
    const char *summary;      /* one line for `salesctl help` */
    salesctl_run_fn *run;     /* the command */
    salesctl_access_t access; /* reads only, or writes */
} salesctl_command_t;

/* The access of the command named name in the table (its first word:
   "load funnel" is load's); a name not in the table is a programmer
   error. */
salesctl_access_t salesctl_command_access (const char *name);

/* Parses a command's flags (the common options plus its own table) from
   argv and the environment, and sets up logging from --log-level and
   --log-format. Returns the configuration, or NULL when the command must
   stop: *exit_code is then SALESCTL_EXIT_OK after --help, or
   SALESCTL_EXIT_FAILURE after an error (printed to stderr). */
sp_config_t *salesctl_config (int argc, char **argv, const char *summary,
                              const sp_config_option_t *options, size_t count, int *exit_code);

/* ---------------------------------------------------- salesctl_connect.c */

/* The PostgreSQL URL command uses: --postgres-readonly
   (SP_POSTGRES_READONLY_URL) when the command only reads
   (SALESCTL_READS) and the setting is not empty, --postgres otherwise. */
const char *salesctl_postgres_url (const sp_config_t *config, const char *command);

/* Connects to PostgreSQL at salesctl_postgres_url as "salesctl <command>".
   Returns the connection, or NULL after printing e.g. `salesctl status:
   could not connect to postgresql: ...` to stderr. */
sp_pg_t *salesctl_postgres_connect (const sp_config_t *config, const char *command);

/* Where command reads the event log's heads when it reads everything else
   through pg: pg itself, unless pg is a hot standby (a replica given as
   --postgres-readonly), whose heads may trail the primary's, so that state
   checked against them could look complete, or less behind, than it is;
   then a connection of its own to --postgres, the primary, returned and
   put in *primary for the caller to destroy (NULL otherwise). NULL after
   printing why: pg could not be asked, the primary could not be reached,
   or --postgres is a standby too. */
sp_pg_t *salesctl_heads_connection (const sp_config_t *config, const char *command, sp_pg_t *pg,
                                    sp_pg_t **primary);

/* Connects to Redis at --redis, with fewer attempts than a service makes
   (a person is waiting). Returns the connection, or NULL after printing
   e.g. `salesctl status: could not connect to redis at "127.0.0.1:6379"
   after 3 attempts: connection refused` to stderr. */
sp_redis_t *salesctl_redis_connect (const sp_config_t *config, const char *command);

/* Reads the partition count `salesctl migrate` recorded into *partitions.
   Returns 0, or -1 after printing why (query failed, database not set
   up, a count out of 1..SP_PARTITIONS_MAX). */
int salesctl_partitions (sp_pg_t *pg, const char *command, uint32_t *partitions);

/* Prints `salesctl <command>: invalid service name "NAME": ...` to stderr. */
void salesctl_service_invalid (const char *command, const char *name);

/* Reads a reply holding a decimal unsigned number (a checkpoint, an
   epoch) into *value. Returns 1 when read, 0 when the reply is nil (a
   missing key; *value is then 0), -1 when it holds anything else. */
int salesctl_reply_number (const sp_redis_reply_t *reply, uint64_t *value);

/* Milliseconds of the monotonic clock (for waits and rates). */
int64_t salesctl_now_ms (void);

/* Room for money written by salesctl_money ("-10000000000000.00" and a
   currency's words). */
#define SALESCTL_MONEY_TEXT_SIZE 40

/* minor in major units of currency ("1234.50") into buffer
   (SALESCTL_MONEY_TEXT_SIZE), or "N minor units" for a currency without
   a minor unit rule; returns buffer. */
const char *salesctl_money (int64_t minor, const char *currency, char *buffer);

/* A JSON document's string member ("" when absent or not a string) and
   integer member (0 when absent). */
const char *salesctl_json_text (const json_t *object, const char *key);
int64_t salesctl_json_number (const json_t *object, const char *key);

/* The wall clock: UTC ms since 1970 (periods that have ended, what-if
   deals "now"). */
int64_t salesctl_wall_ms (void);

/* ---------------------------------------------------- salesctl_funnel.c */

/* An open funnel query of `salesctl funnel` or `salesctl pipeline`. */
typedef struct {
    sp_pg_t *pg;           /* for the partition count */
    sp_redis_t *redis;     /* funnel-tracker's state */
    funnel_query_t *query; /* the funnel of --funnel */
} salesctl_funnel_t;

/* Checks the flags both commands share (no argument, --scope, --period),
   connects and opens --funnel. Returns 0, or -1 after printing why (self
   is then closed). */
int salesctl_funnel_open (const sp_config_t *config, const char *command, salesctl_funnel_t *self);

/* Closes what salesctl_funnel_open opened; safe to call twice. */
void salesctl_funnel_close (salesctl_funnel_t *self);

/* ------------------------------------------------------- salesctl_kpi.c */

/* An open KPI query of `salesctl kpi` or `salesctl scorecard`. */
typedef struct {
    sp_pg_t *pg;        /* reference data, partition count */
    sp_redis_t *redis;  /* kpi-evaluator's state */
    kpi_query_t *query; /* measures, settings, reference data */
    sp_period_t period; /* --period, cut in kpi-evaluator's time zone */
    int64_t as_of_ms;   /* --as-of (default now), UTC ms */
    int64_t through;    /* its local day: events of that day and before count */
} salesctl_kpi_t;

/* Checks scope (NULL: none) and that at most arguments positional
   arguments were given, connects and opens the query with the reference
   data of reference (KPI_REFERENCE_* bits, kpi_reference.h); then reads period
   (a label; NULL: left for the caller) and as_of (a date, whose local
   day ends it, or an RFC 3339 time; NULL or "": now). Returns 0, or -1
   after printing why (self is then closed). */
int salesctl_kpi_open (const sp_config_t *config, const char *command, size_t arguments,
                       unsigned reference, const char *scope, const char *period, const char *as_of,
                       salesctl_kpi_t *self);

/* Who does it, for the records: given when not empty, else "$USER@host"
   (or "salesctl@host"). */
void salesctl_who (const char *given, char *buffer, size_t size);

/* Closes what salesctl_kpi_open opened; safe to call twice. */
void salesctl_kpi_close (salesctl_kpi_t *self);

/* ---------------------------------------------------- salesctl_follow.c */

/* A command that shows an outbox stream of condition transitions
   (`salesctl notices`, `salesctl warnings`): what is its own. The rest
   is one shape: the history (--after SEQ) or the conditions firing now,
   one line or JSON object per message and a count, or with --follow a
   live feed after that snapshot (salesctl_follow.h). Its options table
   must hold json, after, follow, endpoint, timeout and the mode flag. */
typedef struct {
    const char *command;            /* e.g. "notices", for messages */
    const char *noun;               /* one message: "notice" ("3 notices") */
    const char *mode;               /* the flag switching the snapshot: "all", "firing" */
    bool firing_by_default;         /* the snapshot is the firing set unless mode or --after */
    const sp_outbox_store_t *store; /* the stream's tables */
    int (*print) (const void *record, bool json); /* one record; -1 out of memory */
    const char *topic;                            /* topic prefix subscribed to with --follow */
    const ProtobufCMessageDescriptor *descriptor; /* the message on the wire */
    size_t message_max;                           /* its largest size, bytes */
    /* Reads a received message into record (the store's record type) and
       sets *sequence. Returns 0, or -1 with the reason. */
    int (*read) (const ProtobufCMessage *message, void *record, int64_t *sequence, char *error,
                 size_t error_size);
    /* Optional (NULL: every record): true when record is to be printed
       (the command's own filters, e.g. --customer), keep_arg handed over.
       Counts and --follow's sequence tracking still see every record. */
    bool (*keep) (const void *record, const void *keep_arg);
    const void *keep_arg;
} salesctl_listing_t;

/* Runs a listing command with its parsed config (borrowed). Returns
   SALESCTL_EXIT_OK, or SALESCTL_EXIT_FAILURE after printing why. */
int salesctl_listing_run (const sp_config_t *config, const salesctl_listing_t *listing);

/* ------------------------------------------------------------ commands */

/* `salesctl kpi`: every KPI of a scope in a period against its target,
   with pace (cmd_kpi.c). */
int salesctl_kpi (int argc, char **argv);

/* `salesctl scorecard`: the ranked members of a scope with their scores
   (cmd_scorecard.c). */
int salesctl_scorecard (int argc, char **argv);

/* `salesctl report`: the daily, weekly or monthly report of a scope
   (cmd_report.c). */
int salesctl_report (int argc, char **argv);

/* `salesctl close-period`: closes a period for every service that keeps
   period records (cmd_close_period.c). */
int salesctl_close_period (int argc, char **argv);

/* `salesctl migrate`: applies migrations and fixes the partition count. */
int salesctl_migrate (int argc, char **argv);

/* `salesctl publish`: sends events from a file through sp_ingest_client. */
int salesctl_publish (int argc, char **argv);

/* `salesctl dead-letters`: lists the dead_letters table, newest first. */
int salesctl_dead_letters (int argc, char **argv);

/* `salesctl status`: instances, partition owners, checkpoints and lag of
   the consumer services (cmd_status.c). */
int salesctl_status (int argc, char **argv);

/* `salesctl rebuild`: raises a service's rebuild epoch, optionally waits
   until every partition was rebuilt (cmd_rebuild.c). */
int salesctl_rebuild (int argc, char **argv);

/* `salesctl quarantine`: lists events consumers gave up on, newest first
   (cmd_quarantine.c). */
int salesctl_quarantine (int argc, char **argv);

/* `salesctl load KIND FILE`: validates a document of reference data with
   its service's own code and stores its canonical form as the next
   version when it changed (cmd_load.c). */
int salesctl_load (int argc, char **argv);

/* `salesctl definitions`: the reference data loaded, latest versions,
   and the versions the running instances use (cmd_definitions.c). */
int salesctl_definitions (int argc, char **argv);

/* `salesctl funnels`: lists the latest version of each funnel, or every
   version of one (cmd_funnels.c). */
int salesctl_funnels (int argc, char **argv);

/* `salesctl funnel`: a funnel's steps, conversion, drop-off and outcome
   figures for a scope and period, from funnel-tracker (cmd_funnel.c). */
int salesctl_funnel (int argc, char **argv);

/* `salesctl pipeline`: open pipeline by step, weighted value and
   velocity (cmd_pipeline.c). */
int salesctl_pipeline (int argc, char **argv);

/* `salesctl notices`: funnel bottleneck notices firing now, their history
   or a live feed (cmd_notices.c). */
int salesctl_notices (int argc, char **argv);

/* `salesctl warnings`: KPI pace warnings, their history, the conditions
   firing now or a live feed (cmd_warnings.c). */
int salesctl_warnings (int argc, char **argv);

/* `salesctl alerts`: churn alerts, their history, the alerts firing now
   or a live feed (cmd_alerts.c). */
int salesctl_alerts (int argc, char **argv);

/* `salesctl ack`: acknowledges a customer's firing churn alerts
   (cmd_alerts.c). */
int salesctl_ack (int argc, char **argv);

/* `salesctl health`: a customer's health score as of a day, explained
   (cmd_health.c). */
int salesctl_health (int argc, char **argv);

/* salesctl statement: a rep's commission statement for a period
   (cmd_statement.c). */
int salesctl_statement (int argc, char **argv);

/* salesctl whatif: what one more deal would add to a rep's statement
   (cmd_statement.c). */
int salesctl_whatif (int argc, char **argv);

/* salesctl statements: the statements locked by close-period, history or
   live (cmd_statements.c). */
int salesctl_statements (int argc, char **argv);

/* salesctl contest: the leaderboard of a plan's SPIFF or contest
   (cmd_contest.c). */
int salesctl_contest (int argc, char **argv);

/* `salesctl keys`: makes and lists ZeroMQ CURVE certificates
   (cmd_keys.c). */
int salesctl_keys (int argc, char **argv);

/* ---------------------------------------------------- cmd_load.c */

/* The kinds of reference data the services define (one table, in
   cmd_load.c): the kind named name or NULL; their names as "a, b" in
   buffer; their count and the one at index (NULL past the end). */
const sp_refdata_kind_t *salesctl_kind (const char *name);
const char *salesctl_kind_names (char *buffer, size_t size);
size_t salesctl_kind_count (void);
const sp_refdata_kind_t *salesctl_kind_at (size_t index);

/* Prints object (taken: its reference is released) as one compact JSON
   line on stdout, keys in insertion order. NULL (a failed json_pack) or
   out of memory returns -1 with nothing printed; 0 otherwise. */
int salesctl_print_json (json_t *object);

#endif
