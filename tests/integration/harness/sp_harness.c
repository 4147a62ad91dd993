/*  sp_harness - real PostgreSQL and Redis servers for integration tests
    (see sp_harness.h).

    The servers are started and stopped by deploy/local/servers.sh, the same
    code as the local stack, run with posix_spawn (an argument vector, no
    shell quoting). Migrations are applied from C with sp_migrate, exactly
    as services and salesctl apply them. Ports are picked by binding
    loopback port 0 and reading what the kernel chose.
*/
/* nftw() is an X/Open extension. */
#define _XOPEN_SOURCE 700

#include "sp_harness.h"
#include "sp_harness_cluster.h"

#include "sp_migrate.h"
#include "sp_pg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define SP_HARNESS_URL_MAX 512        /* longest server URL (a passfile path in it) */
#define SP_HARNESS_SECRET_MAX 128     /* longest generated password */
#define SP_HARNESS_PORT_TEXT_MAX 16   /* room for a port number in decimal */
#define SP_HARNESS_OPEN_FILES_MAX 64  /* nftw: file descriptors to use at most */
#define SP_HARNESS_CONNECT_ATTEMPTS 3 /* the server is ready when servers.sh returns */
#define SP_HARNESS_RETRY_DELAY_MS 100 /* first wait between connection attempts */
#define SP_HARNESS_RETRY_MAX_MS 1000  /* longest wait between connection attempts */

struct _sp_harness_t {
    unsigned flags;                        /* SP_HARNESS_POSTGRES | SP_HARNESS_REDIS asked for */
    char dir[PATH_MAX];                    /* temporary folder holding everything */
    char script[PATH_MAX];                 /* deploy/local/servers.sh */
    int postgres_port;                     /* PostgreSQL port, 0 if not started */
    int redis_port;                        /* Redis port, 0 if not started */
    char postgres_url[SP_HARNESS_URL_MAX]; /* libpq URL of the test database */
    char redis_url[SP_HARNESS_URL_MAX];    /* Redis URL */
    const char *mode;                      /* "secure" for servers.sh start, or NULL */
    char replica_dir[PATH_MAX];            /* DIR/replica */
    int replica_port;                      /* its streaming replica's port, 0 if none */
    char replica_url[SP_HARNESS_URL_MAX];  /* libpq URL of the test database there */
    char used_redis[SP_HARNESS_URL_MAX];   /* sp_harness_use_redis's URL, "" when none */
    sp_harness_cluster_t *cluster;         /* SP_HARNESS_REDIS_CLUSTER's, or NULL */
};

const char *
sp_harness_source_dir (void)
{
    const char *dir = getenv ("SP_SOURCE_DIR");
    return dir && *dir ? dir : ".";
}

