/*  sp_config - flags and environment variables from one defaults table.

    A program describes its settings once, in a static table; the table
    gives each setting its long flag, its environment variable, its type,
    its default and its help text. Precedence, lowest to highest:
    default < environment variable < command-line flag. `--help` text is
    generated from the same table, so it can never disagree with the code.

        static const sp_config_option_t options[] = {
            { "endpoint", "SP_INGEST_ENDPOINT", SP_CONFIG_STRING,
              "tcp://127.0.0.1:5550", "ROUTER endpoint publishers connect to" },
            { "max-batch", "SP_INGEST_MAX_BATCH", SP_CONFIG_INT, "1000",
              "most events accepted in one request", 1, 100000 },
        };

    Flags are accepted as `--name value` and `--name=value`; a value given
    as a separate argument may not start with "--" (use `--name=--x`).
    Booleans are a bare `--name` (true) or `--name=value`, and take
    true/false/1/0/yes/no/on/off in any case. A currency is an ISO-4217
    code with a known minor unit ("USD", not "usd" or "XXX"). Integers are decimal int64
    with an optional range check (min/max in the table; both 0 means
    unbounded). Unknown flags, missing values, malformed numbers and
    out-of-range values are errors naming the flag (`--max-batch`) or the
    variable (`SP_INGEST_MAX_BATCH`). An environment variable that is set
    but empty counts as set. A repeated flag: the last one wins.
    `-h`/`--help` prints the help. Positional arguments (not starting with
    `-`, or a lone `-`) are kept in order for the program; `--` ends flag
    parsing, everything after it is positional.
*/
#ifndef SP_CONFIG_H_INCLUDED
#define SP_CONFIG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* An error buffer of this size holds any message sp_config_parse writes
   (longer user values are cut). */
#define SP_CONFIG_ERROR_SIZE 512

typedef enum {
    SP_CONFIG_STRING = 0,
    SP_CONFIG_INT = 1,
    SP_CONFIG_BOOL = 2,
    SP_CONFIG_CURRENCY = 3, /* a string that must be an ISO-4217 code (sp_money) */
} sp_config_type_t;

typedef struct {
    const char *name;          /* long flag without "--", e.g. "max-batch" */
    const char *env;           /* environment variable, or NULL for none */
    sp_config_type_t type;     /* how the value is parsed */
    const char *default_value; /* text form of the default; NULL = unset */
    const char *help;          /* one line for --help */
    int64_t min;               /* SP_CONFIG_INT: smallest allowed value */
    int64_t max;               /* SP_CONFIG_INT: largest; min == max == 0: no bound */
} sp_config_option_t;

typedef struct _sp_config_t sp_config_t;

typedef enum {
    SP_CONFIG_OK = 0,     /* parsed; run the program */
    SP_CONFIG_HELP = 1,   /* --help (or -h) was given; help was printed */
    SP_CONFIG_ERROR = -1, /* bad input; error text says which flag and why */
} sp_config_result_t;

/* Creates a configuration for one program, holding the defaults. The
   tables are borrowed and must outlive the object (they are normally
   static). Two tables may be given: the shared one (sp_config_common_options)
   and the program's own; either may be NULL. A malformed entry (empty name,
   default that does not parse or is out of range) is a programmer error and
   asserts. Returns NULL (and logs why) if two entries share a name or an
   environment variable, if an entry is named "help", or when out of memory. */
sp_config_t *sp_config_new (const char *program, const char *summary,
                            const sp_config_option_t *common, size_t common_count,
                            const sp_config_option_t *options, size_t count);

/* Destroys the configuration; no-op on NULL; sets *self_p to NULL. */
void sp_config_destroy (sp_config_t **self_p);

/* Applies defaults, then the environment (envp: NULL-terminated
   "NAME=value" array, normally `environ`; may be NULL), then argv (argv[0]
   is the program and is skipped). On SP_CONFIG_OK the new values and
   positional arguments replace the previous ones. On SP_CONFIG_HELP the
   help went to help_stream (NULL: stdout). On SP_CONFIG_ERROR error holds
   e.g. `invalid value "abc" for --max-batch: expected an integer`. On
   anything but SP_CONFIG_OK the values in effect stay untouched, and error
   is written only on SP_CONFIG_ERROR. Does not log: the caller reports. */
sp_config_result_t sp_config_parse (sp_config_t *self, int argc, char *const *argv,
                                    char *const *envp, FILE *help_stream, char *error,
                                    size_t error_size);

/* Writes usage, summary and one aligned line per setting with flag,
   help, variable and default, then `-h, --help`. */
void sp_config_print_help (const sp_config_t *self, FILE *stream);

/* Value of a setting; the name must exist in a table and, for _int and
   _bool, have that type (asserted). sp_config_string gives the text of any
   type, or NULL when the setting has no default and was not given. An unset
   integer reads 0, an unset boolean false. Strings stay valid until the
   next successful parse or destroy. */
const char *sp_config_string (const sp_config_t *self, const char *name);
int64_t sp_config_int (const sp_config_t *self, const char *name);
bool sp_config_bool (const sp_config_t *self, const char *name);

/* Where the value came from: "default", "env" or "flag" (for start-up logs). */
const char *sp_config_source (const sp_config_t *self, const char *name);

/* Positional arguments, in order; index < sp_config_arg_count (asserted). */
size_t sp_config_arg_count (const sp_config_t *self);
const char *sp_config_arg (const sp_config_t *self, size_t index);

/* Settings every service shares: log-level (SP_LOG_LEVEL, "info"),
   log-format (SP_LOG_FORMAT, "logfmt"), postgres (SP_POSTGRES_URL, libpq
   connection URL), redis (SP_REDIS_URL), partitions (SP_PARTITIONS, 16,
   1..SP_PARTITIONS_MAX), time-zone (SP_TIME_ZONE, "UTC") and ZeroMQ
   CURVE's curve-secret, curve-clients and curve-server (SP_CURVE_SECRET,
   SP_CURVE_CLIENTS, SP_CURVE_SERVER, unset). Values are plain strings
   here; the program validates log level, format, zone and certificates.
   The HTTP listen address is not common: each service declares its own
   `http` option with its own default port. */
extern const sp_config_option_t sp_config_common_options[];
extern const size_t sp_config_common_option_count;

#endif
