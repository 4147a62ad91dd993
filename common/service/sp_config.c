/*  sp_config - flags and environment variables from one defaults table
    (see sp_config.h).

    The object keeps one flat list of borrowed table entries (common ones
    first) and, parallel to it, the values in effect. A parse builds a
    complete new set of values in a staging state and swaps it in only when
    everything was valid, so a failed parse never leaves half-applied
    settings behind.
*/
#include "sp_config.h"
#include "sp_error.h"

#include "sp_log.h"
#include "sp_money.h"
#include "sp_partition.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#define SP_CONFIG_FLAG_PREFIX "--"          /* long flags start with this */
#define SP_CONFIG_FLAG_PREFIX_LENGTH 2      /* strlen (SP_CONFIG_FLAG_PREFIX) */
#define SP_CONFIG_HELP_NAME "help"          /* reserved long flag */
#define SP_CONFIG_HELP_SHORT "-h"           /* short form of --help */
#define SP_CONFIG_HELP_LABEL "-h, --help"   /* left column of the help line */
#define SP_CONFIG_HELP_TEXT "show this help and exit"
#define SP_CONFIG_VALUE_LABEL " VALUE"      /* placeholder after a flag taking a value */
#define SP_CONFIG_INDENT 2                  /* spaces before each option line */
#define SP_CONFIG_GAP 2                     /* spaces between flag column and help */
#define SP_CONFIG_BARE_BOOL "true"          /* value of a bare boolean flag */

const sp_config_option_t sp_config_common_options[] = {
    { "log-level", "SP_LOG_LEVEL", SP_CONFIG_STRING, "info",
      "lowest level logged: debug|info|warn|error", 0, 0 },
    { "log-format", "SP_LOG_FORMAT", SP_CONFIG_STRING, "logfmt",
      "log record layout: logfmt|json", 0, 0 },
    { "postgres", "SP_POSTGRES_URL", SP_CONFIG_STRING,
      "postgresql://salespulse@127.0.0.1:5432/salespulse", "libpq connection URL", 0, 0 },
    { "redis", "SP_REDIS_URL", SP_CONFIG_STRING, "redis://127.0.0.1:6379/0", "Redis URL", 0,
      0 },
    { "partitions", "SP_PARTITIONS", SP_CONFIG_INT, "16",
      "number of event-log partitions; fixed when the database is set up", 1,
      SP_PARTITIONS_MAX },
    { "time-zone", "SP_TIME_ZONE", SP_CONFIG_STRING, "UTC",
      "IANA time zone periods are cut in", 0, 0 },
    { "curve-secret", "SP_CURVE_SECRET", SP_CONFIG_STRING, NULL,
      "this process's ZeroMQ CURVE certificate, the NAME_secret file of `salesctl keys new` "
      "(unset: plain ZeroMQ)",
      0, 0 },
    { "curve-clients", "SP_CURVE_CLIENTS", SP_CONFIG_STRING, NULL,
      "directory of the client public certificates the sockets this process binds admit "
      "(services; needs --curve-secret)",
      0, 0 },
    { "curve-server", "SP_CURVE_SERVER", SP_CONFIG_STRING, NULL,
      "public certificate of the server this process connects to (needs --curve-secret)", 0, 0 },
};
const size_t sp_config_common_option_count =
    sizeof sp_config_common_options / sizeof sp_config_common_options[0];

typedef enum {
    S_SOURCE_DEFAULT = 0,
    S_SOURCE_ENV = 1,
    S_SOURCE_FLAG = 2,
} s_source_t;

static const char *const s_source_names[] = { "default", "env", "flag" };

/* The value of one setting. */
typedef struct {
    char *text;        /* the value as given (owned copy); NULL = unset */
    int64_t integer;   /* SP_CONFIG_INT: parsed text; 0 when unset */
    bool boolean;      /* SP_CONFIG_BOOL: parsed text; false when unset */
    s_source_t source; /* where text came from */
} s_value_t;

/* Everything a parse produces; swapped in whole on success. */
typedef struct {
    s_value_t *values; /* one per option, same order as the option list */
    char **args;       /* positional arguments (owned copies) */
    size_t arg_count;  /* entries used in args */
} s_state_t;

struct _sp_config_t {
    char *program;                      /* name shown in the usage line */
    char *summary;                      /* paragraph under the usage line, or NULL */
    const sp_config_option_t **options; /* every setting, common first (borrowed) */
    size_t option_count;                /* entries in options */
    s_state_t state;                    /* values in effect */
};

