/*  sp_harness_crm - the acceptance tests on the Maven Analytics CRM data
    set (deploy/demo/crm/): test_funnel_crm and test_kpi_crm replay it
    through the real activity-ingest into a real service and compare what
    salesctl reports with an SQL oracle over the CSV files. What they share
    is written here once: the stack, salesctl with its output kept, the
    reference data loaded from the source tree, the service under test
    started on free ports and stopped, the converter's events published
    (every one accepted), the wait until the service applied them all,
    the CSV files COPYed into crm_pipeline and crm_teams, the oracle run,
    and the report of a figure that differs.

    The harness is linked into the benchmarks too, which do not link
    cmocka, so nothing here fails a test itself: each function prints what
    went wrong and returns NULL or -1, and the test asserts on that.
*/
#ifndef SP_HARNESS_CRM_H_INCLUDED
#define SP_HARNESS_CRM_H_INCLUDED

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sp_harness_consumer.h"
#include "sp_pg.h"

/* The data set's facts (deploy/demo/crm/README.md). */
#define SP_HARNESS_CRM_OPPORTUNITIES 8800
#define SP_HARNESS_CRM_ENGAGED 8300 /* rows with an engage_date */
#define SP_HARNESS_CRM_WON 4238
#define SP_HARNESS_CRM_LOST 2473
#define SP_HARNESS_CRM_EVENTS                                                                      \
    (SP_HARNESS_CRM_OPPORTUNITIES + SP_HARNESS_CRM_ENGAGED + SP_HARNESS_CRM_WON +                  \
     SP_HARNESS_CRM_LOST)
#define SP_HARNESS_CRM_WON_AMOUNT_MINOR INT64_C (1000553400) /* 10,005,534 USD in cents */
#define SP_HARNESS_CRM_AGENTS 35                             /* in sales_teams.csv */

/* Room for a salesctl run's stdout (output) and stderr (errors). */
#define SP_HARNESS_CRM_OUTPUT_SIZE (1024 * 1024)

/* How long the service under test may take to exit on SIGTERM. */
#define SP_HARNESS_CRM_STOP_MS 30000

/* Room for a setting, a message, a name. */
#define SP_HARNESS_CRM_TEXT_SIZE 512

/* One test file's run (a cmocka group's state): the tests read the
   fields directly. */
typedef struct {
    sp_harness_consumer_stack_t *stack;          /* servers, connections, activity-ingest */
    char application[SP_HARNESS_CRM_TEXT_SIZE];  /* the test's name, in messages */
    int partitions;                              /* recorded in the test database */
    int run_timeout_ms;                          /* one salesctl or converter run */
    pid_t service;                               /* the service under test, 0 until started */
    int http_port;                               /* its /healthz and /metrics */
    char service_name[SP_HARNESS_CRM_TEXT_SIZE]; /* e.g. "kpi-evaluator" */
    char service_log[PATH_MAX];                  /* its log */
    char events_path[PATH_MAX];                  /* the converter's output */
    char stderr_path[PATH_MAX];                  /* last salesctl stderr */
    char *output;                                /* last salesctl stdout */
    char *errors;                                /* last salesctl stderr, read back */
} sp_harness_crm_t;

/* One oracle row being compared: where differences are reported. */
typedef struct {
    const char *scope;  /* e.g. "region:Central" */
    const char *period; /* e.g. "2017-Q2" */
    int differences;    /* found so far */
} sp_harness_crm_compare_t;

/* Starts the stack for partitions partitions (application names the test
   and its PostgreSQL connection), waiting up to start_timeout_ms; each
   salesctl or converter run may take run_timeout_ms. Returns it, or NULL
   (printed) after stopping what had started. */
sp_harness_crm_t *sp_harness_crm_new (const char *application, int partitions, int start_timeout_ms,
                                      int run_timeout_ms);

/* Stops the stack (not the service: sp_harness_crm_stop) and frees; no-op
   on NULL; sets *self_p to NULL. */
void sp_harness_crm_destroy (sp_harness_crm_t **self_p);

