/*  bench_redis_stats - Redis's own counters over a phase of a benchmark
    (see bench_redis_stats.h).
*/
#include "bench_redis_stats.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERROR_SIZE 512
#define NAME_SIZE 64        /* a command name as INFO writes it */
#define COMMANDS_INITIAL 32 /* commandstats lines, first allocation */
#define CMDSTAT_PREFIX "cmdstat_"
#define OWN_RESET "config|resetstat" /* this benchmark's reset */
#define OWN_GET "get"                /* its checkpoint reads */

/* One commandstats line. */
typedef struct {
    char name[NAME_SIZE]; /* "hincrby", "config|resetstat" */
    uint64_t calls;       /* executions, top level and inside scripts */
    uint64_t usec;        /* microseconds inside the command */
} s_command_t;

struct _bench_redis_stats_t {
    const char *bench;     /* program name in messages */
    sp_redis_t *redis;     /* borrowed */
    double cpu_start;      /* main thread's CPU seconds at the start */
    double cpu_s;          /* main thread's CPU seconds over the phase */
    uint64_t executed;     /* total_commands_processed, own commands out */
    uint64_t writes;       /* total_writes_processed, own requests out */
    s_command_t *commands; /* [count] lines with calls, own commands out */
    size_t count;
    size_t room;
};

/* Names of the commands that run a script: only clients send them. */
static bool
s_is_script (const char *name)
{
    static const char *const scripts[] = { "evalsha",    "eval",    "fcall",
                                           "evalsha_ro", "eval_ro", "fcall_ro" };
    for (size_t index = 0; index < sizeof scripts / sizeof scripts[0]; index++)
        if (strcmp (name, scripts[index]) == 0)
            return true;
    return false;
}

/* Runs INFO with the sections in argv; returns its text (caller frees),
   or NULL (printed). */
static char *
s_info (bench_redis_stats_t *self, int argc, const char *const *argv)
{
    char error[ERROR_SIZE];
    sp_redis_reply_t *reply = sp_redis_command (self->redis, argc, argv, NULL, error, sizeof error);
    if (!reply || sp_redis_reply_type (reply) != SP_REDIS_REPLY_STRING) {
        fprintf (stderr, "%s: could not read redis INFO: %s\n", self->bench,
                 reply ? "not a string" : error);
        sp_redis_reply_destroy (&reply);
        return NULL;
    }
    char *text = strdup (sp_redis_reply_string (reply, NULL));
    sp_redis_reply_destroy (&reply);
    if (!text)
        fprintf (stderr, "%s: out of memory reading redis INFO\n", self->bench);
    return text;
}

/* Value of "name:<number>" in INFO text into *value. Returns 0, or -1
   when the field is missing. */
static int
s_field (const char *text, const char *name, double *value)
{
    size_t length = strlen (name);
    for (const char *line = text; line && *line;
         line = strchr (line, '\n'), line = line ? line + 1 : NULL)
        if (strncmp (line, name, length) == 0 && line[length] == ':') {
            *value = strtod (line + length + 1, NULL);
            return 0;
        }
    return -1;
}

/* Main thread CPU seconds (user + system) of INFO text into *seconds. */
static int
s_cpu (const char *text, double *seconds)
{
    double user = 0, system = 0;
    if (s_field (text, "used_cpu_user_main_thread", &user) != 0 ||
        s_field (text, "used_cpu_sys_main_thread", &system) != 0)
        return -1;
    *seconds = user + system;
    return 0;
}

/* Appends a commandstats line. Returns 0, or -1 when out of memory. */
static int
s_add (bench_redis_stats_t *self, const char *name, size_t length, uint64_t calls, uint64_t usec)
{
    if (self->count == self->room) {
        size_t room = self->room ? self->room * 2 : COMMANDS_INITIAL;
        s_command_t *grown = (s_command_t *) realloc (self->commands, room * sizeof *grown);
        if (!grown)
            return -1;
        self->commands = grown;
        self->room = room;
    }
    s_command_t *command = &self->commands[self->count++];
    if (length >= sizeof command->name)
        length = sizeof command->name - 1;
    memcpy (command->name, name, length);
    command->name[length] = '\0';
    command->calls = calls;
    command->usec = usec;
    return 0;
}

/* Reads every cmdstat_<name>:calls=N,usec=M line of text. */
static int
s_parse_commands (bench_redis_stats_t *self, const char *text)
{
    self->count = 0;
    size_t prefix = strlen (CMDSTAT_PREFIX);
    for (const char *line = text; line && *line;
         line = strchr (line, '\n'), line = line ? line + 1 : NULL) {
        if (strncmp (line, CMDSTAT_PREFIX, prefix) != 0)
            continue;
        const char *name = line + prefix;
        const char *colon = strchr (name, ':');
        const char *calls = colon ? strstr (colon, "calls=") : NULL;
        const char *usec = colon ? strstr (colon, "usec=") : NULL;
        if (!calls || !usec)
            continue;
        if (s_add (self, name, (size_t) (colon - name),
                   strtoull (calls + strlen ("calls="), NULL, 10),
                   strtoull (usec + strlen ("usec="), NULL, 10)) != 0) {
            fprintf (stderr, "%s: out of memory reading commandstats\n", self->bench);
            return -1;
        }
    }
    return 0;
}