/* The result of parsing an integer. */
typedef enum {
    S_INT_OK = 0,
    S_INT_MALFORMED = 1, /* not -?[0-9]+ */
    S_INT_OVERFLOW = 2,  /* outside int64 */
} s_int_result_t;

static s_int_result_t
s_parse_int (const char *text, int64_t *value)
{
    const char *digits = text[0] == '-' ? text + 1 : text;
    if (*digits < '0' || *digits > '9')
        return S_INT_MALFORMED;
    char *end = NULL;
    errno = 0;
    long long parsed = strtoll (text, &end, 10);
    if (*end != '\0')
        return S_INT_MALFORMED;
    if (errno == ERANGE)
        return S_INT_OVERFLOW;
    *value = (int64_t) parsed;
    return S_INT_OK;
}

/* Returns 0 and sets *value for a recognised boolean word, else -1. */
static int
s_parse_bool (const char *text, bool *value)
{
    static const char *const true_words[] = { "true", "1", "yes", "on" };
    static const char *const false_words[] = { "false", "0", "no", "off" };
    for (size_t i = 0; i < sizeof true_words / sizeof true_words[0]; i++) {
        if (strcasecmp (text, true_words[i]) == 0) {
            *value = true;
            return 0;
        }
        if (strcasecmp (text, false_words[i]) == 0) {
            *value = false;
            return 0;
        }
    }
    return -1;
}

static bool
s_is_bounded (const sp_config_option_t *option)
{
    return option->min != 0 || option->max != 0;
}

/* Parses text for an option into value (which is left untouched on error).
   label names the origin in messages: "--name" or the variable name. */
static int
s_assign (const sp_config_option_t *option, s_value_t *value, const char *text,
          s_source_t source, const char *label_prefix, const char *label, char *error,
          size_t error_size)
{
    int64_t integer = 0;
    bool boolean = false;
    if (option->type == SP_CONFIG_INT) {
        s_int_result_t result = s_parse_int (text, &integer);
        if (result == S_INT_MALFORMED) {
            sp_error_set (error, error_size, "invalid value \"%s\" for %s%s: expected an integer", text,
                    label_prefix, label);
            return -1;
        }
        if (s_is_bounded (option)
            && (result == S_INT_OVERFLOW || integer < option->min || integer > option->max)) {
            sp_error_set (error, error_size,
                    "invalid value \"%s\" for %s%s: must be between %" PRId64 " and %" PRId64,
                    text, label_prefix, label, option->min, option->max);
            return -1;
        }
        if (result == S_INT_OVERFLOW) {
            sp_error_set (error, error_size,
                    "invalid value \"%s\" for %s%s: expected a 64-bit integer", text,
                    label_prefix, label);
            return -1;
        }
    }
    else if (option->type == SP_CONFIG_BOOL) {
        if (s_parse_bool (text, &boolean) != 0) {
            sp_error_set (error, error_size, "invalid value \"%s\" for %s%s: expected true or false",
                    text, label_prefix, label);
            return -1;
        }
    }
    else if (option->type == SP_CONFIG_CURRENCY && !sp_money_currency_valid (text)) {
        sp_error_set (error, error_size,
                      "invalid value \"%s\" for %s%s: expected an ISO-4217 currency code such as USD",
                      text, label_prefix, label);
        return -1;
    }
    char *copy = strdup (text);
    if (!copy) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    free (value->text);
    value->text = copy;
    value->integer = integer;
    value->boolean = boolean;
    value->source = source;
    return 0;
}

static void
s_state_clear (s_state_t *state, size_t option_count)
{
    if (state->values)
        for (size_t i = 0; i < option_count; i++)
            free (state->values[i].text);
    free (state->values);
    for (size_t i = 0; i < state->arg_count; i++)
        free (state->args[i]);
    free (state->args);
    memset (state, 0, sizeof *state);
}

/* Fills state with every option's default. Defaults were validated by
   sp_config_new, so the only failure is running out of memory. */
static int
s_state_init (const sp_config_t *self, s_state_t *state, char *error, size_t error_size)
{
    memset (state, 0, sizeof *state);
    state->values = calloc (self->option_count ? self->option_count : 1, sizeof *state->values);
    if (!state->values) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < self->option_count; i++) {
        const sp_config_option_t *option = self->options[i];
        if (option->default_value
            && s_assign (option, &state->values[i], option->default_value, S_SOURCE_DEFAULT,
                         SP_CONFIG_FLAG_PREFIX, option->name, error, error_size)
                   != 0) {
            s_state_clear (state, self->option_count);
            return -1;
        }
    }
    return 0;
}

