/*  sp_harness_process - service processes for integration tests: start a
    built program against the harness's servers, wait for a line in its
    log or an HTTP answer, wait for its exit. Tests use these to run the real binaries the
    way operators do, and to kill and restart them; every wait polls an
    observable condition (a log line, an HTTP answer, waitpid) with a
    deadline.
*/
#include "sp_harness.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define SP_HARNESS_ENV_MAX 128        /* environment entries passed to a child */
#define SP_HARNESS_ENV_TEXT_MAX 512   /* longest SP_* entry built here */
#define SP_HARNESS_ARGS_MAX 16        /* argument vector entries of a child */
#define SP_HARNESS_HTTP_OK 200        /* the status sp_harness_wait_http waits for */
#define SP_HARNESS_POLL_MS 10         /* interval between polls of a condition */
#define SP_HARNESS_LOG_LINE_MAX 4096  /* longest log line compared whole */
#define SP_HARNESS_NS_PER_MS 1000000L /* nanoseconds in a millisecond */

void
sp_harness_pause_ms (int ms)
{
    struct timespec delay = { ms / 1000, (long) (ms % 1000) * SP_HARNESS_NS_PER_MS };
    while (nanosleep (&delay, &delay) != 0 && errno == EINTR)
        ;
}

int64_t
sp_harness_now_ms (void)
{
    struct timespec now;
    clock_gettime (CLOCK_MONOTONIC, &now);
    return (int64_t) now.tv_sec * 1000 + now.tv_nsec / SP_HARNESS_NS_PER_MS;
}

void
sp_harness_program (const char *name, char *path, size_t size)
{
    const char *build = getenv ("SP_BUILD_DIR");
    snprintf (path, size, "%s/%s/bin/%s", sp_harness_source_dir (),
              build && *build ? build : "build/release", name);
}

/* True when a setting names variable (given as "NAME="). */
static bool
s_named (const char *const *settings, const char *variable)
{
    for (size_t index = 0; settings && settings[index]; index++)
        if (strncmp (settings[index], variable, strlen (variable)) == 0)
            return true;
    return false;
}