/* Runs `bash servers.sh COMMAND DIR ARGS...`; returns its exit status, or -1. */
static int
s_run_script_in (const sp_harness_t *self, const char *dir, const char *command,
                 const char *argument_1, const char *argument_2, const char *argument_3)
{
    char *argv[] = { (char *) "bash",     (char *) self->script,
                     (char *) command,    (char *) dir,
                     (char *) argument_1, (char *) argument_2,
                     (char *) argument_3, NULL };
    pid_t pid;
    int rc = posix_spawnp (&pid, "bash", NULL, NULL, argv, environ);
    if (rc != 0) {
        fprintf (stderr, "sp_harness: could not run \"%s\": %s\n", self->script, strerror (rc));
        return -1;
    }
    int status = 0;
    while (waitpid (pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (!WIFEXITED (status)) {
        fprintf (stderr, "sp_harness: \"%s %s\" was killed by a signal\n", self->script, command);
        return -1;
    }
    if (WEXITSTATUS (status) != 0)
        fprintf (stderr, "sp_harness: \"%s %s\" failed with exit status %d\n", self->script,
                 command, WEXITSTATUS (status));
    return WEXITSTATUS (status);
}

/* The same on the harness's folder. */
static int
s_run_script (const sp_harness_t *self, const char *command, const char *argument_1,
              const char *argument_2, const char *argument_3)
{
    return s_run_script_in (self, self->dir, command, argument_1, argument_2, argument_3);
}

static int
s_remove_entry (const char *path, const struct stat *status, int type, struct FTW *walk)
{
    (void) status;
    (void) type;
    (void) walk;
    if (remove (path) != 0)
        fprintf (stderr, "sp_harness: could not remove \"%s\": %s\n", path, strerror (errno));
    return 0;
}

/* Applies $SP_SOURCE_DIR/migrations to the test database. */
static int
s_apply_migrations (sp_harness_t *self)
{
    int rc = -1;
    char migrations[PATH_MAX];
    snprintf (migrations, sizeof migrations, "%s/migrations", sp_harness_source_dir ());
    sp_pg_t *pg = sp_pg_new (self->postgres_url, "sp_harness");
    sp_migrate_t *migrate = sp_migrate_new (migrations);
    if (!pg || !migrate)
        goto out_destroy;
    sp_pg_set_retry (pg, SP_HARNESS_CONNECT_ATTEMPTS, SP_HARNESS_RETRY_DELAY_MS,
                     SP_HARNESS_RETRY_MAX_MS);
    if (sp_pg_connect (pg) != 0) {
        fprintf (stderr, "sp_harness: could not connect to \"%s\": %s\n", self->postgres_url,
                 sp_pg_error (pg));
        goto out_destroy;
    }
    if (sp_migrate_apply (migrate, pg) < 0) {
        fprintf (stderr, "sp_harness: could not apply migrations: %s\n",
                 sp_migrate_error (migrate));
        goto out_destroy;
    }
    rc = 0;

out_destroy:
    sp_migrate_destroy (&migrate);
    sp_pg_destroy (&pg);
    return rc;
}

sp_harness_t *
sp_harness_new (unsigned flags)
{
    sp_harness_t *self = (sp_harness_t *) calloc (1, sizeof (sp_harness_t));
    if (!self) {
        fprintf (stderr, "sp_harness: out of memory\n");
        return NULL;
    }
    self->flags = flags;
    const char *tmp = getenv ("TMPDIR");
    snprintf (self->dir, sizeof self->dir, "%s/sp-harness.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp (self->dir)) {
        fprintf (stderr, "sp_harness: could not create a folder \"%s\": %s\n", self->dir,
                 strerror (errno));
        goto out_free;
    }
    snprintf (self->script, sizeof self->script, "%s/deploy/local/servers.sh",
              sp_harness_source_dir ());
    if (access (self->script, R_OK) != 0) {
        fprintf (stderr, "sp_harness: cannot read \"%s\" (set SP_SOURCE_DIR): %s\n", self->script,
                 strerror (errno));
        goto out_remove_dir;
    }
    int postgres_socket = -1, redis_socket = -1;
    if (flags & SP_HARNESS_POSTGRES)
        postgres_socket = sp_harness_reserve_port (&self->postgres_port);
    if (flags & SP_HARNESS_REDIS)
        redis_socket = sp_harness_reserve_port (&self->redis_port);
    bool reserved = (!(flags & SP_HARNESS_POSTGRES) || postgres_socket >= 0) &&
                    (!(flags & SP_HARNESS_REDIS) || redis_socket >= 0);
    if (postgres_socket >= 0)
        close (postgres_socket);
    if (redis_socket >= 0)
        close (redis_socket);
    if (!reserved) {
        fprintf (stderr, "sp_harness: could not find a free loopback port: %s\n", strerror (errno));
        goto out_remove_dir;
    }
    char postgres_port[SP_HARNESS_PORT_TEXT_MAX], redis_port[SP_HARNESS_PORT_TEXT_MAX];
    snprintf (postgres_port, sizeof postgres_port, "%d", self->postgres_port);
    snprintf (redis_port, sizeof redis_port, "%d", self->redis_port);
    self->mode = (flags & SP_HARNESS_SECURE) ? "secure" : NULL;
    if (s_run_script (self, "start", postgres_port, redis_port, self->mode) != 0)
        goto out_purge;
    if (self->postgres_port && !self->mode)
        snprintf (self->postgres_url, sizeof self->postgres_url,
                  "postgresql://salespulse@127.0.0.1:%d/salespulse", self->postgres_port);
    if (self->postgres_port && self->mode &&
        sp_harness_postgres_url_as (self, "salespulse", self->postgres_url,
                                    sizeof self->postgres_url) != 0)
        goto out_purge;
    if (self->redis_port && !self->mode)
        snprintf (self->redis_url, sizeof self->redis_url, "redis://127.0.0.1:%d/0",
                  self->redis_port);
    if (self->redis_port && self->mode &&
        sp_harness_redis_url_as (self, "admin", self->redis_url, sizeof self->redis_url) != 0)
        goto out_purge;
    if ((flags & SP_HARNESS_POSTGRES) && s_apply_migrations (self) != 0)
        goto out_purge;
    if (flags & SP_HARNESS_REDIS_CLUSTER) {
        self->cluster = sp_harness_cluster_new (SP_HARNESS_CLUSTER_MASTERS);
        if (!self->cluster ||
            sp_harness_use_redis (self, sp_harness_cluster_url (self->cluster)) != 0)
            goto out_purge;
        fprintf (stderr, "sp_harness: redis is a cluster of %d masters: %s\n",
                 SP_HARNESS_CLUSTER_MASTERS, sp_harness_cluster_url (self->cluster));
    }
    return self;

out_purge:
    sp_harness_cluster_destroy (&self->cluster);
    s_run_script (self, "purge", NULL, NULL, NULL);
out_remove_dir:
    nftw (self->dir, s_remove_entry, SP_HARNESS_OPEN_FILES_MAX, FTW_DEPTH | FTW_PHYS);
out_free:
    free (self);
    return NULL;
}

void
sp_harness_destroy (sp_harness_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    sp_harness_t *self = *self_p;
    sp_harness_cluster_destroy (&self->cluster);
    if (self->replica_dir[0])
        s_run_script_in (self, self->replica_dir, "purge", NULL, NULL, NULL);
    s_run_script (self, "purge", NULL, NULL, NULL);
    nftw (self->dir, s_remove_entry, SP_HARNESS_OPEN_FILES_MAX, FTW_DEPTH | FTW_PHYS);
    free (self);
    *self_p = NULL;
}

int
sp_harness_postgres_stop (sp_harness_t *self, bool immediate)
{
    if (!self || !self->postgres_port)
        return -1;
    return s_run_script (self, "stop", "postgres", immediate ? "immediate" : NULL, NULL) == 0 ? 0
                                                                                              : -1;
}

int
sp_harness_replica_start (sp_harness_t *self)
{
    if (!self || !self->postgres_port || self->mode) {
        fprintf (stderr, "sp_harness: a replica needs the harness's PostgreSQL, in trust mode\n");
        return -1;
    }
    if (!self->replica_port) {
        int written = snprintf (self->replica_dir, sizeof self->replica_dir, "%s/replica", self->dir);
        if (written < 0 || (size_t) written >= sizeof self->replica_dir) {
            fprintf (stderr, "sp_harness: the folder \"%s\" is too long for a replica's\n",
                     self->dir);
            self->replica_dir[0] = '\0';
            return -1;
        }
        self->replica_port = sp_harness_free_port ();
        snprintf (self->replica_url, sizeof self->replica_url,
                  "postgresql://salespulse@127.0.0.1:%d/salespulse", self->replica_port);
    }
    char port[SP_HARNESS_PORT_TEXT_MAX], primary[SP_HARNESS_PORT_TEXT_MAX];
    snprintf (port, sizeof port, "%d", self->replica_port);
    snprintf (primary, sizeof primary, "%d", self->postgres_port);
    return s_run_script_in (self, self->replica_dir, "replica", port, primary, NULL) == 0 ? 0 : -1;
}

int
sp_harness_replica_stop (sp_harness_t *self)
{
    if (!self || !self->replica_port)
        return -1;
    return s_run_script_in (self, self->replica_dir, "stop", "postgres", NULL, NULL) == 0 ? 0 : -1;
}

const char *
sp_harness_replica_url (const sp_harness_t *self)
{
    return self && self->replica_port ? self->replica_url : NULL;
}

int
sp_harness_postgres_start (sp_harness_t *self)
{
    if (!self || !self->postgres_port)
        return -1;
    char port[SP_HARNESS_PORT_TEXT_MAX];
    snprintf (port, sizeof port, "%d", self->postgres_port);
    return s_run_script (self, "start", port, "0", self->mode) == 0 ? 0 : -1;
}

const char *
sp_harness_postgres_url (const sp_harness_t *self)
{
    return self && self->postgres_port ? self->postgres_url : NULL;
}

const char *
sp_harness_redis_url (const sp_harness_t *self)
{
    if (self && self->used_redis[0])
        return self->used_redis;
    return self && self->redis_port ? self->redis_url : NULL;
}

unsigned
sp_harness_redis_flag (void)
{
    const char *redis = getenv (SP_HARNESS_REDIS_SETTING);
    return redis && strcmp (redis, "cluster") == 0 ? SP_HARNESS_REDIS_CLUSTER : SP_HARNESS_REDIS;
}

sp_harness_cluster_t *
sp_harness_redis_cluster (const sp_harness_t *self)
{
    return self ? self->cluster : NULL;
}

int
sp_harness_use_redis (sp_harness_t *self, const char *url)
{
    int length = snprintf (self->used_redis, sizeof self->used_redis, "%s", url ? url : "");
    if (length < 0 || (size_t) length >= sizeof self->used_redis) {
        fprintf (stderr, "sp_harness: the redis url \"%s\" is too long\n", url);
        self->used_redis[0] = '\0';
        return -1;
    }
    return 0;
}

int
sp_harness_postgres_url_as (const sp_harness_t *self, const char *role, char *url, size_t size)
{
    if (!self || !self->postgres_port || !self->mode || !role || strchr (role, '/'))
        return -1;
    char passfile[PATH_MAX];
    int path_length = snprintf (passfile, sizeof passfile, "%s/secrets/%s.pgpass", self->dir, role);
    if (path_length < 0 || (size_t) path_length >= sizeof passfile)
        return -1;
    if (access (passfile, R_OK) != 0) {
        fprintf (stderr, "sp_harness: no password file for role \"%s\"\n", role);
        return -1;
    }
    int length = snprintf (url, size, "postgresql://%s@127.0.0.1:%d/salespulse?passfile=%s", role,
                           self->postgres_port, passfile);
    return length > 0 && (size_t) length < size ? 0 : -1;
}

int
sp_harness_redis_url_as (const sp_harness_t *self, const char *user, char *url, size_t size)
{
    if (!self || !self->redis_port || !self->mode || !user || strchr (user, '/'))
        return -1;
    char path[PATH_MAX], password[SP_HARNESS_SECRET_MAX];
    int path_length = snprintf (path, sizeof path, "%s/secrets/redis-%s.password", self->dir, user);
    if (path_length < 0 || (size_t) path_length >= sizeof path)
        return -1;
    if (sp_harness_read_file (path, password, sizeof password) != 0 || !*password) {
        fprintf (stderr, "sp_harness: no password for redis user \"%s\"\n", user);
        return -1;
    }
    int length =
        snprintf (url, size, "redis://%s:%s@127.0.0.1:%d/0", user, password, self->redis_port);
    return length > 0 && (size_t) length < size ? 0 : -1;
}

int
sp_harness_postgres_port (const sp_harness_t *self)
{
    return self ? self->postgres_port : 0;
}

int
sp_harness_redis_port (const sp_harness_t *self)
{
    return self ? self->redis_port : 0;
}

const char *
sp_harness_dir (const sp_harness_t *self)
{
    return self ? self->dir : NULL;
}