static int
s_state_add_arg (s_state_t *state, const char *arg, char *error, size_t error_size)
{
    char **args = realloc (state->args, (state->arg_count + 1) * sizeof *args);
    if (!args)
        goto out_of_memory;
    state->args = args;
    args[state->arg_count] = strdup (arg);
    if (!args[state->arg_count])
        goto out_of_memory;
    state->arg_count++;
    return 0;

out_of_memory:
    sp_error_set (error, error_size, "out of memory");
    return -1;
}

/* Index of the option with this name (length bytes), or -1. */
static ssize_t
s_find (const sp_config_t *self, const char *name, size_t length)
{
    for (size_t i = 0; i < self->option_count; i++) {
        const char *candidate = self->options[i]->name;
        if (strlen (candidate) == length && memcmp (candidate, name, length) == 0)
            return (ssize_t) i;
    }
    return -1;
}

static size_t
s_find_required (const sp_config_t *self, const char *name)
{
    assert (self);
    assert (name);
    ssize_t index = s_find (self, name, strlen (name));
    assert (index >= 0);
    return (size_t) index;
}

/* Asserts that a table entry is well formed, including its default. */
static void
s_check_option (const sp_config_option_t *option)
{
    assert (option->name && option->name[0] != '\0' && option->name[0] != '-');
    assert (strchr (option->name, '=') == NULL);
    assert (option->env == NULL || (option->env[0] != '\0' && !strchr (option->env, '=')));
    assert (option->type == SP_CONFIG_STRING || option->type == SP_CONFIG_INT
            || option->type == SP_CONFIG_BOOL || option->type == SP_CONFIG_CURRENCY);
    assert (option->help);
    assert (option->min <= option->max);
    if (option->default_value) {
        s_value_t value = { 0 };
        char error[SP_CONFIG_ERROR_SIZE];
        int rc = s_assign (option, &value, option->default_value, S_SOURCE_DEFAULT,
                           SP_CONFIG_FLAG_PREFIX, option->name, error, sizeof error);
        free (value.text);
        /* The only other failure is out of memory, reported by s_state_init. */
        assert (rc == 0 || strcmp (error, "out of memory") == 0);
    }
}

/* Logs and returns -1 when an option repeats a name or variable seen
   earlier in the list, or takes the reserved name "help". */
static int
s_check_unique (const sp_config_t *self, size_t index)
{
    const sp_config_option_t *option = self->options[index];
    if (strcmp (option->name, SP_CONFIG_HELP_NAME) == 0) {
        sp_log_error ("reserved configuration option name", "name=\"%s\"", option->name);
        return -1;
    }
    for (size_t i = 0; i < index; i++) {
        const sp_config_option_t *earlier = self->options[i];
        if (strcmp (earlier->name, option->name) == 0) {
            sp_log_error ("duplicate configuration option", "name=\"%s\"", option->name);
            return -1;
        }
        if (earlier->env && option->env && strcmp (earlier->env, option->env) == 0) {
            sp_log_error ("duplicate configuration variable", "env=\"%s\"", option->env);
            return -1;
        }
    }
    return 0;
}

sp_config_t *
sp_config_new (const char *program, const char *summary, const sp_config_option_t *common,
               size_t common_count, const sp_config_option_t *options, size_t count)
{
    assert (program);
    assert (common || common_count == 0);
    assert (options || count == 0);

    sp_config_t *self = calloc (1, sizeof *self);
    if (!self)
        goto out_no_memory;
    self->program = strdup (program);
    if (!self->program)
        goto out_no_memory;
    if (summary) {
        self->summary = strdup (summary);
        if (!self->summary)
            goto out_no_memory;
    }
    self->option_count = common_count + count;
    self->options = calloc (self->option_count ? self->option_count : 1, sizeof *self->options);
    if (!self->options)
        goto out_no_memory;
    for (size_t i = 0; i < common_count; i++)
        self->options[i] = &common[i];
    for (size_t i = 0; i < count; i++)
        self->options[common_count + i] = &options[i];

    for (size_t i = 0; i < self->option_count; i++) {
        s_check_option (self->options[i]);
        if (s_check_unique (self, i) != 0)
            goto out_destroy;
    }
    char error[SP_CONFIG_ERROR_SIZE];
    if (s_state_init (self, &self->state, error, sizeof error) != 0)
        goto out_no_memory;
    return self;

out_no_memory:
    sp_log_error ("could not create configuration", "program=\"%s\" error=\"out of memory\"",
                  program);
out_destroy:
    sp_config_destroy (&self);
    return NULL;
}

