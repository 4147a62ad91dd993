/*  test_redis_url - sp_redis_url: every accepted URL form with every field
    it yields, every error message exactly, and password redaction. No
    server, no files.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "sp_redis_url.h"

#define ERROR_SIZE 1024           /* error buffer of every test */
#define UNTOUCHED "untouched"     /* sentinel: a success must not write the error */
#define UNIX_PATH_MAX 107         /* longest accepted socket path, bytes */
#define SHOWN_MAX 511             /* longest URL quoted in an error, bytes */
#define LONG_HOST 600             /* host length that overflows SHOWN_MAX */
#define SMALL_ERROR_SIZE 10       /* a buffer too small for the message */
#define URL_SIZE (LONG_HOST + 64) /* room for the generated URLs */

/* Parses url and checks the error buffer: untouched on success, written
   on failure. */
static sp_redis_url_t *
s_parse (const char *url, char *error)
{
    snprintf (error, ERROR_SIZE, "%s", UNTOUCHED);
    sp_redis_url_t *self = sp_redis_url_new (url, error, ERROR_SIZE);
    if (self)
        assert_string_equal (error, UNTOUCHED);
    else
        assert_string_not_equal (error, UNTOUCHED);
    return self;
}

/* NULL-safe string comparison for optional fields. */
static void
s_assert_optional (const char *actual, const char *expected)
{
    if (!expected)
        assert_null (actual);
    else {
        assert_non_null (actual);
        assert_string_equal (actual, expected);
    }
}