pid_t
sp_harness_spawn_with (const sp_harness_t *self, const char *program,
                       const sp_harness_spawn_options_t *options)
{
    assert (options && options->stdout_path);
    const char *const *settings = options->settings;
    char postgres[SP_HARNESS_ENV_TEXT_MAX], redis[SP_HARNESS_ENV_TEXT_MAX];
    char *envp[SP_HARNESS_ENV_MAX];
    size_t count = 0;
    for (char **entry = environ; *entry && count < SP_HARNESS_ENV_MAX / 2; entry++)
        if (strncmp (*entry, "SP_", 3) != 0)
            envp[count++] = *entry;
    if (sp_harness_postgres_url (self) && !s_named (settings, "SP_POSTGRES_URL=")) {
        snprintf (postgres, sizeof postgres, "SP_POSTGRES_URL=%s", sp_harness_postgres_url (self));
        envp[count++] = postgres;
    }
    if (sp_harness_redis_url (self) && !s_named (settings, "SP_REDIS_URL=")) {
        snprintf (redis, sizeof redis, "SP_REDIS_URL=%s", sp_harness_redis_url (self));
        envp[count++] = redis;
    }
    if (!s_named (settings, "SP_HTTP="))
        envp[count++] = (char *) "SP_HTTP=127.0.0.1:0";
    /* kpi-evaluator binds its pace warnings' PUB socket: on any free port
       unless the test names one (no test depends on a fixed port) */
    if (!s_named (settings, "SP_KPI_WARNINGS_ENDPOINT="))
        envp[count++] = (char *) "SP_KPI_WARNINGS_ENDPOINT=tcp://127.0.0.1:*";
    /* and churn-alerting its alerts' */
    if (!s_named (settings, "SP_CHURN_ALERTS_ENDPOINT="))
        envp[count++] = (char *) "SP_CHURN_ALERTS_ENDPOINT=tcp://127.0.0.1:*";
    for (size_t index = 0; settings && settings[index] && count < SP_HARNESS_ENV_MAX - 1; index++)
        envp[count++] = (char *) settings[index];
    envp[count] = NULL;

    char *argv[SP_HARNESS_ARGS_MAX] = { (char *) program };
    size_t argc = 1;
    for (size_t index = 0;
         options->arguments && options->arguments[index] && argc < SP_HARNESS_ARGS_MAX - 1; index++)
        argv[argc++] = (char *) options->arguments[index];
    argv[argc] = NULL;

    int flags = O_WRONLY | O_CREAT | (options->truncate ? O_TRUNC : O_APPEND);
    bool shared = !options->stderr_path || strcmp (options->stderr_path, options->stdout_path) == 0;
    posix_spawn_file_actions_t actions;
    if (posix_spawn_file_actions_init (&actions) != 0)
        return -1;
    pid_t pid = -1;
    int rc = posix_spawn_file_actions_addopen (&actions, STDOUT_FILENO, options->stdout_path, flags,
                                               0600);
    if (rc == 0 && shared)
        rc = posix_spawn_file_actions_adddup2 (&actions, STDOUT_FILENO, STDERR_FILENO);
    else if (rc == 0)
        rc = posix_spawn_file_actions_addopen (&actions, STDERR_FILENO, options->stderr_path, flags,
                                               0600);
    if (rc == 0)
        rc = posix_spawn_file_actions_addopen (&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    if (rc == 0)
        rc = posix_spawn (&pid, program, &actions, NULL, argv, envp);
    posix_spawn_file_actions_destroy (&actions);
    if (rc != 0) {
        fprintf (stderr, "sp_harness: could not start \"%s\": %s\n", program, strerror (rc));
        return -1;
    }
    return pid;
}

pid_t
sp_harness_spawn (const sp_harness_t *self, const char *program, const char *const *settings,
                  const char *log_path)
{
    sp_harness_spawn_options_t options = { .settings = settings, .stdout_path = log_path };
    return sp_harness_spawn_with (self, program, &options);
}

int
sp_harness_read_file (const char *path, char *buffer, size_t size)
{
    buffer[0] = '\0';
    FILE *file = fopen (path, "r");
    if (!file)
        return -1;
    size_t length = fread (buffer, 1, size - 1, file);
    buffer[length] = '\0';
    fclose (file);
    return 0;
}

bool
sp_harness_log_contains (const char *log_path, const char *text)
{
    FILE *file = fopen (log_path, "r");
    if (!file)
        return false;
    char line[SP_HARNESS_LOG_LINE_MAX];
    bool found = false;
    while (!found && fgets (line, sizeof line, file))
        found = strstr (line, text) != NULL;
    fclose (file);
    return found;
}

int
sp_harness_log_http_port (const char *log_path)
{
    static const char marker[] = "msg=\"started\" http_port=";
    FILE *file = fopen (log_path, "r");
    if (!file)
        return -1;
    char line[SP_HARNESS_LOG_LINE_MAX];
    int port = -1;
    while (port < 0 && fgets (line, sizeof line, file)) {
        const char *found = strstr (line, marker);
        if (found)
            port = (int) strtol (found + strlen (marker), NULL, 10);
    }
    fclose (file);
    return port > 0 ? port : -1;
}

int
sp_harness_wait_log (pid_t pid, const char *log_path, const char *text, int timeout_ms)
{
    int64_t deadline = sp_harness_now_ms () + timeout_ms;
    while (true) {
        if (sp_harness_log_contains (log_path, text))
            return 0;
        if (waitpid (pid, NULL, WNOHANG) != 0) {
            fprintf (stderr, "sp_harness: pid %d exited before logging \"%s\" (log: %s)\n",
                     (int) pid, text, log_path);
            return -1;
        }
        if (sp_harness_now_ms () >= deadline) {
            fprintf (stderr, "sp_harness: \"%s\" not logged within %d ms (log: %s)\n", text,
                     timeout_ms, log_path);
            return -1;
        }
        sp_harness_pause_ms (SP_HARNESS_POLL_MS);
    }
}

int
sp_harness_wait_http (pid_t pid, int port, const char *path, const char *text, char *body,
                      size_t size, int timeout_ms)
{
    int64_t deadline = sp_harness_now_ms () + timeout_ms;
    while (true) {
        int status = 0;
        if (sp_harness_http_get (port, path, &status, body, size) == 0 &&
            status == SP_HARNESS_HTTP_OK && (!text || strstr (body, text)))
            return 0;
        if (waitpid (pid, NULL, WNOHANG) != 0) {
            fprintf (stderr, "sp_harness: pid %d exited before answering \"%s\" on port %d\n",
                     (int) pid, path, port);
            return -1;
        }
        if (sp_harness_now_ms () >= deadline) {
            fprintf (stderr, "sp_harness: \"%s\" on port %d not as awaited within %d ms\n", path,
                     port, timeout_ms);
            return -1;
        }
        sp_harness_pause_ms (SP_HARNESS_POLL_MS);
    }
}

pid_t
sp_harness_start_ingest (const sp_harness_t *self, const char *endpoint,
                         const char *const *settings, const char *log_path, int timeout_ms)
{
    char program[PATH_MAX], endpoint_setting[SP_HARNESS_ENV_TEXT_MAX],
        bus_setting[SP_HARNESS_ENV_TEXT_MAX];
    sp_harness_program ("activity-ingest", program, sizeof program);
    snprintf (endpoint_setting, sizeof endpoint_setting, "SP_INGEST_ENDPOINT=%s", endpoint);
    snprintf (bus_setting, sizeof bus_setting, "SP_BUS_ENDPOINT=tcp://127.0.0.1:%d",
              sp_harness_free_port ());
    const char *all[SP_HARNESS_ENV_MAX / 2] = { endpoint_setting };
    size_t count = 1;
    if (!s_named (settings, "SP_BUS_ENDPOINT="))
        all[count++] = bus_setting;
    for (size_t index = 0; settings && settings[index] && count < SP_HARNESS_ENV_MAX / 2 - 1;
         index++)
        all[count++] = settings[index];
    all[count] = NULL;
    pid_t pid = sp_harness_spawn (self, program, all, log_path);
    if (pid > 0 &&
        sp_harness_wait_log (pid, log_path, "msg=\"accepting requests\"", timeout_ms) != 0) {
        sp_harness_wait_exit (pid, 0); /* kills and reaps it if still running */
        pid = -1;
    }
    return pid;
}

int
sp_harness_wait_exit (pid_t pid, int timeout_ms)
{
    int64_t deadline = sp_harness_now_ms () + timeout_ms;
    while (true) {
        int status = 0;
        pid_t waited = waitpid (pid, &status, WNOHANG);
        if (waited == pid)
            return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
        if (waited < 0 && errno != EINTR)
            return -1;
        if (sp_harness_now_ms () >= deadline) {
            kill (pid, SIGKILL);
            while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
                ;
            return -1;
        }
        sp_harness_pause_ms (SP_HARNESS_POLL_MS);
    }
}

int
sp_harness_stop (pid_t pid, int timeout_ms)
{
    kill (pid, SIGTERM);
    return sp_harness_wait_exit (pid, timeout_ms);
}
