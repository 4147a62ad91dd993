/*  salesctl_connect - what several salesctl commands share: connecting to
    PostgreSQL and Redis from the common --postgres (or, for a command that
    only reads, --postgres-readonly) and --redis settings,
    reading the partition count recorded at setup, and checking a service
    name before it becomes a Redis key prefix.

    A command runs once while a person (or a script) waits, so Redis gets
    fewer connection attempts than a service makes at start-up: an
    unreachable server is reported within about a second. Every failure is
    printed once, to stderr, naming the command and the server.
*/
#include "salesctl.h"

#include "sp_event.h"
#include "sp_lease.h"
#include "sp_money.h"
#include "sp_partition.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SALESCTL_REDIS_CONNECT_ATTEMPTS 3      /* attempts before giving up */
#define SALESCTL_REDIS_CONNECT_TIMEOUT_MS 1000 /* one attempt */
#define SALESCTL_PROGRAM_NAME_MAX 64           /* room for "salesctl <command>" */
#define SALESCTL_NUMBER_DIGITS_MAX 20          /* digits of UINT64_MAX */
#define SALESCTL_DECIMAL_BASE 10
#define SALESCTL_MS_PER_SECOND 1000
#define SALESCTL_NS_PER_MS 1000000
#define SALESCTL_HOST_SIZE 64 /* room for the host name in salesctl_who */

const char *
salesctl_postgres_url (const sp_config_t *config, const char *command)
{
    const char *readonly = sp_config_string (config, "postgres-readonly");
    if (salesctl_command_access (command) == SALESCTL_READS && readonly && *readonly)
        return readonly;
    return sp_config_string (config, "postgres");
}

/* Connects as "salesctl <command>" to url, the setting option's. */
static sp_pg_t *
s_postgres_connect (const char *command, const char *url, const char *option)
{
    char application[SALESCTL_PROGRAM_NAME_MAX];
    snprintf (application, sizeof application, "salesctl %s", command);
    sp_pg_t *pg = sp_pg_new (url, application);
    if (!pg) {
        fprintf (stderr, "salesctl %s: invalid --%s URL\n", command, option);
        return NULL;
    }
    if (sp_pg_connect (pg) != 0) {
        fprintf (stderr, "salesctl %s: could not connect to postgresql: %s\n", command,
                 sp_pg_error (pg));
        sp_pg_destroy (&pg);
    }
    return pg;
}

sp_pg_t *
salesctl_postgres_connect (const sp_config_t *config, const char *command)
{
    const char *url = salesctl_postgres_url (config, command);
    return s_postgres_connect (command, url,
                               url == sp_config_string (config, "postgres") ? "postgres"
                                                                             : "postgres-readonly");
}

/* Whether pg is a hot standby. 0, or -1 after printing why. */
static int
s_standby (sp_pg_t *pg, const char *command, const char *option, bool *standby)
{
    sp_pg_result_t *result = sp_pg_exec (pg, "SELECT pg_is_in_recovery()", 0, NULL, NULL, NULL);
    int rc = -1;
    if (sp_pg_result_ok (result) && sp_pg_result_rows (result) == 1) {
        *standby = strcmp (sp_pg_result_value (result, 0, 0), "t") == 0;
        rc = 0;
    }
    else
        fprintf (stderr, "salesctl %s: could not ask --%s whether it is a standby: %s\n", command,
                 option, sp_pg_result_error (result));
    sp_pg_result_destroy (&result);
    return rc;
}

sp_pg_t *
salesctl_heads_connection (const sp_config_t *config, const char *command, sp_pg_t *pg,
                           sp_pg_t **primary)
{
    *primary = NULL;
    bool standby = false;
    if (s_standby (pg, command, "postgres-readonly", &standby) != 0)
        return NULL;
    if (!standby)
        return pg;
    *primary = s_postgres_connect (command, sp_config_string (config, "postgres"), "postgres");
    if (!*primary)
        return NULL;
    if (s_standby (*primary, command, "postgres", &standby) != 0 || standby) {
        if (standby)
            fprintf (stderr,
                     "salesctl %s: --postgres names a standby too: the log's heads must come "
                     "from the primary (a standby's may trail it)\n",
                     command);
        sp_pg_destroy (primary);
        return NULL;
    }
    return *primary;
}

sp_redis_t *
salesctl_redis_connect (const sp_config_t *config, const char *command)
{
    sp_redis_options_t options;
    sp_redis_options_init (&options);
    options.connect_attempts = SALESCTL_REDIS_CONNECT_ATTEMPTS;
    options.connect_timeout_ms = SALESCTL_REDIS_CONNECT_TIMEOUT_MS;
    char error[SP_CONFIG_ERROR_SIZE];
    sp_redis_t *redis =
        sp_redis_new (sp_config_string (config, "redis"), &options, error, sizeof error);
    if (!redis) {
        fprintf (stderr, "salesctl %s: %s\n", command, error);
        return NULL;
    }
    if (sp_redis_connect (redis, error, sizeof error) != 0) {
        fprintf (stderr, "salesctl %s: %s\n", command, error);
        sp_redis_destroy (&redis);
    }
    return redis;
}

