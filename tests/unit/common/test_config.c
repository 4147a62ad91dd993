/*  Tests for sp_config: precedence default < env < flag, flag forms,
    positionals, every error message, generated help, table checks in
    sp_config_new, and that failed parses leave values and outputs alone.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sp_config.h"
#include "sp_log.h"
#include "sp_partition.h"

#define ERROR_SENTINEL "untouched"

static const sp_config_option_t s_options[] = {
    { "endpoint", "SP_INGEST_ENDPOINT", SP_CONFIG_STRING, "tcp://127.0.0.1:5550",
      "ROUTER endpoint publishers connect to", 0, 0 },
    { "max-batch", "SP_INGEST_MAX_BATCH", SP_CONFIG_INT, "1000",
      "most events accepted in one request", 1, 100000 },
    { "offset", "SP_INGEST_OFFSET", SP_CONFIG_INT, "-5", "an unbounded integer", 0, 0 },
    { "verbose", "SP_INGEST_VERBOSE", SP_CONFIG_BOOL, "false", "log every request", 0, 0 },
    { "label", NULL, SP_CONFIG_STRING, NULL, "optional label", 0, 0 },
    { "retries", NULL, SP_CONFIG_INT, NULL, "optional count", 0, 0 },
    { "dry-run", NULL, SP_CONFIG_BOOL, NULL, "optional switch", 0, 0 },
    { "empty", "SP_INGEST_EMPTY", SP_CONFIG_STRING, "", "empty by default", 0, 0 },
};
#define OPTION_COUNT (sizeof s_options / sizeof s_options[0])

static sp_config_t *
s_config_new (void)
{
    sp_config_t *config = sp_config_new ("sp-test", "Test program.", NULL, 0, s_options,
                                         OPTION_COUNT);
    assert_non_null (config);
    return config;
}

/* Parses a NULL-terminated argument list (program name added in front). */
static sp_config_result_t
s_parse (sp_config_t *config, const char *const *args, const char *const *env, char *error,
         size_t error_size)
{
    const char *argv[32] = { "sp-test" };
    int argc = 1;
    for (; args && args[argc - 1]; argc++) {
        assert_true ((size_t) argc < sizeof argv / sizeof argv[0]);
        argv[argc] = args[argc - 1];
    }
    return sp_config_parse (config, argc, (char *const *) argv, (char *const *) env, NULL,
                            error, error_size);
}

/* Expects a parse to fail with exactly this message. */
static void
s_expect_error (const char *const *args, const char *const *env, const char *expected)
{
    sp_config_t *config = s_config_new ();
    char error[SP_CONFIG_ERROR_SIZE] = ERROR_SENTINEL;
    assert_int_equal (s_parse (config, args, env, error, sizeof error), SP_CONFIG_ERROR);
    assert_string_equal (error, expected);
    /* Values in effect stay the defaults. */
    assert_int_equal (sp_config_int (config, "max-batch"), 1000);
    assert_string_equal (sp_config_source (config, "max-batch"), "default");
    assert_string_equal (sp_config_string (config, "endpoint"), "tcp://127.0.0.1:5550");
    assert_int_equal (sp_config_arg_count (config), 0);
    sp_config_destroy (&config);
}

static void
test_defaults (void **state)
{
    (void) state;
    sp_config_t *config = s_config_new ();
    assert_string_equal (sp_config_string (config, "endpoint"), "tcp://127.0.0.1:5550");
    assert_int_equal (sp_config_int (config, "max-batch"), 1000);
    assert_string_equal (sp_config_string (config, "max-batch"), "1000");
    assert_int_equal (sp_config_int (config, "offset"), -5);
    assert_false (sp_config_bool (config, "verbose"));
    assert_string_equal (sp_config_string (config, "empty"), "");
    assert_string_equal (sp_config_source (config, "endpoint"), "default");
    /* No default: unset. */
    assert_null (sp_config_string (config, "label"));
    assert_int_equal (sp_config_int (config, "retries"), 0);
    assert_false (sp_config_bool (config, "dry-run"));
    assert_int_equal (sp_config_arg_count (config), 0);

    /* A parse with nothing given keeps the defaults. */
    char error[SP_CONFIG_ERROR_SIZE] = ERROR_SENTINEL;
    assert_int_equal (s_parse (config, NULL, NULL, error, sizeof error), SP_CONFIG_OK);
    assert_string_equal (error, ERROR_SENTINEL);
    assert_int_equal (sp_config_int (config, "max-batch"), 1000);
    assert_string_equal (sp_config_source (config, "max-batch"), "default");
    sp_config_destroy (&config);
    assert_null (config);
}