/* "<source dir>/<relative>" into path; -1 when it does not fit. */
int sp_harness_crm_path (const char *relative, char *path, size_t size);

/* Runs salesctl with arguments (NULL terminated) plus the harness's
   --postgres and --redis; stdout lands in output, stderr in errors.
   Returns its exit status (a failure printed with both). */
int sp_harness_crm_salesctl (sp_harness_crm_t *self, const char *const *arguments);

/* `salesctl load KIND <source dir>/<relative>`; returns its exit status. */
int sp_harness_crm_load (sp_harness_crm_t *self, const char *kind, const char *relative);

/* Starts the built service name on the stack's bus, in UTC and USD, its
   /metrics on a free port and its PUB socket (the setting endpoint_setting,
   e.g. "SP_KPI_WARNINGS_ENDPOINT") on a free endpoint, never the default
   one; waits up to timeout_ms until it owns a partition. Returns 0, or
   -1 (printed). */
int sp_harness_crm_start (sp_harness_crm_t *self, const char *name, const char *endpoint_setting,
                          int timeout_ms);

/* A cmocka group teardown for *state, a run: stops its service within
   SP_HARNESS_CRM_STOP_MS and destroys it. Returns 0, or -1 when the
   service did not exit cleanly. */
int sp_harness_crm_teardown (void **state);

/* Stops the service (SIGTERM) when it runs; returns 0, or -1 (printed)
   when it did not exit cleanly within timeout_ms. */
int sp_harness_crm_stop (sp_harness_crm_t *self, int timeout_ms);

/* Runs the converter (deploy/demo/crm/crm-events.sh) into events_path and
   `salesctl publish --json` of it. Returns 0 when activity-ingest
   accepted every event of the data set (none duplicate, in conflict or
   rejected), else -1 (printed). */
int sp_harness_crm_publish (sp_harness_crm_t *self);

/* Polls `salesctl status --service <service> --json` every poll_ms until
   every partition's checkpoint is at its head and the heads sum to
   events. Returns 0, or -1 (printed) after timeout_ms. */
int sp_harness_crm_wait_applied (sp_harness_crm_t *self, int64_t events, int timeout_ms,
                                 int poll_ms);

/* Fills tables crm_pipeline and crm_teams with COPY from the CSV files as
   they are (again, so each test stands alone). Returns 0 when every row
   was copied, else -1 (printed). */
int sp_harness_crm_load_tables (sp_harness_crm_t *self);

/* Runs the SQL file <source dir>/<relative>; returns its result (the
   caller destroys it), or NULL (printed). */
sp_pg_result_t *sp_harness_crm_oracle (sp_harness_crm_t *self, const char *relative);

/* Compares every row of oracle with compare_row (which returns the
   differences it found, each printed) and prints the total. Returns the
   differences. */
int sp_harness_crm_compare_rows (sp_harness_crm_t *self, const sp_pg_result_t *oracle,
                                 int (*compare_row) (sp_harness_crm_t *self,
                                                     const sp_pg_result_t *oracle, int row));

/* The object parsed from the last line of text (the caller decrefs), or
   NULL (printed) when it is not one. */
json_t *sp_harness_crm_last_json (const char *text);

/* value as text for a message (the caller frees). */
char *sp_harness_crm_json_text (const json_t *value);

/* Reports one difference: `scope "S" period "P": FIELD: expected X, got
   Y`, and counts it. */
void sp_harness_crm_differ (sp_harness_crm_compare_t *compare, const char *field,
                            const char *expected, const char *got);

/* Reports value (its JSON text) as got against expected. */
void sp_harness_crm_differ_json (sp_harness_crm_compare_t *compare, const char *field,
                                 const char *expected, const json_t *value);

/* Compares the integer at value with expected. */
void sp_harness_crm_check_integer (sp_harness_crm_compare_t *compare, const char *field,
                                   const json_t *value, int64_t expected);

/* Compares the string member of object with expected. */
void sp_harness_crm_check_string (sp_harness_crm_compare_t *compare, const json_t *object,
                                  const char *member, const char *expected);

#endif