void
sp_config_destroy (sp_config_t **self_p)
{
    assert (self_p);
    sp_config_t *self = *self_p;
    if (!self)
        return;
    s_state_clear (&self->state, self->option_count);
    free (self->options);
    free (self->summary);
    free (self->program);
    free (self);
    *self_p = NULL;
}

/* Applies the first "NAME=value" entry of envp for each option with a
   variable (the entry getenv would find). */
static int
s_apply_environment (const sp_config_t *self, s_state_t *state, char *const *envp, char *error,
                     size_t error_size)
{
    if (!envp)
        return 0;
    for (size_t i = 0; i < self->option_count; i++) {
        const sp_config_option_t *option = self->options[i];
        if (!option->env)
            continue;
        size_t length = strlen (option->env);
        for (char *const *entry = envp; *entry; entry++) {
            if (strncmp (*entry, option->env, length) == 0 && (*entry)[length] == '=') {
                if (s_assign (option, &state->values[i], *entry + length + 1, S_SOURCE_ENV, "",
                              option->env, error, error_size)
                    != 0)
                    return -1;
                break;
            }
        }
    }
    return 0;
}

/* Applies argv; returns SP_CONFIG_HELP when help was asked for. */
static sp_config_result_t
s_apply_arguments (const sp_config_t *self, s_state_t *state, int argc, char *const *argv,
                   char *error, size_t error_size)
{
    bool flags_done = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        assert (arg);
        if (flags_done || arg[0] != '-' || arg[1] == '\0') {
            if (s_state_add_arg (state, arg, error, error_size) != 0)
                return SP_CONFIG_ERROR;
            continue;
        }
        if (strcmp (arg, SP_CONFIG_FLAG_PREFIX) == 0) {
            flags_done = true;
            continue;
        }
        if (strcmp (arg, SP_CONFIG_HELP_SHORT) == 0)
            return SP_CONFIG_HELP;
        if (strncmp (arg, SP_CONFIG_FLAG_PREFIX, SP_CONFIG_FLAG_PREFIX_LENGTH) != 0) {
            sp_error_set (error, error_size, "unknown option \"%s\"", arg);
            return SP_CONFIG_ERROR;
        }
        const char *name = arg + SP_CONFIG_FLAG_PREFIX_LENGTH;
        const char *equals = strchr (name, '=');
        size_t name_length = equals ? (size_t) (equals - name) : strlen (name);
        if (name_length == strlen (SP_CONFIG_HELP_NAME)
            && memcmp (name, SP_CONFIG_HELP_NAME, name_length) == 0) {
            if (!equals)
                return SP_CONFIG_HELP;
            sp_error_set (error, error_size, "option --%s takes no value", SP_CONFIG_HELP_NAME);
            return SP_CONFIG_ERROR;
        }
        ssize_t index = s_find (self, name, name_length);
        if (index < 0) {
            sp_error_set (error, error_size, "unknown option \"%.*s\"",
                    (int) (name_length + SP_CONFIG_FLAG_PREFIX_LENGTH), arg);
            return SP_CONFIG_ERROR;
        }
        const sp_config_option_t *option = self->options[index];
        const char *value = NULL;
        if (equals)
            value = equals + 1;
        else if (option->type == SP_CONFIG_BOOL)
            value = SP_CONFIG_BARE_BOOL;
        else if (i + 1 < argc
                 && strncmp (argv[i + 1], SP_CONFIG_FLAG_PREFIX, SP_CONFIG_FLAG_PREFIX_LENGTH)
                        != 0)
            value = argv[++i];
        else {
            sp_error_set (error, error_size, "option --%s needs a value", option->name);
            return SP_CONFIG_ERROR;
        }
        if (s_assign (option, &state->values[index], value, S_SOURCE_FLAG, SP_CONFIG_FLAG_PREFIX,
                      option->name, error, error_size)
            != 0)
            return SP_CONFIG_ERROR;
    }
    return SP_CONFIG_OK;
}