static void
test_destroy_null (void **state)
{
    (void) state;
    sp_config_t *config = NULL;
    sp_config_destroy (&config);
    assert_null (config);
}

static void
test_precedence (void **state)
{
    (void) state;
    sp_config_t *config = s_config_new ();
    char error[SP_CONFIG_ERROR_SIZE] = ERROR_SENTINEL;

    /* env beats default */
    const char *env[] = { "PATH=/bin", "SP_INGEST_MAX_BATCH=50", "SP_INGEST_ENDPOINT=tcp://e:1",
                          NULL };
    assert_int_equal (s_parse (config, NULL, env, error, sizeof error), SP_CONFIG_OK);
    assert_int_equal (sp_config_int (config, "max-batch"), 50);
    assert_string_equal (sp_config_source (config, "max-batch"), "env");
    assert_string_equal (sp_config_string (config, "endpoint"), "tcp://e:1");
    assert_string_equal (sp_config_source (config, "endpoint"), "env");
    assert_string_equal (sp_config_source (config, "offset"), "default");

    /* flag beats env, and default where there is no env */
    const char *args[] = { "--max-batch", "70", "--offset=12", NULL };
    assert_int_equal (s_parse (config, args, env, error, sizeof error), SP_CONFIG_OK);
    assert_int_equal (sp_config_int (config, "max-batch"), 70);
    assert_string_equal (sp_config_source (config, "max-batch"), "flag");
    assert_int_equal (sp_config_int (config, "offset"), 12);
    assert_string_equal (sp_config_source (config, "offset"), "flag");
    assert_string_equal (sp_config_source (config, "endpoint"), "env");

    /* Each parse starts again from the defaults. */
    assert_int_equal (s_parse (config, NULL, NULL, error, sizeof error), SP_CONFIG_OK);
    assert_int_equal (sp_config_int (config, "max-batch"), 1000);
    assert_string_equal (sp_config_source (config, "max-batch"), "default");
    assert_string_equal (error, ERROR_SENTINEL);
    sp_config_destroy (&config);
}

static void
test_env_details (void **state)
{
    (void) state;
    sp_config_t *config = s_config_new ();
    char error[SP_CONFIG_ERROR_SIZE] = ERROR_SENTINEL;
    /* First entry wins (as getenv); a longer name with the same prefix is
       another variable; an empty value is a value. */
    const char *env[] = { "SP_INGEST_ENDPOINT_X=no", "SP_INGEST_ENDPOINT=first",
                          "SP_INGEST_ENDPOINT=second", "SP_INGEST_EMPTY=",
                          "SP_INGEST_VERBOSE=Yes", "SP_INGEST_OFFSET=-9223372036854775808",
                          NULL };
    assert_int_equal (s_parse (config, NULL, env, error, sizeof error), SP_CONFIG_OK);
    assert_string_equal (sp_config_string (config, "endpoint"), "first");
    assert_string_equal (sp_config_string (config, "empty"), "");
    assert_string_equal (sp_config_source (config, "empty"), "env");
    assert_true (sp_config_bool (config, "verbose"));
    assert_true (sp_config_int (config, "offset") == INT64_MIN);
    sp_config_destroy (&config);
}