int
salesctl_partitions (sp_pg_t *pg, const char *command, uint32_t *partitions)
{
    int rc = -1;
    sp_pg_result_t *result = sp_pg_exec (
        pg, "SELECT value FROM salespulse_settings WHERE name = 'partitions'", 0, NULL, NULL, NULL);
    if (!sp_pg_result_ok (result)) {
        fprintf (stderr, "salesctl %s: could not read the partition count from postgresql: %s\n",
                 command, sp_pg_result_error (result));
        goto out_destroy_result;
    }
    if (sp_pg_result_rows (result) != 1) {
        fprintf (stderr,
                 "salesctl %s: database is not set up: no partition count recorded (run "
                 "\"salesctl migrate\")\n",
                 command);
        goto out_destroy_result;
    }
    int64_t recorded = 0;
    if (sp_pg_result_int64 (result, 0, 0, &recorded) != 0 || recorded < 1 ||
        recorded > SP_PARTITIONS_MAX) {
        fprintf (stderr,
                 "salesctl %s: invalid partition count \"%s\" recorded in "
                 "salespulse_settings\n",
                 command, sp_pg_result_value (result, 0, 0));
        goto out_destroy_result;
    }
    *partitions = (uint32_t) recorded;
    rc = 0;

out_destroy_result:
    sp_pg_result_destroy (&result);
    return rc;
}

void
salesctl_service_invalid (const char *command, const char *name)
{
    char quoted[SP_EVENT_QUOTE_SIZE];
    sp_event_quote (name, strlen (name), quoted, sizeof quoted);
    fprintf (stderr,
             "salesctl %s: invalid service name \"%s\": expected 1..%d characters of a-z, 0-9 "
             "and \"-\"\n",
             command, quoted, SP_LEASE_SERVICE_MAX - 1);
}

int
salesctl_reply_number (const sp_redis_reply_t *reply, uint64_t *value)
{
    *value = 0;
    sp_redis_reply_type_t type = sp_redis_reply_type (reply);
    if (type == SP_REDIS_REPLY_NIL)
        return 0;
    if (type == SP_REDIS_REPLY_INTEGER) {
        int64_t number = sp_redis_reply_integer (reply);
        if (number < 0)
            return -1;
        *value = (uint64_t) number;
        return 1;
    }
    if (type != SP_REDIS_REPLY_STRING)
        return -1;
    size_t length = 0;
    const char *text = sp_redis_reply_string (reply, &length);
    if (length == 0 || length > SALESCTL_NUMBER_DIGITS_MAX)
        return -1;
    uint64_t number = 0;
    for (size_t index = 0; index < length; index++) {
        if (text[index] < '0' || text[index] > '9')
            return -1;
        uint64_t digit = (uint64_t) (text[index] - '0');
        if (number > (UINT64_MAX - digit) / SALESCTL_DECIMAL_BASE)
            return -1;
        number = number * SALESCTL_DECIMAL_BASE + digit;
    }
    *value = number;
    return 1;
}

int64_t
salesctl_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * SALESCTL_MS_PER_SECOND + now.tv_nsec / SALESCTL_NS_PER_MS;
}

const char *
salesctl_money (int64_t minor, const char *currency, char *buffer)
{
    if (sp_money_format (minor, currency, buffer, SALESCTL_MONEY_TEXT_SIZE) != SP_MONEY_OK)
        snprintf (buffer, SALESCTL_MONEY_TEXT_SIZE, "%" PRId64 " minor units", minor);
    return buffer;
}

const char *
salesctl_json_text (const json_t *object, const char *key)
{
    const char *text = json_string_value (json_object_get (object, key));
    return text ? text : "";
}

int64_t
salesctl_json_number (const json_t *object, const char *key)
{
    return (int64_t) json_integer_value (json_object_get (object, key));
}

int64_t
salesctl_wall_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    return (int64_t) now.tv_sec * SALESCTL_MS_PER_SECOND + now.tv_nsec / SALESCTL_NS_PER_MS;
}

int
salesctl_print_json (json_t *object)
{
    if (!object)
        return -1;
    char *text = json_dumps (object, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (object);
    if (!text)
        return -1;
    printf ("%s\n", text);
    free (text);
    return 0;
}

void
salesctl_who (const char *given, char *buffer, size_t size)
{
    if (given && *given) {
        snprintf (buffer, size, "%s", given);
        return;
    }
    const char *user = getenv ("USER");
    char host[SALESCTL_HOST_SIZE] = "";
    if (gethostname (host, sizeof host - 1) != 0 || !host[0])
        snprintf (host, sizeof host, "localhost");
    snprintf (buffer, size, "%s@%s", user && *user ? user : "salesctl", host);
}