sp_config_result_t
sp_config_parse (sp_config_t *self, int argc, char *const *argv, char *const *envp,
                 FILE *help_stream, char *error, size_t error_size)
{
    assert (self);
    assert (argc >= 0);
    assert (argv || argc == 0);

    /* Messages go to a local buffer first so error is untouched unless the
       result is SP_CONFIG_ERROR. */
    char message[SP_CONFIG_ERROR_SIZE] = "";
    sp_config_result_t result = SP_CONFIG_ERROR;
    s_state_t state;
    if (s_state_init (self, &state, message, sizeof message) != 0)
        goto out_report;
    if (s_apply_environment (self, &state, envp, message, sizeof message) != 0)
        goto out_clear_state;
    result = s_apply_arguments (self, &state, argc, argv, message, sizeof message);
    if (result == SP_CONFIG_HELP)
        sp_config_print_help (self, help_stream ? help_stream : stdout);
    if (result != SP_CONFIG_OK)
        goto out_clear_state;

    s_state_clear (&self->state, self->option_count);
    self->state = state;
    return SP_CONFIG_OK;

out_clear_state:
    s_state_clear (&state, self->option_count);
out_report:
    if (result == SP_CONFIG_ERROR)
        sp_error_set (error, error_size, "%s", message);
    return result;
}

/* Width of an option's left help column: "--name" plus " VALUE". */
static size_t
s_flag_width (const sp_config_option_t *option)
{
    size_t width = SP_CONFIG_FLAG_PREFIX_LENGTH + strlen (option->name);
    if (option->type != SP_CONFIG_BOOL)
        width += strlen (SP_CONFIG_VALUE_LABEL);
    return width;
}

void
sp_config_print_help (const sp_config_t *self, FILE *stream)
{
    assert (self);
    assert (stream);
    fprintf (stream, "Usage: %s [OPTIONS]\n", self->program);
    if (self->summary)
        fprintf (stream, "\n%s\n", self->summary);
    fprintf (stream, "\nOptions:\n");

    size_t column = strlen (SP_CONFIG_HELP_LABEL);
    for (size_t i = 0; i < self->option_count; i++) {
        size_t width = s_flag_width (self->options[i]);
        if (width > column)
            column = width;
    }
    for (size_t i = 0; i < self->option_count; i++) {
        const sp_config_option_t *option = self->options[i];
        fprintf (stream, "%*s%s%s%s", SP_CONFIG_INDENT, "", SP_CONFIG_FLAG_PREFIX, option->name,
                 option->type == SP_CONFIG_BOOL ? "" : SP_CONFIG_VALUE_LABEL);
        fprintf (stream, "%*s%s", (int) (column - s_flag_width (option) + SP_CONFIG_GAP), "",
                 option->help);
        if (option->env && option->default_value)
            fprintf (stream, " (env %s, default: %s)", option->env,
                     option->default_value[0] ? option->default_value : "\"\"");
        else if (option->env)
            fprintf (stream, " (env %s)", option->env);
        else if (option->default_value)
            fprintf (stream, " (default: %s)",
                     option->default_value[0] ? option->default_value : "\"\"");
        fprintf (stream, "\n");
    }
    fprintf (stream, "%*s%-*s%*s%s\n", SP_CONFIG_INDENT, "", (int) column, SP_CONFIG_HELP_LABEL,
             SP_CONFIG_GAP, "", SP_CONFIG_HELP_TEXT);
}

const char *
sp_config_string (const sp_config_t *self, const char *name)
{
    return self->state.values[s_find_required (self, name)].text;
}

int64_t
sp_config_int (const sp_config_t *self, const char *name)
{
    size_t index = s_find_required (self, name);
    assert (self->options[index]->type == SP_CONFIG_INT);
    return self->state.values[index].integer;
}

bool
sp_config_bool (const sp_config_t *self, const char *name)
{
    size_t index = s_find_required (self, name);
    assert (self->options[index]->type == SP_CONFIG_BOOL);
    return self->state.values[index].boolean;
}

const char *
sp_config_source (const sp_config_t *self, const char *name)
{
    return s_source_names[self->state.values[s_find_required (self, name)].source];
}

size_t
sp_config_arg_count (const sp_config_t *self)
{
    assert (self);
    return self->state.arg_count;
}

const char *
sp_config_arg (const sp_config_t *self, size_t index)
{
    assert (self);
    assert (index < self->state.arg_count);
    return self->state.args[index];
}