static void
test_flag_forms (void **state)
{
    (void) state;
    sp_config_t *config = s_config_new ();
    char error[SP_CONFIG_ERROR_SIZE] = ERROR_SENTINEL;
    const char *args[] = { "--endpoint=tcp://a:1=2", "--label", "-x", "--max-batch=1",
                           "--max-batch", "100000", "--empty=", "--retries", "-3", NULL };
    assert_int_equal (s_parse (config, args, NULL, error, sizeof error), SP_CONFIG_OK);
    /* Only the first '=' separates. */
    assert_string_equal (sp_config_string (config, "endpoint"), "tcp://a:1=2");
    /* A separate value may start with a single dash. */
    assert_string_equal (sp_config_string (config, "label"), "-x");
    assert_string_equal (sp_config_source (config, "label"), "flag");
    /* Repeated: the last wins; bounds are inclusive. */
    assert_int_equal (sp_config_int (config, "max-batch"), 100000);
    assert_string_equal (sp_config_string (config, "empty"), "");
    assert_int_equal (sp_config_int (config, "retries"), -3);
    /* A value starting with "--" is possible with '='. */
    const char *dashes[] = { "--label=--x", NULL };
    assert_int_equal (s_parse (config, dashes, NULL, error, sizeof error), SP_CONFIG_OK);
    assert_string_equal (sp_config_string (config, "label"), "--x");
    assert_string_equal (error, ERROR_SENTINEL);
    sp_config_destroy (&config);
}

static void
test_bool_forms (void **state)
{
    (void) state;
    sp_config_t *config = s_config_new ();
    char error[SP_CONFIG_ERROR_SIZE] = ERROR_SENTINEL;

    const char *bare[] = { "--verbose", "--dry-run", NULL };
    assert_int_equal (s_parse (config, bare, NULL, error, sizeof error), SP_CONFIG_OK);
    assert_true (sp_config_bool (config, "verbose"));
    assert_true (sp_config_bool (config, "dry-run"));
    assert_string_equal (sp_config_source (config, "verbose"), "flag");
    /* A bare boolean does not take the next argument. */
    const char *next[] = { "--verbose", "false", NULL };
    assert_int_equal (s_parse (config, next, NULL, error, sizeof error), SP_CONFIG_OK);
    assert_true (sp_config_bool (config, "verbose"));
    assert_int_equal (sp_config_arg_count (config), 1);
    assert_string_equal (sp_config_arg (config, 0), "false");

    const char *words_true[] = { "true", "1", "yes", "on", "TRUE", "On" };
    const char *words_false[] = { "false", "0", "no", "off", "False", "NO" };
    for (size_t i = 0; i < sizeof words_true / sizeof words_true[0]; i++) {
        char flag[64];
        snprintf (flag, sizeof flag, "--verbose=%s", words_false[i]);
        const char *args_false[] = { flag, NULL };
        assert_int_equal (s_parse (config, args_false, NULL, error, sizeof error),
                          SP_CONFIG_OK);
        assert_false (sp_config_bool (config, "verbose"));
        snprintf (flag, sizeof flag, "--verbose=%s", words_true[i]);
        const char *args_true[] = { flag, NULL };
        assert_int_equal (s_parse (config, args_true, NULL, error, sizeof error), SP_CONFIG_OK);
        assert_true (sp_config_bool (config, "verbose"));
    }
    /* env false, bare flag true */
    const char *env[] = { "SP_INGEST_VERBOSE=off", NULL };
    assert_int_equal (s_parse (config, NULL, env, error, sizeof error), SP_CONFIG_OK);
    assert_false (sp_config_bool (config, "verbose"));
    assert_string_equal (sp_config_source (config, "verbose"), "env");
    const char *flag_over_env[] = { "--verbose", NULL };
    assert_int_equal (s_parse (config, flag_over_env, env, error, sizeof error), SP_CONFIG_OK);
    assert_true (sp_config_bool (config, "verbose"));
    assert_string_equal (error, ERROR_SENTINEL);
    sp_config_destroy (&config);
}