/* Takes calls out of the line name (never below 0). */
static void
s_take_out (bench_redis_stats_t *self, const char *name, uint64_t calls)
{
    for (size_t index = 0; index < self->count; index++)
        if (strcmp (self->commands[index].name, name) == 0) {
            s_command_t *command = &self->commands[index];
            uint64_t taken = calls < command->calls ? calls : command->calls;
            /* the line's time shrinks in proportion to the calls taken out */
            if (command->calls > 0)
                command->usec -=
                    (uint64_t) ((double) command->usec * (double) taken / (double) command->calls);
            command->calls -= taken;
        }
}

static int
s_compare_calls (const void *left, const void *right)
{
    const s_command_t *a = (const s_command_t *) left, *b = (const s_command_t *) right;
    if (a->calls != b->calls)
        return a->calls < b->calls ? 1 : -1;
    return strcmp (a->name, b->name);
}

bench_redis_stats_t *
bench_redis_stats_new (const char *bench, sp_redis_t *redis)
{
    bench_redis_stats_t *self = (bench_redis_stats_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->bench = bench;
    self->redis = redis;
    return self;
}

void
bench_redis_stats_destroy (bench_redis_stats_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->commands);
    free (*self_p);
    *self_p = NULL;
}

int
bench_redis_stats_start (bench_redis_stats_t *self)
{
    char error[ERROR_SIZE];
    char *text = s_info (self, 2, (const char *const[]){ "INFO", "cpu" });
    int rc = -1;
    if (!text)
        return -1;
    if (s_cpu (text, &self->cpu_start) != 0) {
        fprintf (stderr, "%s: redis INFO cpu lacks the main thread's CPU time\n", self->bench);
        goto out_free;
    }
    sp_redis_reply_t *reply = sp_redis_command (
        self->redis, 2, (const char *const[]){ "CONFIG", "RESETSTAT" }, NULL, error, sizeof error);
    if (!reply) {
        fprintf (stderr, "%s: CONFIG RESETSTAT failed: %s\n", self->bench, error);
        goto out_free;
    }
    sp_redis_reply_destroy (&reply);
    rc = 0;

out_free:
    free (text);
    return rc;
}

int
bench_redis_stats_stop (bench_redis_stats_t *self, uint64_t own_reads, uint32_t own_gets)
{
    /* one call, so the counters are of the same moment */
    char *text = s_info (self, 4, (const char *const[]){ "INFO", "stats", "cpu", "commandstats" });
    double executed = 0, writes = 0, cpu = 0;
    int rc = -1;
    if (!text)
        return -1;
    if (s_field (text, "total_commands_processed", &executed) != 0 ||
        s_field (text, "total_writes_processed", &writes) != 0 || s_cpu (text, &cpu) != 0) {
        fprintf (stderr,
                 "%s: redis INFO lacks total_commands_processed, "
                 "total_writes_processed or the main thread's CPU time\n",
                 self->bench);
        goto out_free;
    }
    if (s_parse_commands (self, text) != 0)
        goto out_free;
    uint64_t own_commands = 1 + own_reads * own_gets, own_requests = 1 + own_reads;
    self->executed = (uint64_t) executed > own_commands ? (uint64_t) executed - own_commands : 0;
    self->writes = (uint64_t) writes > own_requests ? (uint64_t) writes - own_requests : 0;
    self->cpu_s = cpu - self->cpu_start;
    s_take_out (self, OWN_RESET, 1);
    s_take_out (self, OWN_GET, own_reads * own_gets);
    qsort (self->commands, self->count, sizeof self->commands[0], s_compare_calls);
    rc = 0;

out_free:
    free (text);
    return rc;
}

void
bench_redis_stats_print (const bench_redis_stats_t *self, const char *phase, uint64_t events)
{
    double per = events > 0 ? 1.0 / (double) events : 0;
    uint64_t script_calls = 0, script_usec = 0, all_usec = 0, listed = 0;
    printf ("redis commandstats, %s: per applied event (%" PRIu64 " events); calls of a command "
            "count it at top level and inside scripts alike\n",
            phase, events);
    printf ("  %-28s %12s %12s %12s\n", "command", "calls/event", "usec/event", "usec/call");
    for (size_t index = 0; index < self->count; index++) {
        const s_command_t *command = &self->commands[index];
        if (command->calls == 0)
            continue;
        bool script = s_is_script (command->name);
        printf ("  %-28s %12.4f %12.3f %12.2f%s\n", command->name, (double) command->calls * per,
                (double) command->usec * per, (double) command->usec / (double) command->calls,
                script ? "  (script: its usec includes the commands it ran)" : "");
        listed += command->calls;
        all_usec += command->usec;
        if (script) {
            script_calls += command->calls;
            script_usec += command->usec;
        }
    }
    printf ("redis %s per event: %.3f commands executed, top level and inside scripts alike "
            "(commandstats; total_commands_processed %.3f)\n",
            phase, (double) listed * per, (double) self->executed * per);
    printf ("redis %s per event, top level (sent by clients): %.4f script calls (each one "
            "request), %.4f requests answered (round trips)\n",
            phase, (double) script_calls * per, (double) self->writes * per);
    printf ("redis %s per event: %.2f usec main-thread CPU (all its work, counted once); "
            "command usec %.2f in scripts (with the commands they ran), %.2f summed over every "
            "line (commands run by scripts counted twice)\n",
            phase, self->cpu_s * 1e6 * per, (double) script_usec * per, (double) all_usec * per);
}