static void
test_accepted_forms (void **state)
{
    (void) state;
    const struct {
        const char *url;      /* input */
        const char *host;     /* expected host, NULL for unix */
        int port;             /* expected port, 0 for unix */
        const char *path;     /* expected socket path, NULL for TCP */
        const char *username; /* expected decoded user, NULL for none */
        const char *password; /* expected decoded password, NULL for none */
        int database;         /* expected database */
        const char *address;  /* expected address */
    } cases[] = {
        /* TCP: defaults, port, database, trailing slash */
        { "redis://localhost", "localhost", 6379, NULL, NULL, NULL, 0, "localhost:6379" },
        { "redis://127.0.0.1:6379/0", "127.0.0.1", 6379, NULL, NULL, NULL, 0, "127.0.0.1:6379" },
        { "redis://redis:6380/", "redis", 6380, NULL, NULL, NULL, 0, "redis:6380" },
        { "redis://h/7", "h", 6379, NULL, NULL, NULL, 7, "h:6379" },
        { "redis://h:1/2147483647", "h", 1, NULL, NULL, NULL, 2147483647, "h:1" },
        { "redis://h:65535", "h", 65535, NULL, NULL, NULL, 0, "h:65535" },
        { "redis://h:00080/007", "h", 80, NULL, NULL, NULL, 7, "h:80" },
        /* TCP: password only, user and password, percent-encoding */
        { "redis://:secret@redis:6380/3", "redis", 6380, NULL, NULL, "secret", 3, "redis:6380" },
        { "redis://app:secret@h", "h", 6379, NULL, "app", "secret", 0, "h:6379" },
        { "redis://%41pp%2fx:%2F%3f%25@h", "h", 6379, NULL, "App/x", "/?%", 0, "h:6379" },
        { "redis://:p@ss@h:1", "h", 1, NULL, NULL, "p@ss", 0, "h:1" },
        { "redis://:a:b@h", "h", 6379, NULL, NULL, "a:b", 0, "h:6379" },
        /* TCP: IPv6 in brackets, with and without port */
        { "redis://user:p%40ss%3a@[::1]:7000/2", "::1", 7000, NULL, "user", "p@ss:", 2,
          "[::1]:7000" },
        { "redis://[::1]", "::1", 6379, NULL, NULL, NULL, 0, "[::1]:6379" },
        { "redis://[2001:db8::5]/4", "2001:db8::5", 6379, NULL, NULL, NULL, 4,
          "[2001:db8::5]:6379" },
        /* unix: bare path, each parameter, any order, percent-encoding */
        { "unix:///tmp/redis.sock", NULL, 0, "/tmp/redis.sock", NULL, NULL, 0, "/tmp/redis.sock" },
        { "unix:///run/redis/redis.sock?db=5", NULL, 0, "/run/redis/redis.sock", NULL, NULL, 5,
          "/run/redis/redis.sock" },
        { "unix:///tmp/r.sock?password=p%26w&db=3&user=app", NULL, 0, "/tmp/r.sock", "app", "p&w",
          3, "/tmp/r.sock" },
        { "unix:///tmp/r.sock?password=pw", NULL, 0, "/tmp/r.sock", NULL, "pw", 0, "/tmp/r.sock" },
        { "unix:///tmp/r.sock?user=a%20b&password=%3D", NULL, 0, "/tmp/r.sock", "a b", "=", 0,
          "/tmp/r.sock" },
        { "unix:///s?db=0", NULL, 0, "/s", NULL, NULL, 0, "/s" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char error[ERROR_SIZE];
        sp_redis_url_t *url = s_parse (cases[i].url, error);
        if (!url)
            fail_msg ("\"%s\" refused: %s", cases[i].url, error);
        s_assert_optional (sp_redis_url_host (url), cases[i].host);
        assert_int_equal (sp_redis_url_port (url), cases[i].port);
        s_assert_optional (sp_redis_url_path (url), cases[i].path);
        s_assert_optional (sp_redis_url_username (url), cases[i].username);
        s_assert_optional (sp_redis_url_password (url), cases[i].password);
        assert_int_equal (sp_redis_url_database (url), cases[i].database);
        assert_string_equal (sp_redis_url_address (url), cases[i].address);
        sp_redis_url_destroy (&url);
        assert_null (url);
    }
}

/* The longest socket path is accepted; one byte more is an error. */
static void
test_unix_path_limit (void **state)
{
    (void) state;
    char url[URL_SIZE] = "unix:///";
    size_t prefix = strlen (url);
    memset (url + prefix, 's', UNIX_PATH_MAX - 1);
    url[prefix + UNIX_PATH_MAX - 1] = '\0';
    char error[ERROR_SIZE];
    sp_redis_url_t *accepted = s_parse (url, error);
    assert_non_null (accepted);
    assert_int_equal (strlen (sp_redis_url_path (accepted)), UNIX_PATH_MAX);
    assert_string_equal (sp_redis_url_address (accepted), url + strlen ("unix://"));
    sp_redis_url_destroy (&accepted);

    url[prefix + UNIX_PATH_MAX - 1] = 's';
    url[prefix + UNIX_PATH_MAX] = '\0';
    assert_null (s_parse (url, error));
    char expected[ERROR_SIZE];
    snprintf (expected, sizeof expected,
              "invalid redis url \"%s\": socket path is longer than 107 bytes", url);
    assert_string_equal (error, expected);
}

static void
test_errors (void **state)
{
    (void) state;
    const struct {
        const char *url;      /* input */
        const char *expected; /* the whole error message */
    } cases[] = {
        /* scheme */
        { "",
          "invalid redis url \"\": expected \"redis://\", \"redis+cluster://\" or \"unix://\"" },
        { "http://h:1", "invalid redis url \"http://h:1\": expected \"redis://\", "
                        "\"redis+cluster://\" or \"unix://\"" },
        { "REDIS://h", "invalid redis url \"REDIS://h\": expected \"redis://\", "
                       "\"redis+cluster://\" or \"unix://\"" },
        { "redis:/h", "invalid redis url \"redis:/h\": expected \"redis://\", \"redis+cluster://\" "
                      "or \"unix://\"" },
        { "rediss://h:1", "invalid redis url \"rediss://h:1\": TLS (rediss://) is not supported" },
        /* host and port */
        { "redis://", "invalid redis url \"redis://\": missing host" },
        { "redis://:6379", "invalid redis url \"redis://:6379\": missing host" },
        { "redis:///0", "invalid redis url \"redis:///0\": missing host" },
        { "redis://[]:1", "invalid redis url \"redis://[]:1\": missing host" },
        { "redis://h:", "invalid redis url \"redis://h:\": missing port after \":\"" },
        { "redis://[::1]:", "invalid redis url \"redis://[::1]:\": missing port after \":\"" },
        { "redis://h:0",
          "invalid redis url \"redis://h:0\": port \"0\" is not a number in 1..65535" },
        { "redis://h:65536",
          "invalid redis url \"redis://h:65536\": port \"65536\" is not a number in 1..65535" },
        { "redis://h:99999",
          "invalid redis url \"redis://h:99999\": port \"99999\" is not a number in 1..65535" },
        { "redis://h:abc",
          "invalid redis url \"redis://h:abc\": port \"abc\" is not a number in 1..65535" },
        { "redis://h:+1",
          "invalid redis url \"redis://h:+1\": port \"+1\" is not a number in 1..65535" },
        { "redis://h:-1",
          "invalid redis url \"redis://h:-1\": port \"-1\" is not a number in 1..65535" },
        { "redis://h:111111111111111111111111", "invalid redis url "
                                                "\"redis://h:111111111111111111111111\": port "
                                                "\"111111111111111111111111\" is not a number in "
                                                "1..65535" },
        { "redis://::1:6379", "invalid redis url \"redis://::1:6379\": IPv6 host must be in "
                              "brackets, e.g. [::1]:6379" },
        { "redis://h:1:2", "invalid redis url \"redis://h:1:2\": IPv6 host must be in brackets, "
                           "e.g. [::1]:6379" },
        { "redis://[::1", "invalid redis url \"redis://[::1\": unterminated \"[\" in IPv6 host" },
        { "redis://[::1]x",
          "invalid redis url \"redis://[::1]x\": unexpected text after \"]\" (expected :port)" },
        /* database */
        { "redis://h:1/x",
          "invalid redis url \"redis://h:1/x\": database \"x\" is not a number in 0..2147483647" },
        { "redis://h/-1",
          "invalid redis url \"redis://h/-1\": database \"-1\" is not a number in 0..2147483647" },
        { "redis://h/2147483648", "invalid redis url \"redis://h/2147483648\": database "
                                  "\"2147483648\" is not a number in 0..2147483647" },
        { "redis://h/99999999999", "invalid redis url \"redis://h/99999999999\": database "
                                   "\"99999999999\" is not a number in 0..2147483647" },
        { "redis://h/1/2", "invalid redis url \"redis://h/1/2\": database \"1/2\" is not a number "
                           "in 0..2147483647" },
        /* query on a TCP URL */
        { "redis://h?db=1",
          "invalid redis url \"redis://h?db=1\": query parameters are not supported" },
        { "redis://h/1?x", "invalid redis url \"redis://h/1?x\": query parameters are not "
                           "supported" },
        /* user and password: never shown, not even malformed ones */
        { "redis://hunter2@h",
          "invalid redis url \"redis://***@h\": missing password (expected [user]:password@host)" },
        { "redis://:@h", "invalid redis url \"redis://***@h\": empty password" },
        { "redis://app:@h/1", "invalid redis url \"redis://***@h/1\": empty password" },
        { "redis://:bad%zz@h:1",
          "invalid redis url \"redis://***@h:1\": malformed percent-encoding in password" },
        { "redis://:bad%2@h",
          "invalid redis url \"redis://***@h\": malformed percent-encoding in password" },
        { "redis://:nul%00@h",
          "invalid redis url \"redis://***@h\": malformed percent-encoding in password" },
        { "redis://us%4@h:pw@h",
          "invalid redis url \"redis://***@h\": malformed percent-encoding in user name" },
        { "redis://u%00:pw@h",
          "invalid redis url \"redis://***@h\": malformed percent-encoding in user name" },
        { "redis://u:pw@h:0",
          "invalid redis url \"redis://***@h:0\": port \"0\" is not a number in 1..65535" },
        /* unix socket path */
        { "unix://", "invalid redis url \"unix://\": socket path must be absolute "
                     "(unix:///path/to/redis.sock)" },
        { "unix://relative.sock", "invalid redis url \"unix://relative.sock\": socket path must "
                                  "be absolute (unix:///path/to/redis.sock)" },
        { "unix:///", "invalid redis url \"unix:///\": missing socket path" },
        { "unix:///?db=1", "invalid redis url \"unix:///?db=1\": missing socket path" },
        /* unix parameters */
        { "unix:///s.sock?", "invalid redis url \"unix:///s.sock?\": unknown or repeated "
                             "parameter \"\" (expected db, user or password)" },
        { "unix:///s.sock?foo=1",
          "invalid redis url \"unix:///s.sock?foo=1\": unknown or repeated parameter \"foo\" "
          "(expected db, user or password)" },
        { "unix:///s.sock?db", "invalid redis url \"unix:///s.sock?db\": unknown or repeated "
                               "parameter \"db\" (expected db, user or password)" },
        { "unix:///s.sock?db=1&", "invalid redis url \"unix:///s.sock?db=1&\": unknown or "
                                  "repeated parameter \"\" (expected db, user or password)" },
        { "unix:///s.sock?db=1&db=2",
          "invalid redis url \"unix:///s.sock?db=1&db=2\": unknown or repeated parameter \"db\" "
          "(expected db, user or password)" },
        { "unix:///s.sock?user=a&user=b&password=p",
          "invalid redis url \"unix:///s.sock?***\": unknown or repeated parameter \"user\" "
          "(expected db, user or password)" },
        { "unix:///s.sock?password=a&password=b",
          "invalid redis url \"unix:///s.sock?***\": unknown or repeated parameter \"password\" "
          "(expected db, user or password)" },
        { "unix:///s.sock?db=x",
          "invalid redis url \"unix:///s.sock?db=x\": database \"x\" is not a number in "
          "0..2147483647" },
        { "unix:///s.sock?db=", "invalid redis url \"unix:///s.sock?db=\": database \"\" is not a "
                                "number in 0..2147483647" },
        { "unix:///s.sock?password=pw&db=x",
          "invalid redis url \"unix:///s.sock?***\": database \"x\" is not a number in "
          "0..2147483647" },
        { "unix:///s.sock?user=app",
          "invalid redis url \"unix:///s.sock?user=app\": user name given without a password" },
        { "unix:///s.sock?user=&password=p",
          "invalid redis url \"unix:///s.sock?***\": empty user name" },
        { "unix:///s.sock?user=a%zz&password=p",
          "invalid redis url \"unix:///s.sock?***\": malformed percent-encoding in user name" },
        { "unix:///s.sock?password=", "invalid redis url \"unix:///s.sock?***\": empty password" },
        { "unix:///s.sock?password=a%2",
          "invalid redis url \"unix:///s.sock?***\": malformed percent-encoding in password" },
        { "unix:///s.sock?password=%00",
          "invalid redis url \"unix:///s.sock?***\": malformed percent-encoding in password" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char error[ERROR_SIZE];
        sp_redis_url_t *url = s_parse (cases[i].url, error);
        if (url)
            fail_msg ("\"%s\" accepted", cases[i].url);
        assert_string_equal (error, cases[i].expected);
    }
}

/* A URL too long to quote whole is cut; small or missing error buffers
   are safe. */
static void
test_error_buffers (void **state)
{
    (void) state;
    char url[URL_SIZE] = "redis://";
    size_t prefix = strlen (url);
    memset (url + prefix, 'h', LONG_HOST);
    snprintf (url + prefix + LONG_HOST, sizeof url - prefix - LONG_HOST, ":0");
    char error[ERROR_SIZE];
    assert_null (s_parse (url, error));
    char expected[ERROR_SIZE];
    snprintf (expected, sizeof expected,
              "invalid redis url \"%.*s\": port \"0\" is not a number in 1..65535", SHOWN_MAX, url);
    assert_string_equal (error, expected);

    char small[SMALL_ERROR_SIZE] = "";
    assert_null (sp_redis_url_new ("redis://h:0", small, sizeof small));
    assert_string_equal (small, "invalid r");
    assert_null (sp_redis_url_new ("redis://h:0", NULL, 0));
    small[0] = 'x';
    assert_null (sp_redis_url_new ("redis://h:0", small, 0));
    assert_int_equal (small[0], 'x');
}

static void
test_destroy (void **state)
{
    (void) state;
    sp_redis_url_t *url = sp_redis_url_new ("redis://:pw@h", NULL, 0);
    assert_non_null (url);
    sp_redis_url_destroy (&url);
    assert_null (url);
    sp_redis_url_destroy (&url);
    assert_null (url);
}

/* redis+cluster://: seeds in order, the first as host and port, the
   address as written, credentials shared by every node's URL; database
   0 only; a bad seed is named by its place. */
static void
test_cluster (void **state)
{
    (void) state;
    char error[ERROR_SIZE];
    sp_redis_url_t *url = s_parse ("redis+cluster://:s%40cret@10.0.0.1:7000,[::1]:7001,h/0", error);
    assert_non_null (url);
    assert_true (sp_redis_url_cluster (url));
    assert_int_equal (sp_redis_url_seed_count (url), 3);
    assert_string_equal (sp_redis_url_seed_host (url, 0), "10.0.0.1");
    assert_int_equal (sp_redis_url_seed_port (url, 0), 7000);
    assert_string_equal (sp_redis_url_seed_host (url, 1), "::1");
    assert_int_equal (sp_redis_url_seed_port (url, 1), 7001);
    assert_string_equal (sp_redis_url_seed_host (url, 2), "h");
    assert_int_equal (sp_redis_url_seed_port (url, 2), 6379);
    assert_string_equal (sp_redis_url_host (url), "10.0.0.1");
    assert_int_equal (sp_redis_url_port (url), 7000);
    assert_string_equal (sp_redis_url_address (url), "10.0.0.1:7000,[::1]:7001,h");
    assert_string_equal (sp_redis_url_password (url), "s@cret");
    assert_int_equal (sp_redis_url_database (url), 0);

    sp_redis_url_t *node = sp_redis_url_node (url, "::1", 7005);
    assert_non_null (node);
    assert_false (sp_redis_url_cluster (node));
    assert_int_equal (sp_redis_url_seed_count (node), 0);
    assert_string_equal (sp_redis_url_host (node), "::1");
    assert_int_equal (sp_redis_url_port (node), 7005);
    assert_string_equal (sp_redis_url_address (node), "[::1]:7005");
    assert_string_equal (sp_redis_url_password (node), "s@cret");
    assert_null (sp_redis_url_username (node));
    assert_null (sp_redis_url_path (node));
    assert_int_equal (sp_redis_url_database (node), 0);
    sp_redis_url_destroy (&node);
    sp_redis_url_destroy (&url);

    url = s_parse ("redis+cluster://u:p@127.0.0.1:7000", error);
    assert_non_null (url);
    assert_int_equal (sp_redis_url_seed_count (url), 1);
    assert_string_equal (sp_redis_url_username (url), "u");
    sp_redis_url_destroy (&url);

    url = s_parse ("redis://127.0.0.1:7000", error);
    assert_false (sp_redis_url_cluster (url));
    assert_int_equal (sp_redis_url_seed_count (url), 0);
    sp_redis_url_destroy (&url);

    const struct {
        const char *url;      /* input */
        const char *expected; /* the whole error message */
    } cases[] = {
        { "redis+cluster://", "invalid redis url \"redis+cluster://\": missing host" },
        { "redis+cluster://a:1,,b:2", "invalid redis url \"redis+cluster://a:1,,b:2\": empty host "
                                      "in the list of cluster nodes" },
        { "redis+cluster://a:1,",
          "invalid redis url \"redis+cluster://a:1,\": empty host in the list of cluster nodes" },
        { "redis+cluster://a:1,b:0",
          "invalid redis url \"redis+cluster://a:1,b:0\": cluster node 2: port \"0\" is not a "
          "number in 1..65535" },
        { "redis+cluster://a:1/2",
          "invalid redis url \"redis+cluster://a:1/2\": a Redis Cluster has only database 0" },
        { "redis+cluster://:pw@a:1/x",
          "invalid redis url \"redis+cluster://***@a:1/x\": database \"x\" is not a number in "
          "0..2147483647" },
        { "redis+cluster://a:1?x=1",
          "invalid redis url \"redis+cluster://a:1?x=1\": query parameters are not supported" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_null (s_parse (cases[i].url, error));
        assert_string_equal (error, cases[i].expected);
    }
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_accepted_forms), cmocka_unit_test (test_unix_path_limit),
        cmocka_unit_test (test_errors),         cmocka_unit_test (test_error_buffers),
        cmocka_unit_test (test_destroy),        cmocka_unit_test (test_cluster),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