static void
test_positionals (void **state)
{
    (void) state;
    sp_config_t *config = s_config_new ();
    char error[SP_CONFIG_ERROR_SIZE] = ERROR_SENTINEL;
    const char *args[] = { "publish", "--max-batch", "5", "-", "events.jsonl", "--",
                           "--verbose", "-h", "--", NULL };
    assert_int_equal (s_parse (config, args, NULL, error, sizeof error), SP_CONFIG_OK);
    assert_int_equal (sp_config_int (config, "max-batch"), 5);
    assert_false (sp_config_bool (config, "verbose"));
    assert_int_equal (sp_config_arg_count (config), 6);
    assert_string_equal (sp_config_arg (config, 0), "publish");
    assert_string_equal (sp_config_arg (config, 1), "-");
    assert_string_equal (sp_config_arg (config, 2), "events.jsonl");
    assert_string_equal (sp_config_arg (config, 3), "--verbose");
    assert_string_equal (sp_config_arg (config, 4), "-h");
    assert_string_equal (sp_config_arg (config, 5), "--");

    /* A new parse replaces the positionals. */
    const char *other[] = { "tail", NULL };
    assert_int_equal (s_parse (config, other, NULL, error, sizeof error), SP_CONFIG_OK);
    assert_int_equal (sp_config_arg_count (config), 1);
    assert_string_equal (sp_config_arg (config, 0), "tail");

    /* argc 0 is accepted. */
    assert_int_equal (sp_config_parse (config, 0, NULL, NULL, NULL, error, sizeof error),
                      SP_CONFIG_OK);
    assert_int_equal (sp_config_arg_count (config), 0);
    assert_string_equal (error, ERROR_SENTINEL);
    sp_config_destroy (&config);
}

static void
test_error_unknown_option (void **state)
{
    (void) state;
    const char *bogus[] = { "--bogus", NULL };
    s_expect_error (bogus, NULL, "unknown option \"--bogus\"");
    const char *bogus_value[] = { "--bogus=3", NULL };
    s_expect_error (bogus_value, NULL, "unknown option \"--bogus\"");
    const char *short_flag[] = { "-v", NULL };
    s_expect_error (short_flag, NULL, "unknown option \"-v\"");
    const char *prefix[] = { "--max", "3", NULL };
    s_expect_error (prefix, NULL, "unknown option \"--max\"");
    const char *empty_name[] = { "--=3", NULL };
    s_expect_error (empty_name, NULL, "unknown option \"--\"");
    const char *help_value[] = { "--help=yes", NULL };
    s_expect_error (help_value, NULL, "option --help takes no value");
}

static void
test_error_missing_value (void **state)
{
    (void) state;
    const char *at_end[] = { "--max-batch", NULL };
    s_expect_error (at_end, NULL, "option --max-batch needs a value");
    const char *before_flag[] = { "--endpoint", "--verbose", NULL };
    s_expect_error (before_flag, NULL, "option --endpoint needs a value");
}

