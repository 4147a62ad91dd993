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
              "most events accepted in one request (1..100000)" },
        };

    Flags are accepted as `--name value` and `--name=value`; booleans also as
    a bare `--name` (true) and take true/false/1/0/yes/no/on/off. Integers
    are decimal int64 with an optional range check (min/max in the table;
    both 0 means unbounded). Unknown flags, missing values, malformed
    numbers and out-of-range values are errors naming the flag or variable.
    Positional arguments (not starting with --) are kept in order for the
    program; `--` ends flag parsing.
*/
#ifndef SP_CONFIG_H_INCLUDED
#define SP_CONFIG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum {
    SP_CONFIG_STRING = 0,
    SP_CONFIG_INT = 1,
    SP_CONFIG_BOOL = 2,
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

/* Creates a configuration for one program. The table is borrowed and must
   outlive the object (it is normally static). Two tables may be given: the
   shared one (sp_config_common_options) and the program's own; either may
   be NULL. Returns NULL if two entries share a name. */
sp_config_t *sp_config_new (const char *program, const char *summary,
                            const sp_config_option_t *common, size_t common_count,
                            const sp_config_option_t *options, size_t count);

/* Destroys the configuration; no-op on NULL; sets *self_p to NULL. */
void sp_config_destroy (sp_config_t **self_p);

/* Applies environment (envp: NULL-terminated "NAME=value" array, normally
   `environ`) then argv. On SP_CONFIG_HELP the help went to help_stream.
   On SP_CONFIG_ERROR error holds e.g.
   `invalid value "abc" for --max-batch: expected an integer`. */
sp_config_result_t sp_config_parse (sp_config_t *self, int argc, char *const *argv,
                                    char *const *envp, FILE *help_stream, char *error,
                                    size_t error_size);

/* Writes usage, summary and one line per setting with flag, variable,
   default and help. */
void sp_config_print_help (const sp_config_t *self, FILE *stream);

/* Value of a setting; the name must exist in a table (asserted). */
const char *sp_config_string (const sp_config_t *self, const char *name);
int64_t sp_config_int (const sp_config_t *self, const char *name);
bool sp_config_bool (const sp_config_t *self, const char *name);

/* Where the value came from: "default", "env" or "flag" (for start-up logs). */
const char *sp_config_source (const sp_config_t *self, const char *name);

/* Positional arguments, in order. */
size_t sp_config_arg_count (const sp_config_t *self);
const char *sp_config_arg (const sp_config_t *self, size_t index);

/* Settings every service shares: log-level, log-format, http (health and
   metrics listen address), postgres (conninfo URL), redis (URL),
   partitions, time-zone. */
extern const sp_config_option_t sp_config_common_options[];
extern const size_t sp_config_common_option_count;

#endif
