/*  sp_harness_process - service processes for integration tests: start a
    built program against the harness's servers, wait for a line in its
    log, wait for its exit. Tests use these to run the real binaries the
    way operators do, and to kill and restart them; every wait polls an
    observable condition (a log line, waitpid) with a deadline.
*/
#include "sp_harness.h"

#include <errno.h>
#include <fcntl.h>
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
#define SP_HARNESS_POLL_MS 10         /* interval between polls of a condition */
#define SP_HARNESS_LOG_LINE_MAX 4096  /* longest log line compared whole */
#define SP_HARNESS_NS_PER_MS 1000000L /* nanoseconds in a millisecond */

static void
s_pause (void)
{
    struct timespec delay = { 0, SP_HARNESS_POLL_MS * SP_HARNESS_NS_PER_MS };
    nanosleep (&delay, NULL);
}

static int64_t
s_now_ms (void)
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

pid_t
sp_harness_spawn (const sp_harness_t *self, const char *program, const char *const *settings,
                  const char *log_path)
{
    char postgres[SP_HARNESS_ENV_TEXT_MAX], redis[SP_HARNESS_ENV_TEXT_MAX];
    char *envp[SP_HARNESS_ENV_MAX];
    size_t count = 0;
    for (char **entry = environ; *entry && count < SP_HARNESS_ENV_MAX / 2; entry++)
        if (strncmp (*entry, "SP_", 3) != 0)
            envp[count++] = *entry;
    if (sp_harness_postgres_url (self)) {
        snprintf (postgres, sizeof postgres, "SP_POSTGRES_URL=%s", sp_harness_postgres_url (self));
        envp[count++] = postgres;
    }
    if (sp_harness_redis_url (self)) {
        snprintf (redis, sizeof redis, "SP_REDIS_URL=%s", sp_harness_redis_url (self));
        envp[count++] = redis;
    }
    envp[count++] = (char *) "SP_HTTP=127.0.0.1:0";
    for (size_t index = 0; settings && settings[index] && count < SP_HARNESS_ENV_MAX - 1; index++)
        envp[count++] = (char *) settings[index];
    envp[count] = NULL;

    posix_spawn_file_actions_t actions;
    if (posix_spawn_file_actions_init (&actions) != 0)
        return -1;
    pid_t pid = -1;
    int rc = posix_spawn_file_actions_addopen (&actions, STDOUT_FILENO, log_path,
                                               O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (rc == 0)
        rc = posix_spawn_file_actions_adddup2 (&actions, STDOUT_FILENO, STDERR_FILENO);
    if (rc == 0)
        rc = posix_spawn_file_actions_addopen (&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    char *argv[] = { (char *) program, NULL };
    if (rc == 0)
        rc = posix_spawn (&pid, program, &actions, NULL, argv, envp);
    posix_spawn_file_actions_destroy (&actions);
    if (rc != 0) {
        fprintf (stderr, "sp_harness: could not start \"%s\": %s\n", program, strerror (rc));
        return -1;
    }
    return pid;
}

static bool
s_log_contains (const char *log_path, const char *text)
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
sp_harness_wait_log (pid_t pid, const char *log_path, const char *text, int timeout_ms)
{
    int64_t deadline = s_now_ms () + timeout_ms;
    while (true) {
        if (s_log_contains (log_path, text))
            return 0;
        if (waitpid (pid, NULL, WNOHANG) != 0) {
            fprintf (stderr, "sp_harness: pid %d exited before logging \"%s\" (log: %s)\n",
                     (int) pid, text, log_path);
            return -1;
        }
        if (s_now_ms () >= deadline) {
            fprintf (stderr, "sp_harness: \"%s\" not logged within %d ms (log: %s)\n", text,
                     timeout_ms, log_path);
            return -1;
        }
        s_pause ();
    }
}

int
sp_harness_wait_exit (pid_t pid, int timeout_ms)
{
    int64_t deadline = s_now_ms () + timeout_ms;
    while (true) {
        int status = 0;
        pid_t waited = waitpid (pid, &status, WNOHANG);
        if (waited == pid)
            return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
        if (waited < 0 && errno != EINTR)
            return -1;
        if (s_now_ms () >= deadline) {
            kill (pid, SIGKILL);
            while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
                ;
            return -1;
        }
        s_pause ();
    }
}