static void
test_error_integer (void **state)
{
    (void) state;
    const char *letters[] = { "--max-batch", "abc", NULL };
    s_expect_error (letters, NULL, "invalid value \"abc\" for --max-batch: expected an integer");
    const char *trailing[] = { "--max-batch=12x", NULL };
    s_expect_error (trailing, NULL, "invalid value \"12x\" for --max-batch: expected an integer");
    const char *empty[] = { "--max-batch=", NULL };
    s_expect_error (empty, NULL, "invalid value \"\" for --max-batch: expected an integer");
    const char *space[] = { "--max-batch= 5", NULL };
    s_expect_error (space, NULL, "invalid value \" 5\" for --max-batch: expected an integer");
    const char *plus[] = { "--max-batch=+5", NULL };
    s_expect_error (plus, NULL, "invalid value \"+5\" for --max-batch: expected an integer");
    const char *hex[] = { "--max-batch=0x10", NULL };
    s_expect_error (hex, NULL, "invalid value \"0x10\" for --max-batch: expected an integer");
    const char *minus[] = { "--offset=-", NULL };
    s_expect_error (minus, NULL, "invalid value \"-\" for --offset: expected an integer");
    const char *low[] = { "--max-batch", "0", NULL };
    s_expect_error (low, NULL,
                    "invalid value \"0\" for --max-batch: must be between 1 and 100000");
    const char *high[] = { "--max-batch=100001", NULL };
    s_expect_error (high, NULL,
                    "invalid value \"100001\" for --max-batch: must be between 1 and 100000");
    const char *huge_bounded[] = { "--max-batch=99999999999999999999", NULL };
    s_expect_error (huge_bounded, NULL,
                    "invalid value \"99999999999999999999\" for --max-batch: must be between 1 "
                    "and 100000");
    const char *huge[] = { "--offset=9223372036854775808", NULL };
    s_expect_error (huge, NULL,
                    "invalid value \"9223372036854775808\" for --offset: expected a 64-bit "
                    "integer");
    const char *env[] = { "SP_INGEST_MAX_BATCH=x", NULL };
    s_expect_error (NULL, env, "invalid value \"x\" for SP_INGEST_MAX_BATCH: expected an integer");
    const char *env_range[] = { "SP_INGEST_MAX_BATCH=-1", NULL };
    s_expect_error (NULL, env_range,
                    "invalid value \"-1\" for SP_INGEST_MAX_BATCH: must be between 1 and 100000");
    /* A valid flag does not excuse an invalid variable. */
    const char *fine[] = { "--max-batch=5", NULL };
    s_expect_error (fine, env, "invalid value \"x\" for SP_INGEST_MAX_BATCH: expected an integer");
}

static void
test_error_bool (void **state)
{
    (void) state;
    const char *maybe[] = { "--verbose=maybe", NULL };
    s_expect_error (maybe, NULL, "invalid value \"maybe\" for --verbose: expected true or false");
    const char *empty[] = { "--verbose=", NULL };
    s_expect_error (empty, NULL, "invalid value \"\" for --verbose: expected true or false");
    const char *env[] = { "SP_INGEST_VERBOSE=2", NULL };
    s_expect_error (NULL, env, "invalid value \"2\" for SP_INGEST_VERBOSE: expected true or false");
}

/* A currency setting takes ISO-4217 codes with a minor unit, and names
   the flag or the variable when it refuses one. */
static void
test_currency (void **state)
{
    (void) state;
    static const sp_config_option_t options[] = {
        { "currency", "SP_TEST_CURRENCY", SP_CONFIG_CURRENCY, "USD", "reporting currency", 0, 0 },
    };
    sp_config_t *config = sp_config_new ("sp-test", "Test program.", NULL, 0, options, 1);
    assert_non_null (config);
    char error[SP_CONFIG_ERROR_SIZE] = ERROR_SENTINEL;
    assert_string_equal (sp_config_string (config, "currency"), "USD");
    const char *const jpy[] = { "sp-test", "--currency=JPY", NULL };
    assert_int_equal (sp_config_parse (config, 2, (char *const *) jpy, NULL, NULL, error,
                                       sizeof error),
                      SP_CONFIG_OK);
    assert_string_equal (sp_config_string (config, "currency"), "JPY");
    const struct {
        const char *arg;
        const char *env;
        const char *expected;
    } refused[] = {
        { "--currency=usd", NULL,
          "invalid value \"usd\" for --currency: expected an ISO-4217 currency code such as USD" },
        { "--currency=XXX", NULL,
          "invalid value \"XXX\" for --currency: expected an ISO-4217 currency code such as USD" },
        { "--currency=", NULL,
          "invalid value \"\" for --currency: expected an ISO-4217 currency code such as USD" },
        { NULL, "SP_TEST_CURRENCY=EURO",
          "invalid value \"EURO\" for SP_TEST_CURRENCY: expected an ISO-4217 currency code such "
          "as USD" },
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        const char *const argv[] = { "sp-test", refused[i].arg, NULL };
        const char *const env[] = { refused[i].env, NULL };
        snprintf (error, sizeof error, ERROR_SENTINEL);
        assert_int_equal (sp_config_parse (config, refused[i].arg ? 2 : 1, (char *const *) argv,
                                           (char *const *) env, NULL, error, sizeof error),
                          SP_CONFIG_ERROR);
        assert_string_equal (error, refused[i].expected);
        /* the value in effect stays */
        assert_string_equal (sp_config_string (config, "currency"), "JPY");
    }
    sp_config_destroy (&config);
}

