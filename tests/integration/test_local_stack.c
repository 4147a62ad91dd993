/*  test_local_stack - the local stack's acceptance: "the local stack starts,
    migrations apply twice without change, and stops leaving no process
    behind".

    Runs deploy/local/stack.sh exactly as `make up` / `make down` do, but
    with SP_RUN_DIR in a temporary folder and free loopback ports, so the
    developer's .run/ is never touched. The build folder is a temporary one
    holding a link to the real salesctl ($SP_BUILD_DIR/bin/salesctl) and a
    stand-in funnel-tracker script, so starting, checking and stopping
    services is exercised too. The stack runs as `make up` does by default
    (SP_LOCAL_SECURE=1): scram-sha-256, a login role and a Redis ACL user
    per service, passwords made on the first `up` in RUN_DIR/secrets; one
    test starts it with trust first and checks the switch.
*/
/* nftw() is an X/Open extension. */
#define _XOPEN_SOURCE 700

#include "sp_harness.h"
#include "sp_pg.h"
#include "sp_redis.h"
#include "sp_refdata.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define TEST_TEXT_MAX 65536           /* most output read back from a command */
#define TEST_NUMBER_MAX 32            /* room for a number in decimal */
#define TEST_URL_MAX 1024             /* longest URL built here */
#define TEST_SECRET_MAX 128           /* longest generated password */
#define TEST_PRIVATE_MODE 0600        /* mode of RUN_DIR/env and the secrets */
#define TEST_OPEN_FILES_MAX 64        /* nftw: file descriptors to use at most */
#define TEST_SERVICE_WAIT_SECONDS "1" /* the stand-in never answers /healthz */
#define TEST_DEFAULT_PARTITIONS "16"  /* salesctl's default partition count */
#define TEST_HTTP_OFFSET 1            /* funnel-tracker is the second service */
#define TEST_EXECUTABLE_MODE 0755     /* mode of the stand-in service script */
#define TEST_FIFO_MODE 0600           /* mode of the FIFO the stand-in blocks on */

/* A stand-in service: records its environment, then blocks on a FIFO with
   no child process, so SIGTERM ends it and nothing else. */
static const char s_service_script[] =
    "#!/bin/bash\n"
    "printf '%s\\n' \"$SP_POSTGRES_URL\" \"$SP_REDIS_URL\" \"$SP_HTTP\" \"${PGPASSFILE-}\" > "
    "\"$0.env\"\n"
    "read -r _ <> \"$0.fifo\"\n";

/* Everything one test run uses. */
typedef struct {
    char dir[PATH_MAX];       /* temporary folder holding all below */
    char run_dir[PATH_MAX];   /* SP_RUN_DIR */
    char build_dir[PATH_MAX]; /* stand-in BUILD_DIR */
    char output[PATH_MAX];    /* where the last command's output went */
    char text[TEST_TEXT_MAX]; /* the last command's output */
    int postgres_port;        /* SP_LOCAL_PG_PORT */
    int redis_port;           /* SP_LOCAL_REDIS_PORT */
    int http_port;            /* SP_LOCAL_HTTP_PORT_BASE */
} s_stack_t;

/* folder/name into buffer; the path must fit. */
static void
s_join (char *buffer, size_t size, const char *folder, const char *name)
{
    int length = snprintf (buffer, size, "%s/%s", folder, name);
    assert_true (length > 0 && (size_t) length < size);
}

static int
s_remove_entry (const char *path, const struct stat *status, int type, struct FTW *walk)
{
    (void) status;
    (void) type;
    (void) walk;
    remove (path);
    return 0;
}

/* Reserves count distinct free loopback ports. */
static void
s_free_ports (int *ports, int count)
{
    int sockets[3];
    assert_true (count <= 3);
    for (int index = 0; index < count; index++) {
        sockets[index] = socket (AF_INET, SOCK_STREAM, 0);
        assert_true (sockets[index] >= 0);
        struct sockaddr_in address;
        memset (&address, 0, sizeof address);
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        assert_int_equal (bind (sockets[index], (struct sockaddr *) &address, sizeof address), 0);
        assert_int_equal (getsockname (sockets[index], (struct sockaddr *) &address, &length), 0);
        ports[index] = ntohs (address.sin_port);
    }
    for (int index = 0; index < count; index++)
        close (sockets[index]);
}