static void
test_error_keeps_previous_values (void **state)
{
    (void) state;
    sp_config_t *config = s_config_new ();
    char error[SP_CONFIG_ERROR_SIZE] = ERROR_SENTINEL;
    const char *good[] = { "--max-batch=7", "--verbose", "first", NULL };
    assert_int_equal (s_parse (config, good, NULL, error, sizeof error), SP_CONFIG_OK);
    const char *bad[] = { "--max-batch=8", "second", "--offset=x", NULL };
    assert_int_equal (s_parse (config, bad, NULL, error, sizeof error), SP_CONFIG_ERROR);
    assert_string_equal (error, "invalid value \"x\" for --offset: expected an integer");
    assert_int_equal (sp_config_int (config, "max-batch"), 7);
    assert_true (sp_config_bool (config, "verbose"));
    assert_string_equal (sp_config_source (config, "max-batch"), "flag");
    assert_int_equal (sp_config_arg_count (config), 1);
    assert_string_equal (sp_config_arg (config, 0), "first");

    /* A short buffer gets a cut, terminated message; none at all is fine. */
    char short_error[8];
    assert_int_equal (s_parse (config, bad, NULL, short_error, sizeof short_error),
                      SP_CONFIG_ERROR);
    assert_string_equal (short_error, "invalid");
    assert_int_equal (s_parse (config, bad, NULL, NULL, 0), SP_CONFIG_ERROR);
    assert_int_equal (sp_config_int (config, "max-batch"), 7);
    sp_config_destroy (&config);
}

static const char s_expected_help[] =
    "Usage: sp-test [OPTIONS]\n"
    "\n"
    "Test program.\n"
    "\n"
    "Options:\n"
    "  --endpoint VALUE   ROUTER endpoint publishers connect to (env SP_INGEST_ENDPOINT, "
    "default: tcp://127.0.0.1:5550)\n"
    "  --max-batch VALUE  most events accepted in one request (env SP_INGEST_MAX_BATCH, "
    "default: 1000)\n"
    "  --offset VALUE     an unbounded integer (env SP_INGEST_OFFSET, default: -5)\n"
    "  --verbose          log every request (env SP_INGEST_VERBOSE, default: false)\n"
    "  --label VALUE      optional label\n"
    "  --retries VALUE    optional count\n"
    "  --dry-run          optional switch\n"
    "  --empty VALUE      empty by default (env SP_INGEST_EMPTY, default: \"\")\n"
    "  -h, --help         show this help and exit\n";

/* Runs a parse that must print help; returns what it printed. */
static char *
s_parse_for_help (sp_config_t *config, const char *flag)
{
    char *text = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&text, &size);
    assert_non_null (stream);
    const char *argv[] = { "sp-test", "--max-batch=3", flag, "--bogus", NULL };
    char error[SP_CONFIG_ERROR_SIZE] = ERROR_SENTINEL;
    assert_int_equal (sp_config_parse (config, 4, (char *const *) argv, NULL, stream, error,
                                       sizeof error),
                      SP_CONFIG_HELP);
    assert_int_equal (fclose (stream), 0);
    /* Help stops parsing: nothing applied, no error. */
    assert_string_equal (error, ERROR_SENTINEL);
    assert_int_equal (sp_config_int (config, "max-batch"), 1000);
    return text;
}

static void
test_help_exact (void **state)
{
    (void) state;
    sp_config_t *config = s_config_new ();
    char *text = s_parse_for_help (config, "--help");
    assert_string_equal (text, s_expected_help);
    free (text);
    text = s_parse_for_help (config, "-h");
    assert_string_equal (text, s_expected_help);
    free (text);
    sp_config_destroy (&config);

    /* Without a summary and without options. */
    config = sp_config_new ("bare", NULL, NULL, 0, NULL, 0);
    assert_non_null (config);
    char *printed = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&printed, &size);
    assert_non_null (stream);
    sp_config_print_help (config, stream);
    assert_int_equal (fclose (stream), 0);
    assert_string_equal (printed, "Usage: bare [OPTIONS]\n"
                                  "\n"
                                  "Options:\n"
                                  "  -h, --help  show this help and exit\n");
    free (printed);
    sp_config_destroy (&config);
}

static void
test_help_with_common (void **state)
{
    (void) state;
    sp_config_t *config = sp_config_new ("sp-test", "Test program.", sp_config_common_options,
                                         sp_config_common_option_count, s_options, OPTION_COUNT);
    assert_non_null (config);
    char *text = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&text, &size);
    assert_non_null (stream);
    sp_config_print_help (config, stream);
    assert_int_equal (fclose (stream), 0);
    const sp_config_option_t *tables[] = { sp_config_common_options, s_options };
    size_t counts[] = { sp_config_common_option_count, OPTION_COUNT };
    for (size_t t = 0; t < 2; t++)
        for (size_t i = 0; i < counts[t]; i++) {
            const sp_config_option_t *option = &tables[t][i];
            char flag[64];
            snprintf (flag, sizeof flag, "  --%s", option->name);
            assert_non_null (strstr (text, flag));
            assert_non_null (strstr (text, option->help));
            if (option->env)
                assert_non_null (strstr (text, option->env));
            if (option->default_value && option->default_value[0]) {
                char shown[128];
                snprintf (shown, sizeof shown, "default: %s)", option->default_value);
                assert_non_null (strstr (text, shown));
            }
        }
    /* Every help column starts at the same offset. */
    const char *expected_column = strstr (text, "  --log-level VALUE");
    assert_non_null (expected_column);
    const char *help_start = strstr (expected_column, "lowest level");
    size_t column = (size_t) (help_start - expected_column);
    const char *line = strstr (text, "Options:\n") + strlen ("Options:\n");
    while (*line) {
        const char *end = strchr (line, '\n');
        assert_non_null (end);
        assert_true ((size_t) (end - line) > column);
        assert_true (line[column - 1] == ' ' && line[column] != ' ');
        line = end + 1;
    }
    free (text);
    sp_config_destroy (&config);
}

static void
test_common_options (void **state)
{
    (void) state;
    assert_int_equal (sp_config_common_option_count, 9);
    sp_config_t *config = sp_config_new ("sp-test", NULL, sp_config_common_options,
                                         sp_config_common_option_count, NULL, 0);
    assert_non_null (config);
    assert_string_equal (sp_config_string (config, "log-level"), "info");
    assert_string_equal (sp_config_string (config, "log-format"), "logfmt");
    assert_string_equal (sp_config_string (config, "postgres"),
                         "postgresql://salespulse@127.0.0.1:5432/salespulse");
    assert_string_equal (sp_config_string (config, "redis"), "redis://127.0.0.1:6379/0");
    assert_int_equal (sp_config_int (config, "partitions"), 16);
    assert_string_equal (sp_config_string (config, "time-zone"), "UTC");

    char error[SP_CONFIG_ERROR_SIZE] = ERROR_SENTINEL;
    const char *env[] = { "SP_PARTITIONS=1024", "SP_TIME_ZONE=Europe/Paris",
                          "SP_LOG_LEVEL=debug", "SP_REDIS_URL=redis://r:1/2",
                          "SP_POSTGRES_URL=postgresql://x@y/z", "SP_LOG_FORMAT=json", NULL };
    assert_int_equal (s_parse (config, NULL, env, error, sizeof error), SP_CONFIG_OK);
    assert_int_equal (sp_config_int (config, "partitions"), SP_PARTITIONS_MAX);
    assert_string_equal (sp_config_string (config, "time-zone"), "Europe/Paris");
    assert_string_equal (sp_config_string (config, "log-level"), "debug");
    assert_string_equal (sp_config_string (config, "log-format"), "json");
    assert_string_equal (sp_config_string (config, "redis"), "redis://r:1/2");
    assert_string_equal (sp_config_string (config, "postgres"), "postgresql://x@y/z");
    const char *too_many[] = { "--partitions=1025", NULL };
    assert_int_equal (s_parse (config, too_many, NULL, error, sizeof error), SP_CONFIG_ERROR);
    assert_string_equal (error,
                         "invalid value \"1025\" for --partitions: must be between 1 and 1024");
    assert_int_equal (sp_config_int (config, "partitions"), SP_PARTITIONS_MAX);
    sp_config_destroy (&config);
}