/* Runs `bash stack.sh COMMAND [ARGUMENT]`, output in stack->text; returns
   its exit status. */
static int
s_stack (s_stack_t *stack, const char *command, const char *argument)
{
    char script[PATH_MAX];
    snprintf (script, sizeof script, "%s/deploy/local/stack.sh", sp_harness_source_dir ());
    char *argv[] = { (char *) "bash", script, (char *) command, (char *) argument, NULL };
    posix_spawn_file_actions_t actions;
    assert_int_equal (posix_spawn_file_actions_init (&actions), 0);
    assert_int_equal (posix_spawn_file_actions_addopen (&actions, STDOUT_FILENO, stack->output,
                                                        O_WRONLY | O_CREAT | O_TRUNC, 0600),
                      0);
    assert_int_equal (posix_spawn_file_actions_adddup2 (&actions, STDOUT_FILENO, STDERR_FILENO), 0);
    pid_t pid;
    assert_int_equal (posix_spawnp (&pid, "bash", &actions, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy (&actions);
    int status = 0;
    while (waitpid (pid, &status, 0) < 0)
        assert_int_equal (errno, EINTR);
    FILE *file = fopen (stack->output, "r");
    assert_non_null (file);
    size_t length = fread (stack->text, 1, sizeof stack->text - 1, file);
    stack->text[length] = '\0';
    fclose (file);
    printf ("---- stack.sh %s\n%s", command, stack->text);
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

/* Reads a PID file; 0 if it does not exist. */
static pid_t
s_read_pid (const s_stack_t *stack, const char *name)
{
    char path[PATH_MAX];
    int length = snprintf (path, sizeof path, "%s/pids/%s.pid", stack->run_dir, name);
    assert_true (length > 0 && (size_t) length < sizeof path);
    FILE *file = fopen (path, "r");
    if (!file)
        return 0;
    long long pid = 0;
    int matched = fscanf (file, "%lld", &pid);
    fclose (file);
    assert_int_equal (matched, 1);
    assert_true (pid > 0);
    return (pid_t) pid;
}

/* True when the process exists and is not a zombie; *parent gets its PPID. */
static bool
s_alive (pid_t pid, pid_t *parent)
{
    char path[PATH_MAX], line[PATH_MAX];
    snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
    FILE *file = fopen (path, "r");
    if (!file)
        return false;
    bool alive = false;
    if (fgets (line, sizeof line, file)) {
        const char *after_name = strrchr (line, ')');
        char state = 0;
        int parent_pid = 0;
        if (after_name && sscanf (after_name + 1, " %c %d", &state, &parent_pid) == 2) {
            alive = state != 'Z';
            if (parent)
                *parent = (pid_t) parent_pid;
        }
    }
    fclose (file);
    return alive;
}

/* True when some live process has needle in its command line or is a
   child of parent. */
static bool
s_any_process (const char *needle, pid_t parent)
{
    DIR *proc = opendir ("/proc");
    assert_non_null (proc);
    bool found = false;
    struct dirent *entry;
    while (!found && (entry = readdir (proc)) != NULL) {
        char *end = NULL;
        long pid = strtol (entry->d_name, &end, 10);
        if (*end != '\0' || pid <= 0 || pid == (long) getpid ())
            continue;
        pid_t process_parent = 0;
        if (!s_alive ((pid_t) pid, &process_parent))
            continue;
        if (parent > 0 && process_parent == parent) {
            found = true;
            break;
        }
        char path[PATH_MAX], command_line[PATH_MAX];
        snprintf (path, sizeof path, "/proc/%ld/cmdline", pid);
        FILE *file = fopen (path, "r");
        if (!file)
            continue;
        size_t length = fread (command_line, 1, sizeof command_line - 1, file);
        fclose (file);
        for (size_t index = 0; index < length; index++)
            if (command_line[index] == '\0')
                command_line[index] = ' ';
        command_line[length] = '\0';
        if (strstr (command_line, needle)) {
            fprintf (stderr, "left behind: pid %ld: %s\n", pid, command_line);
            found = true;
        }
    }
    closedir (proc);
    return found;
}

static bool
s_exists (const char *folder, const char *name)
{
    char path[PATH_MAX];
    int written = snprintf (path, sizeof path, "%s/%s", folder, name);
    if (written < 0 || (size_t) written >= sizeof path)
        return false;
    return access (path, F_OK) == 0;
}

static void
s_write_text (const char *path, const char *text, mode_t mode)
{
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    assert_true (fputs (text, file) >= 0);
    assert_int_equal (fclose (file), 0);
    assert_int_equal (chmod (path, mode), 0);
}

static void
s_set_number (const char *name, int value)
{
    char text[TEST_NUMBER_MAX];
    snprintf (text, sizeof text, "%d", value);
    assert_int_equal (setenv (name, text, 1), 0);
}

/* Fills the stand-in build folder: bin/salesctl links to the real one. */
static void
s_make_build (s_stack_t *stack)
{
    char path[PATH_MAX], salesctl[PATH_MAX], resolved[PATH_MAX];
    const char *build = getenv ("SP_BUILD_DIR");
    snprintf (salesctl, sizeof salesctl, "%s/bin/salesctl",
              build && *build ? build : "build/release");
    if (!realpath (salesctl, resolved))
        fail_msg ("no salesctl at \"%s\" (set SP_BUILD_DIR, build first): %s", salesctl,
                  strerror (errno));
    s_join (path, sizeof path, stack->build_dir, "bin");
    assert_int_equal (mkdir (stack->build_dir, TEST_EXECUTABLE_MODE), 0);
    assert_int_equal (mkdir (path, TEST_EXECUTABLE_MODE), 0);
    s_join (path, sizeof path, stack->build_dir, "bin/salesctl");
    assert_int_equal (symlink (resolved, path), 0);
    s_join (path, sizeof path, stack->build_dir, "bin/funnel-tracker");
    s_write_text (path, s_service_script, TEST_EXECUTABLE_MODE);
    s_join (path, sizeof path, stack->build_dir, "bin/funnel-tracker.fifo");
    assert_int_equal (mkfifo (path, TEST_FIFO_MODE), 0);
}

/* A temporary folder, free ports and the environment stack.sh reads; set
   before anything runs so no command can ever reach the developer's .run/. */
static int
s_setup (void **state)
{
    s_stack_t *stack = (s_stack_t *) calloc (1, sizeof (s_stack_t));
    if (!stack)
        return -1;
    const char *tmp = getenv ("TMPDIR");
    snprintf (stack->dir, sizeof stack->dir, "%s/test-stack.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp (stack->dir)) {
        free (stack);
        return -1;
    }
    s_join (stack->run_dir, sizeof stack->run_dir, stack->dir, "run");
    s_join (stack->build_dir, sizeof stack->build_dir, stack->dir, "build");
    s_join (stack->output, sizeof stack->output, stack->dir, "output.txt");
    *state = stack;
    int ports[3];
    s_free_ports (ports, 3);
    stack->postgres_port = ports[0];
    stack->redis_port = ports[1];
    stack->http_port = ports[2];
    if (setenv ("SP_RUN_DIR", stack->run_dir, 1) != 0)
        return -1;
    s_set_number ("SP_LOCAL_PG_PORT", stack->postgres_port);
    s_set_number ("SP_LOCAL_REDIS_PORT", stack->redis_port);
    s_set_number ("SP_LOCAL_HTTP_PORT_BASE", stack->http_port);
    assert_int_equal (setenv ("SP_LOCAL_SERVICE_WAIT_SECONDS", TEST_SERVICE_WAIT_SECONDS, 1), 0);
    s_make_build (stack);
    return 0;
}

static int
s_teardown (void **state)
{
    s_stack_t *stack = (s_stack_t *) *state;
    /* Whatever happened, stop and remove everything the stack started. */
    if (getenv ("SP_RUN_DIR") && strcmp (getenv ("SP_RUN_DIR"), stack->run_dir) == 0)
        s_stack (stack, "purge", NULL);
    unsetenv ("SP_RUN_DIR");
    nftw (stack->dir, s_remove_entry, TEST_OPEN_FILES_MAX, FTW_DEPTH | FTW_PHYS);
    free (stack);
    return 0;
}

/* The owner's libpq URL, its password file (made by the stack) named in it. */
static void
s_owner_url (const s_stack_t *stack, char *url, size_t size)
{
    int length = snprintf (url, size,
                           "postgresql://salespulse@127.0.0.1:%d/salespulse?passfile=%s/secrets/"
                           "salespulse.pgpass",
                           stack->postgres_port, stack->run_dir);
    assert_true (length > 0 && (size_t) length < size);
}

/* The password the stack made for secret name (RUN_DIR/secrets/NAME). */
static void
s_secret (const s_stack_t *stack, const char *name, char *secret, size_t size)
{
    char path[PATH_MAX];
    s_join (path, sizeof path, stack->run_dir, "secrets");
    char file[PATH_MAX];
    s_join (file, sizeof file, path, name);
    assert_int_equal (sp_harness_read_file (file, secret, size), 0);
    assert_true (strlen (secret) >= 32);
    struct stat status;
    assert_int_equal (stat (file, &status), 0);
    assert_int_equal (status.st_mode & 0777, TEST_PRIVATE_MODE);
}

/* The database the stack set up: every migration once, the partitions. */
static void
s_check_schema (const s_stack_t *stack, char **applied)
{
    char url[TEST_URL_MAX];
    s_owner_url (stack, url, sizeof url);
    sp_pg_t *pg = sp_pg_new (url, "test_local_stack");
    assert_non_null (pg);
    assert_int_equal (sp_pg_connect (pg), 0);
    sp_pg_result_t *result = sp_pg_exec (
        pg,
        "SELECT string_agg(version || ' ' || name || ' ' || checksum || ' ' || applied_at, ';'"
        " ORDER BY version) FROM schema_migrations",
        0, NULL, NULL, NULL);
    assert_true (sp_pg_result_ok (result));
    const char *rows = sp_pg_result_value (result, 0, 0);
    assert_non_null (strstr (rows, "1 0001_event_log.sql "));
    if (*applied)
        assert_string_equal (*applied, rows);
    else
        *applied = strdup (rows);
    sp_pg_result_destroy (&result);
    result = sp_pg_exec (pg,
                         "SELECT (SELECT value FROM salespulse_settings WHERE name = 'partitions'),"
                         " (SELECT count(*) FROM event_partitions)",
                         0, NULL, NULL, NULL);
    assert_true (sp_pg_result_ok (result));
    const char *partitions = getenv ("SP_PARTITIONS");
    partitions = partitions && *partitions ? partitions : TEST_DEFAULT_PARTITIONS;
    assert_string_equal (sp_pg_result_value (result, 0, 0), partitions);
    assert_string_equal (sp_pg_result_value (result, 0, 1), partitions);
    sp_pg_result_destroy (&result);
    sp_pg_destroy (&pg);
}

static void
test_up_twice_then_down_leaves_nothing (void **state)
{
    s_stack_t *stack = (s_stack_t *) *state;

    /* Up: servers, migrations, the built service. */
    assert_int_equal (s_stack (stack, "up", stack->build_dir), 0);
    assert_non_null (strstr (stack->text, "applied 0001_event_log.sql"));
    char *applied = NULL;
    s_check_schema (stack, &applied);
    char path[PATH_MAX], expected[2 * PATH_MAX], environment[2 * PATH_MAX];
    s_join (path, sizeof path, stack->build_dir, "bin/funnel-tracker.env");
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    size_t read = fread (environment, 1, sizeof environment - 1, file);
    environment[read] = '\0';
    fclose (file);
    /* Its own login role with its password file, its own Redis user. */
    char redis_password[TEST_SECRET_MAX], admin_password[TEST_SECRET_MAX];
    s_secret (stack, "redis-funnel-tracker.password", redis_password, sizeof redis_password);
    s_secret (stack, "redis-admin.password", admin_password, sizeof admin_password);
    int length = snprintf (expected, sizeof expected,
                           "postgresql://funnel_tracker@127.0.0.1:%d/salespulse\n"
                           "redis://funnel-tracker:%s@127.0.0.1:%d/0\n127.0.0.1:%d\n%s/secrets/"
                           "funnel_tracker.pgpass\n",
                           stack->postgres_port, redis_password, stack->redis_port,
                           stack->http_port + TEST_HTTP_OFFSET, stack->run_dir);
    assert_true (length > 0 && (size_t) length < sizeof expected);
    assert_string_equal (environment, expected);
    struct stat status;
    s_join (path, sizeof path, stack->run_dir, "env");
    assert_int_equal (stat (path, &status), 0);
    assert_int_equal (status.st_mode & 0777, TEST_PRIVATE_MODE);

    /* The role can log in with its password file. */
    char url[TEST_URL_MAX], error[256];
    length = snprintf (url, sizeof url,
                       "postgresql://funnel_tracker@127.0.0.1:%d/salespulse?passfile=%s/secrets/"
                       "funnel_tracker.pgpass",
                       stack->postgres_port, stack->run_dir);
    assert_true (length > 0 && (size_t) length < sizeof url);
    sp_pg_t *role = sp_pg_new (url, "test_local_stack");
    assert_non_null (role);
    assert_int_equal (sp_pg_connect (role), 0);
    sp_pg_destroy (&role);

    /* Redis runs with the project's settings (docs/operations.md). */
    snprintf (url, sizeof url, "redis://admin:%s@127.0.0.1:%d/0", admin_password,
              stack->redis_port);
    sp_redis_t *connection = sp_redis_new (url, NULL, error, sizeof error);
    assert_non_null (connection);
    assert_int_equal (sp_redis_connect (connection, error, sizeof error), 0);
    const char *settings[][2] = { { "zset-max-listpack-entries", "16" },
                                  { "hash-max-listpack-entries", "64" } };
    for (size_t index = 0; index < 2; index++) {
        sp_redis_reply_t *setting = sp_redis_command (
            connection, 3, (const char *[]){ "CONFIG", "GET", settings[index][0] }, NULL, error,
            sizeof error);
        assert_non_null (setting);
        assert_int_equal (sp_redis_reply_size (setting), 2);
        assert_string_equal (sp_redis_reply_string (sp_redis_reply_element (setting, 1), NULL),
                             settings[index][1]);
        sp_redis_reply_destroy (&setting);
    }
    sp_redis_destroy (&connection);

    /* Up again: harmless, nothing applied, nothing changed. */
    assert_int_equal (s_stack (stack, "up", stack->build_dir), 0);
    assert_non_null (strstr (stack->text, "postgres: already running"));
    assert_non_null (strstr (stack->text, "redis: already running"));
    assert_non_null (strstr (stack->text, "funnel-tracker: already running"));
    assert_non_null (strstr (stack->text, "migrations: 0 applied"));
    s_check_schema (stack, &applied);
    free (applied);

    assert_int_equal (s_stack (stack, "status", NULL), 0);
    assert_non_null (strstr (stack->text, "postgres               running"));
    assert_non_null (strstr (stack->text, "redis                  running"));
    assert_non_null (strstr (stack->text, "funnel-tracker         running"));
    assert_non_null (strstr (stack->text, "activity-ingest        stopped"));

    /* Down: every process gone, no PID file left. */
    char home[PATH_MAX];
    s_join (path, sizeof path, stack->run_dir, "postgres.home");
    file = fopen (path, "r");
    assert_non_null (file);
    assert_non_null (fgets (home, sizeof home, file));
    fclose (file);
    home[strcspn (home, "\n")] = '\0';
    pid_t postgres = s_read_pid (stack, "postgres");
    pid_t redis = s_read_pid (stack, "redis");
    pid_t service = s_read_pid (stack, "funnel-tracker");
    assert_true (postgres > 0 && redis > 0 && service > 0);
    assert_true (s_alive (postgres, NULL) && s_alive (redis, NULL) && s_alive (service, NULL));
    assert_int_equal (s_stack (stack, "down", NULL), 0);
    assert_false (s_alive (postgres, NULL));
    assert_false (s_alive (redis, NULL));
    assert_false (s_alive (service, NULL));
    assert_false (s_any_process (home, postgres));
    assert_false (s_any_process (stack->dir, 0));
    s_join (path, sizeof path, stack->run_dir, "pids");
    assert_false (s_exists (path, "postgres.pid"));
    assert_false (s_exists (path, "redis.pid"));
    assert_false (s_exists (path, "funnel-tracker.pid"));
    s_join (path, sizeof path, home, "data");
    assert_false (s_exists (path, "postmaster.pid"));

    /* Down again: harmless. */
    assert_int_equal (s_stack (stack, "down", NULL), 0);
}

static void
test_recovers_from_a_crash (void **state)
{
    s_stack_t *stack = (s_stack_t *) *state;
    assert_int_equal (s_stack (stack, "up", stack->build_dir), 0);

    /* Redis and the service die without cleaning up: down clears the stale PID files. */
    pid_t redis = s_read_pid (stack, "redis");
    pid_t service = s_read_pid (stack, "funnel-tracker");
    assert_int_equal (kill (redis, SIGKILL), 0);
    assert_int_equal (kill (service, SIGKILL), 0);
    assert_int_equal (s_stack (stack, "down", NULL), 0);
    assert_non_null (strstr (stack->text, "redis: not running (removing stale pid file)"));
    assert_non_null (strstr (stack->text, "funnel-tracker: not running (removing stale pid file)"));
    assert_int_equal (s_read_pid (stack, "redis"), 0);
    assert_int_equal (s_read_pid (stack, "funnel-tracker"), 0);

    /* A postmaster.pid left by a crash, naming a live process that is not
       PostgreSQL (this test): up removes it and starts, and stops only what
       it started. */
    char path[PATH_MAX], home[PATH_MAX], text[TEST_NUMBER_MAX];
    s_join (path, sizeof path, stack->run_dir, "postgres.home");
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    assert_non_null (fgets (home, sizeof home, file));
    fclose (file);
    home[strcspn (home, "\n")] = '\0';
    s_join (path, sizeof path, home, "data/postmaster.pid");
    snprintf (text, sizeof text, "%d\n", (int) getpid ());
    s_write_text (path, text, TEST_FIFO_MODE);
    s_join (path, sizeof path, stack->run_dir, "pids/redis.pid");
    s_write_text (path, text, TEST_FIFO_MODE);
    assert_int_equal (s_stack (stack, "up", stack->build_dir), 0);
    assert_non_null (strstr (stack->text, "removing stale"));
    assert_non_null (strstr (stack->text, "migrations: 0 applied"));
    assert_int_equal (s_stack (stack, "down", NULL), 0);
    assert_false (s_any_process (stack->dir, 0));
    assert_false (s_any_process (home, 0));
}

/* The shipped funnels seed an empty database only: a version an operator
   loaded since survives `make down` / `make up` (stack.sh loads them with
   --if-absent). */
static void
test_operator_version_survives_up (void **state)
{
    s_stack_t *stack = (s_stack_t *) *state;
    assert_int_equal (s_stack (stack, "up", stack->build_dir), 0);
    assert_non_null (strstr (stack->text, "funnel \"default\" loaded: version 1"));
    char url[TEST_URL_MAX];
    s_owner_url (stack, url, sizeof url);
    sp_pg_t *pg = sp_pg_new (url, "test_local_stack");
    assert_non_null (pg);
    assert_int_equal (sp_pg_connect (pg), 0);
    /* The operator's version 2 (any canonical text of the kind will do). */
    sp_refdata_stored_t stored;
    char error[SP_REFDATA_ERROR_SIZE];
    assert_int_equal (sp_refdata_store (pg, "funnel", "default",
                                        "{\"name\":\"default\",\"operator\":true}", NULL,
                                        "operator", false, &stored, error, sizeof error),
                      0);
    assert_int_equal (stored.version, 2);
    sp_pg_destroy (&pg);
    assert_int_equal (s_stack (stack, "down", NULL), 0);
    assert_int_equal (s_stack (stack, "up", stack->build_dir), 0);
    assert_non_null (strstr (stack->text, "funnel \"default\" unchanged: version 2"));
    pg = sp_pg_new (url, "test_local_stack");
    assert_int_equal (sp_pg_connect (pg), 0);
    sp_pg_result_t *result = sp_pg_exec (pg,
                                         "SELECT max(version), count(*) FROM reference_data "
                                         "WHERE kind = 'funnel' AND name = 'default'",
                                         0, NULL, NULL, NULL);
    assert_true (sp_pg_result_ok (result));
    assert_string_equal (sp_pg_result_value (result, 0, 0), "2");
    assert_string_equal (sp_pg_result_value (result, 0, 1), "2");
    sp_pg_result_destroy (&result);
    sp_pg_destroy (&pg);
    assert_int_equal (s_stack (stack, "down", NULL), 0);
}

/* A stack that ran with trust (SP_LOCAL_SECURE=0, or one made before the
   roles) is switched to scram-sha-256 by the next secure `up`, its data
   kept: afterwards a connection without the password is refused. */
static void
test_trust_stack_switches_to_scram (void **state)
{
    s_stack_t *stack = (s_stack_t *) *state;
    assert_int_equal (setenv ("SP_LOCAL_SECURE", "0", 1), 0);
    int status = s_stack (stack, "up", stack->build_dir);
    unsetenv ("SP_LOCAL_SECURE");
    assert_int_equal (status, 0);
    char path[PATH_MAX], environment[PATH_MAX], expected[PATH_MAX];
    s_join (path, sizeof path, stack->build_dir, "bin/funnel-tracker.env");
    assert_int_equal (sp_harness_read_file (path, environment, sizeof environment), 0);
    snprintf (expected, sizeof expected,
              "postgresql://salespulse@127.0.0.1:%d/salespulse\nredis://127.0.0.1:%d/0\n"
              "127.0.0.1:%d\n\n",
              stack->postgres_port, stack->redis_port, stack->http_port + TEST_HTTP_OFFSET);
    assert_string_equal (environment, expected);
    char url[TEST_URL_MAX];
    int length =
        snprintf (url, sizeof url,
                  "postgresql://salespulse@127.0.0.1:%d/salespulse?passfile=%s/no-such.pgpass",
                  stack->postgres_port, stack->dir);
    assert_true (length > 0 && (size_t) length < sizeof url);
    sp_pg_t *pg = sp_pg_new (url, "test_local_stack");
    assert_non_null (pg);
    assert_int_equal (sp_pg_connect (pg), 0); /* trust */
    sp_pg_destroy (&pg);
    assert_int_equal (s_stack (stack, "down", NULL), 0);

    assert_int_equal (s_stack (stack, "up", stack->build_dir), 0);
    assert_non_null (strstr (stack->text, "scram-sha-256 authentication in force"));
    assert_non_null (strstr (stack->text, "migrations: 0 applied"));
    pg = sp_pg_new (url, "test_local_stack");
    assert_non_null (pg);
    sp_pg_set_retry (pg, 1, 1, 1);
    assert_int_not_equal (sp_pg_connect (pg), 0);
    sp_pg_destroy (&pg);
    char *applied = NULL;
    s_check_schema (stack, &applied);
    free (applied);
    assert_int_equal (s_stack (stack, "down", NULL), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown (test_up_twice_then_down_leaves_nothing, s_setup,
                                         s_teardown),
        cmocka_unit_test_setup_teardown (test_recovers_from_a_crash, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_operator_version_survives_up, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_trust_stack_switches_to_scram, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