/* Creates a configuration that must be refused; returns what was logged. */
static void
s_expect_refused (const sp_config_option_t *common, size_t common_count,
                  const sp_config_option_t *options, size_t count, const char *expected_log)
{
    char *logged = NULL;
    size_t size = 0;
    FILE *stream = open_memstream (&logged, &size);
    assert_non_null (stream);
    sp_log_set_stream (stream);
    sp_config_t *config = sp_config_new ("sp-test", NULL, common, common_count, options, count);
    sp_log_set_stream (NULL);
    assert_int_equal (fclose (stream), 0);
    assert_null (config);
    assert_non_null (strstr (logged, expected_log));
    free (logged);
}

static void
test_new_rejects_duplicates (void **state)
{
    (void) state;
    const sp_config_option_t same_name[] = {
        { "port", "SP_A", SP_CONFIG_INT, "1", "a", 0, 0 },
        { "port", "SP_B", SP_CONFIG_INT, "2", "b", 0, 0 },
    };
    s_expect_refused (NULL, 0, same_name, 2,
                      "msg=\"duplicate configuration option\" name=\"port\"");
    const sp_config_option_t same_env[] = {
        { "a", "SP_SAME", SP_CONFIG_STRING, NULL, "a", 0, 0 },
        { "b", "SP_SAME", SP_CONFIG_STRING, NULL, "b", 0, 0 },
    };
    s_expect_refused (NULL, 0, same_env, 2,
                      "msg=\"duplicate configuration variable\" env=\"SP_SAME\"");
    /* Across the two tables. */
    const sp_config_option_t clash[] = {
        { "redis", NULL, SP_CONFIG_STRING, NULL, "mine", 0, 0 },
    };
    s_expect_refused (sp_config_common_options, sp_config_common_option_count, clash, 1,
                      "msg=\"duplicate configuration option\" name=\"redis\"");
    const sp_config_option_t help[] = {
        { "help", NULL, SP_CONFIG_BOOL, NULL, "mine", 0, 0 },
    };
    s_expect_refused (NULL, 0, help, 1,
                      "msg=\"reserved configuration option name\" name=\"help\"");

    /* Options without variables never clash on the variable. */
    const sp_config_option_t no_env[] = {
        { "a", NULL, SP_CONFIG_STRING, NULL, "a", 0, 0 },
        { "b", NULL, SP_CONFIG_STRING, NULL, "b", 0, 0 },
    };
    sp_config_t *config = sp_config_new ("sp-test", NULL, NULL, 0, no_env, 2);
    assert_non_null (config);
    sp_config_destroy (&config);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_defaults),
        cmocka_unit_test (test_destroy_null),
        cmocka_unit_test (test_precedence),
        cmocka_unit_test (test_env_details),
        cmocka_unit_test (test_flag_forms),
        cmocka_unit_test (test_bool_forms),
        cmocka_unit_test (test_positionals),
        cmocka_unit_test (test_error_unknown_option),
        cmocka_unit_test (test_error_missing_value),
        cmocka_unit_test (test_error_integer),
        cmocka_unit_test (test_error_bool),
        cmocka_unit_test (test_currency),
        cmocka_unit_test (test_error_keeps_previous_values),
        cmocka_unit_test (test_help_exact),
        cmocka_unit_test (test_help_with_common),
        cmocka_unit_test (test_common_options),
        cmocka_unit_test (test_new_rejects_duplicates),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
