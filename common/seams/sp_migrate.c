/*  sp_migrate - applies the ordered SQL migration files of a folder (see
    sp_migrate.h).

    Scanning reads every file into memory once, so the bytes that are
    checksummed are exactly the bytes that are applied. Applying is one
    pass under the advisory lock: verify everything already applied, then
    apply what is pending in order, stopping at the first failure.
*/
#include "sp_migrate.h"

#include "sp_log.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SP_MIGRATE_DIGITS 4                    /* digits of the version prefix */
#define SP_MIGRATE_SUFFIX ".sql"               /* extension of a migration file */
#define SP_MIGRATE_FILE_MAX (16 * 1024 * 1024) /* largest migration file, bytes */
#define SP_MIGRATE_ERROR_MAX 512               /* longest error kept */
#define SP_MIGRATE_QUOTED_MAX 1024             /* longest error quoted into a log field */
#define SP_MIGRATE_CHECKSUM_LENGTH 64          /* hex characters of a SHA-256 */
#define SP_MIGRATE_INITIAL_CAPACITY 16         /* first capacity of the file list */
#define SP_MIGRATE_DECIMAL 10                  /* base of version numbers */
#define SP_MIGRATE_NUMBER_TEXT_MAX 32          /* room for an int in decimal */

/* The DDL of the bookkeeping table; trusted constant text. */
static const char s_schema_migrations_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations (\n"
    "    version integer PRIMARY KEY,\n"
    "    name text NOT NULL,\n"
    "    checksum text NOT NULL,\n"
    "    applied_at timestamptz NOT NULL DEFAULT now()\n"
    ");\n"
    "COMMENT ON TABLE schema_migrations IS 'migration files applied to this database "
    "(common/seams/sp_migrate.c)';\n"
    "COMMENT ON COLUMN schema_migrations.version IS 'NNNN prefix of the file name';\n"
    "COMMENT ON COLUMN schema_migrations.name IS 'file name, e.g. 0001_event_log.sql';\n"
    "COMMENT ON COLUMN schema_migrations.checksum IS 'lower-case hex SHA-256 of the file bytes';\n"
    "COMMENT ON COLUMN schema_migrations.applied_at IS 'when the file was applied';\n";

/* One migration file, read whole. */
typedef struct {
    int version;                                   /* NNNN prefix, 1..9999 */
    char *name;                                    /* file name without folder */
    char *sql;                                     /* file contents, NUL-terminated */
    size_t size;                                   /* bytes in sql, without the NUL */
    char checksum[SP_MIGRATE_CHECKSUM_LENGTH + 1]; /* hex SHA-256, "" until computed */
    bool applied;                                  /* applied by the last sp_migrate_apply */
} s_file_t;

struct _sp_migrate_t {
    char *dir;                        /* folder holding the migration files */
    s_file_t *files;                  /* scanned files, sorted by version */
    size_t count;                     /* files used */
    size_t capacity;                  /* files allocated */
    bool scanned;                     /* files reflect the folder */
    char error[SP_MIGRATE_ERROR_MAX]; /* last error, "" if none */
};

/* Escapes quotes and backslashes so text can sit inside a quoted log field. */
static const char *
s_quote (const char *text, char *buffer, size_t size)
{
    size_t length = 0;
    for (const char *cursor = text; *cursor && length + 2 < size; cursor++) {
        if (*cursor == '"' || *cursor == '\\')
            buffer[length++] = '\\';
        buffer[length++] = *cursor;
    }
    buffer[length] = '\0';
    return buffer;
}

/* Records the error and logs it once. */
static void s_fail (sp_migrate_t *self, const char *format, ...)
    __attribute__ ((format (printf, 2, 3)));

static void
s_fail (sp_migrate_t *self, const char *format, ...)
{
    va_list arguments;
    va_start (arguments, format);
    vsnprintf (self->error, sizeof self->error, format, arguments);
    va_end (arguments);
    char quoted[SP_MIGRATE_QUOTED_MAX];
    sp_log_warn ("could not migrate", "dir=\"%s\" error=\"%s\"", self->dir,
                 s_quote (self->error, quoted, sizeof quoted));
}

static void
s_files_clear (sp_migrate_t *self)
{
    for (size_t index = 0; index < self->count; index++) {
        free (self->files[index].name);
        free (self->files[index].sql);
    }
    self->count = 0;
    self->scanned = false;
}

/* Parses "NNNN_name.sql"; returns the version (1..9999) or -1. */
static int
s_parse_name (const char *name)
{
    size_t length = strlen (name);
    size_t suffix_length = strlen (SP_MIGRATE_SUFFIX);
    if (length < SP_MIGRATE_DIGITS + 2 + suffix_length)
        return -1;
    if (strcmp (name + length - suffix_length, SP_MIGRATE_SUFFIX) != 0)
        return -1;
    int version = 0;
    for (size_t index = 0; index < SP_MIGRATE_DIGITS; index++) {
        if (name[index] < '0' || name[index] > '9')
            return -1;
        version = version * SP_MIGRATE_DECIMAL + (name[index] - '0');
    }
    if (name[SP_MIGRATE_DIGITS] != '_' || version == 0)
        return -1;
    for (size_t index = SP_MIGRATE_DIGITS + 1; index < length - suffix_length; index++) {
        char c = name[index];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return -1;
    }
    return version;
}

/* Reads one regular file whole into file->sql; returns 0 or -1 (failed). */
static int
s_read_file (sp_migrate_t *self, const char *name, s_file_t *file)
{
    char path[PATH_MAX];
    if (snprintf (path, sizeof path, "%s/%s", self->dir, name) >= (int) sizeof path) {
        s_fail (self, "path of migration file \"%s\" is too long", name);
        return -1;
    }
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        s_fail (self, "could not open migration file \"%s\": %s", path, strerror (errno));
        return -1;
    }
    int rc = -1;
    struct stat status;
    if (fstat (fd, &status) != 0) {
        s_fail (self, "could not read migration file \"%s\": %s", path, strerror (errno));
        goto out_close;
    }
    if (!S_ISREG (status.st_mode)) {
        s_fail (self, "migration \"%s\" is not a regular file", path);
        goto out_close;
    }
    if (status.st_size > SP_MIGRATE_FILE_MAX) {
        s_fail (self, "migration file \"%s\" is larger than %d bytes", path, SP_MIGRATE_FILE_MAX);
        goto out_close;
    }
    size_t size = (size_t) status.st_size;
    file->sql = (char *) malloc (size + 1);
    if (!file->sql) {
        s_fail (self, "out of memory reading migration file \"%s\"", path);
        goto out_close;
    }
    size_t done = 0;
    while (done < size) {
        ssize_t got = read (fd, file->sql + done, size - done);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            s_fail (self, "could not read migration file \"%s\": %s", path,
                    got < 0 ? strerror (errno) : "file shrank while reading");
            goto out_free_sql;
        }
        done += (size_t) got;
    }
    file->sql[size] = '\0';
    if (memchr (file->sql, '\0', size)) {
        s_fail (self, "migration file \"%s\" contains a NUL byte", path);
        goto out_free_sql;
    }
    file->size = size;
    rc = 0;
    goto out_close;

out_free_sql:
    free (file->sql);
    file->sql = NULL;
out_close:
    close (fd);
    return rc;
}

static int
s_compare_files (const void *left, const void *right)
{
    const s_file_t *a = (const s_file_t *) left;
    const s_file_t *b = (const s_file_t *) right;
    return (a->version > b->version) - (a->version < b->version);
}

sp_migrate_t *
sp_migrate_new (const char *dir)
{
    assert (dir);
    sp_migrate_t *self = (sp_migrate_t *) calloc (1, sizeof (sp_migrate_t));
    if (!self)
        return NULL;
    self->dir = strdup (dir);
    if (!self->dir) {
        free (self);
        return NULL;
    }
    return self;
}

void
sp_migrate_destroy (sp_migrate_t **self_p)
{
    assert (self_p);
    sp_migrate_t *self = *self_p;
    if (!self)
        return;
    s_files_clear (self);
    free (self->files);
    free (self->dir);
    free (self);
    *self_p = NULL;
}

int
sp_migrate_scan (sp_migrate_t *self)
{
    assert (self);
    s_files_clear (self);
    self->error[0] = '\0';
    DIR *folder = opendir (self->dir);
    if (!folder) {
        s_fail (self, "could not open migrations folder \"%s\": %s", self->dir, strerror (errno));
        return -1;
    }
    struct dirent *entry;
    while (errno = 0, (entry = readdir (folder)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        int version = s_parse_name (entry->d_name);
        if (version < 0) {
            s_fail (self,
                    "invalid migration file name \"%s\": expected NNNN_name.sql "
                    "(0001..9999, name of a-z, 0-9 and _)",
                    entry->d_name);
            goto out_clear;
        }
        if (self->count == self->capacity) {
            size_t capacity = self->capacity ? self->capacity * 2 : SP_MIGRATE_INITIAL_CAPACITY;
            s_file_t *grown = (s_file_t *) realloc (self->files, capacity * sizeof (s_file_t));
            if (!grown) {
                s_fail (self, "out of memory listing migrations folder \"%s\"", self->dir);
                goto out_clear;
            }
            self->files = grown;
            self->capacity = capacity;
        }
        s_file_t *file = &self->files[self->count];
        memset (file, 0, sizeof *file);
        file->version = version;
        file->name = strdup (entry->d_name);
        if (!file->name) {
            s_fail (self, "out of memory listing migrations folder \"%s\"", self->dir);
            goto out_clear;
        }
        if (s_read_file (self, entry->d_name, file) != 0) {
            free (file->name);
            goto out_clear;
        }
        self->count++;
    }
    if (errno != 0) {
        s_fail (self, "could not list migrations folder \"%s\": %s", self->dir, strerror (errno));
        goto out_clear;
    }
    closedir (folder);
    if (self->count > 0)
        qsort (self->files, self->count, sizeof (s_file_t), s_compare_files);
    for (size_t index = 1; index < self->count; index++)
        if (self->files[index].version == self->files[index - 1].version) {
            s_fail (self, "duplicate migration number %04d: \"%s\" and \"%s\"",
                    self->files[index].version, self->files[index - 1].name,
                    self->files[index].name);
            s_files_clear (self);
            return -1;
        }
    self->scanned = true;
    return (int) self->count;

out_clear:
    closedir (folder);
    s_files_clear (self);
    return -1;
}

/* Computes the checksum of every scanned file on the server. */
static int
s_compute_checksums (sp_migrate_t *self, sp_pg_t *pg)
{
    for (size_t index = 0; index < self->count; index++) {
        s_file_t *file = &self->files[index];
        const char *values[] = { file->sql };
        const int lengths[] = { (int) file->size };
        const int formats[] = { SP_PG_FORMAT_BINARY };
        sp_pg_result_t *result =
            sp_pg_exec (pg, "SELECT pg_catalog.encode(pg_catalog.sha256($1::bytea), 'hex')", 1,
                        values, lengths, formats);
        if (!sp_pg_result_ok (result) || sp_pg_result_rows (result) != 1 ||
            sp_pg_result_length (result, 0, 0) != SP_MIGRATE_CHECKSUM_LENGTH) {
            s_fail (self, "could not compute the checksum of \"%s\": %s", file->name,
                    sp_pg_result_error (result));
            sp_pg_result_destroy (&result);
            return -1;
        }
        memcpy (file->checksum, sp_pg_result_value (result, 0, 0), sizeof file->checksum);
        sp_pg_result_destroy (&result);
    }
    return 0;
}

static s_file_t *
s_find_version (sp_migrate_t *self, int64_t version)
{
    for (size_t index = 0; index < self->count; index++)
        if (self->files[index].version == version)
            return &self->files[index];
    return NULL;
}

/* Checks every applied migration against its file and marks those files
   done; *newest gets the highest applied version (0 if none). */
static int
s_verify_applied (sp_migrate_t *self, sp_pg_t *pg, int64_t *newest, bool *done)
{
    int rc = -1;
    *newest = 0;
    sp_pg_result_t *result =
        sp_pg_exec (pg, "SELECT version, name, checksum FROM schema_migrations ORDER BY version", 0,
                    NULL, NULL, NULL);
    if (!sp_pg_result_ok (result)) {
        s_fail (self, "could not read schema_migrations: %s", sp_pg_result_error (result));
        goto out_destroy_result;
    }
    for (int row = 0; row < sp_pg_result_rows (result); row++) {
        int64_t version = 0;
        if (sp_pg_result_int64 (result, row, 0, &version) != 0) {
            s_fail (self, "invalid version \"%s\" in schema_migrations",
                    sp_pg_result_value (result, row, 0));
            goto out_destroy_result;
        }
        const char *name = sp_pg_result_value (result, row, 1);
        const char *checksum = sp_pg_result_value (result, row, 2);
        *newest = version > *newest ? version : *newest;
        s_file_t *file = s_find_version (self, version);
        if (!file) {
            sp_log_warn ("applied migration has no file",
                         "dir=\"%s\" version=%" PRId64 " name=\"%s\"", self->dir, version, name);
            continue;
        }
        if (strcmp (file->name, name) != 0) {
            s_fail (self,
                    "migration %04" PRId64 " was applied as \"%s\" but the file is now \"%s\"",
                    version, name, file->name);
            goto out_destroy_result;
        }
        if (strcmp (file->checksum, checksum) != 0) {
            s_fail (self,
                    "migration file \"%s\" changed after it was applied: its checksum "
                    "is now %s, it was %s when applied",
                    file->name, file->checksum, checksum);
            goto out_destroy_result;
        }
        done[file - self->files] = true;
    }
    rc = 0;

out_destroy_result:
    sp_pg_result_destroy (&result);
    return rc;
}

/* Applies one file and records it, in one transaction. */
static int
s_apply_file (sp_migrate_t *self, sp_pg_t *pg, s_file_t *file)
{
    sp_pg_result_t *result = NULL;
    if (sp_pg_begin (pg) != 0) {
        s_fail (self, "could not start the transaction for \"%s\": %s", file->name,
                sp_pg_error (pg));
        return -1;
    }
    result = sp_pg_exec_script (pg, file->sql);
    if (!sp_pg_result_ok (result)) {
        s_fail (self, "could not apply migration \"%s\": %s (sqlstate %s)", file->name,
                sp_pg_result_error (result), sp_pg_result_sqlstate (result));
        goto out_rollback;
    }
    if (!sp_pg_in_transaction (pg)) {
        s_fail (self,
                "migration file \"%s\" ended the transaction itself: remove its "
                "BEGIN/COMMIT",
                file->name);
        goto out_rollback;
    }
    sp_pg_result_destroy (&result);
    char version[SP_MIGRATE_NUMBER_TEXT_MAX];
    snprintf (version, sizeof version, "%d", file->version);
    const char *values[] = { version, file->name, file->checksum };
    result = sp_pg_exec (
        pg, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", 3,
        values, NULL, NULL);
    if (!sp_pg_result_ok (result)) {
        s_fail (self, "could not record migration \"%s\": %s", file->name,
                sp_pg_result_error (result));
        goto out_rollback;
    }
    sp_pg_result_destroy (&result);
    if (sp_pg_commit (pg) != 0) {
        s_fail (self, "could not commit migration \"%s\"", file->name);
        return -1;
    }
    sp_log_info ("applied migration", "dir=\"%s\" file=\"%s\" checksum=%s", self->dir, file->name,
                 file->checksum);
    return 0;

out_rollback:
    sp_pg_result_destroy (&result);
    sp_pg_rollback (pg);
    return -1;
}

int
sp_migrate_apply (sp_migrate_t *self, sp_pg_t *pg)
{
    assert (self);
    assert (pg);
    if (!self->scanned && sp_migrate_scan (self) < 0)
        return -1;
    self->error[0] = '\0';
    for (size_t index = 0; index < self->count; index++)
        self->files[index].applied = false;
    if (sp_pg_advisory_lock (pg, SP_MIGRATE_LOCK_KEY) != 0) {
        s_fail (self, "could not take the migration lock: %s", sp_pg_error (pg));
        return -1;
    }
    /* The lock lives in this session: a reconnect would silently drop it. */
    unsigned session = sp_pg_connect_count (pg);
    int rc = -1;
    int applied = 0;
    bool *done = (bool *) calloc (self->count + 1, sizeof (bool));
    if (!done) {
        s_fail (self, "out of memory");
        goto out_unlock;
    }
    sp_pg_result_t *result = sp_pg_exec_script (pg, s_schema_migrations_sql);
    if (!sp_pg_result_ok (result)) {
        s_fail (self, "could not create schema_migrations: %s", sp_pg_result_error (result));
        sp_pg_result_destroy (&result);
        goto out_free_done;
    }
    sp_pg_result_destroy (&result);

    int64_t newest = 0;
    if (s_compute_checksums (self, pg) != 0 || s_verify_applied (self, pg, &newest, done) != 0)
        goto out_free_done;
    for (size_t index = 0; index < self->count; index++)
        if (!done[index] && self->files[index].version < newest) {
            s_fail (self,
                    "migration file \"%s\" is numbered below the newest applied migration "
                    "%04" PRId64 ": give it a higher number",
                    self->files[index].name, newest);
            goto out_free_done;
        }
    for (size_t index = 0; index < self->count; index++) {
        if (done[index])
            continue;
        if (sp_pg_connect_count (pg) != session) {
            s_fail (self, "lost the migration lock with the connection before \"%s\"",
                    self->files[index].name);
            goto out_free_done;
        }
        if (s_apply_file (self, pg, &self->files[index]) != 0)
            goto out_free_done;
        self->files[index].applied = true;
        applied++;
    }
    rc = applied;

out_free_done:
    free (done);
out_unlock:
    if (sp_pg_connected (pg) && sp_pg_connect_count (pg) == session)
        sp_pg_advisory_unlock (pg, SP_MIGRATE_LOCK_KEY);
    return rc;
}

int
sp_migrate_set_partitions (sp_migrate_t *self, sp_pg_t *pg, int partitions, bool required,
                           int *created)
{
    assert (self);
    assert (pg);
    assert (partitions >= 1 && partitions <= SP_PARTITIONS_MAX);
    self->error[0] = '\0';
    int rc = -1;
    sp_pg_result_t *result = NULL;
    char text[SP_MIGRATE_NUMBER_TEXT_MAX];
    snprintf (text, sizeof text, "%d", partitions);
    const char *values[] = { text };
    if (sp_pg_begin (pg) != 0) {
        s_fail (self, "could not start the transaction for partitions: %s", sp_pg_error (pg));
        return -1;
    }
    result = sp_pg_exec (pg,
                         "INSERT INTO salespulse_settings (name, value) VALUES ('partitions', $1)"
                         " ON CONFLICT (name) DO NOTHING",
                         1, values, NULL, NULL);
    if (!sp_pg_result_ok (result)) {
        s_fail (self, "could not record the partition count: %s", sp_pg_result_error (result));
        goto out_rollback;
    }
    sp_pg_result_destroy (&result);
    result = sp_pg_exec (pg, "SELECT value FROM salespulse_settings WHERE name = 'partitions'", 0,
                         NULL, NULL, NULL);
    int64_t recorded = 0;
    if (!sp_pg_result_ok (result) || sp_pg_result_rows (result) != 1) {
        s_fail (self, "could not read the partition count: %s", sp_pg_result_error (result));
        goto out_rollback;
    }
    if (sp_pg_result_int64 (result, 0, 0, &recorded) != 0 || recorded < 1 ||
        recorded > SP_PARTITIONS_MAX) {
        s_fail (self, "invalid partition count \"%s\" recorded in salespulse_settings",
                sp_pg_result_value (result, 0, 0));
        goto out_rollback;
    }
    sp_pg_result_destroy (&result);
    if (recorded != partitions) {
        if (required) {
            s_fail (self,
                    "the database was set up with %" PRId64 " partitions, not %d: the "
                    "partition count is fixed at setup",
                    recorded, partitions);
            goto out_rollback;
        }
        partitions = (int) recorded;
        snprintf (text, sizeof text, "%d", partitions);
    }
    result = sp_pg_exec (pg,
                         "INSERT INTO event_partitions (partition)"
                         " SELECT pg_catalog.generate_series(0, $1::integer - 1)"
                         " ON CONFLICT (partition) DO NOTHING",
                         1, values, NULL, NULL);
    if (!sp_pg_result_ok (result)) {
        s_fail (self, "could not create the partition rows: %s", sp_pg_result_error (result));
        goto out_rollback;
    }
    int64_t inserted = sp_pg_result_affected (result);
    sp_pg_result_destroy (&result);
    result = sp_pg_exec (pg, "SELECT count(*), coalesce(max(partition), -1) FROM event_partitions",
                         0, NULL, NULL, NULL);
    int64_t rows = 0, highest = 0;
    if (!sp_pg_result_ok (result) || sp_pg_result_int64 (result, 0, 0, &rows) != 0 ||
        sp_pg_result_int64 (result, 0, 1, &highest) != 0) {
        s_fail (self, "could not check the partition rows: %s", sp_pg_result_error (result));
        goto out_rollback;
    }
    if (rows != partitions || highest != partitions - 1) {
        s_fail (self,
                "event_partitions holds %" PRId64 " rows up to partition %" PRId64
                ", expected partitions 0..%d",
                rows, highest, partitions - 1);
        goto out_rollback;
    }
    sp_pg_result_destroy (&result);
    if (sp_pg_commit (pg) != 0) {
        s_fail (self, "could not commit the partition count");
        return -1;
    }
    if (created)
        *created = (int) inserted;
    if (inserted > 0)
        sp_log_info ("created event partitions", "partitions=%d created=%" PRId64, partitions,
                     inserted);
    return partitions;

out_rollback:
    sp_pg_result_destroy (&result);
    sp_pg_rollback (pg);
    return rc;
}

const char *
sp_migrate_error (const sp_migrate_t *self)
{
    assert (self);
    return self->error;
}

size_t
sp_migrate_count (const sp_migrate_t *self)
{
    assert (self);
    return self->count;
}

int
sp_migrate_version (const sp_migrate_t *self, size_t index)
{
    assert (self && index < self->count);
    return self->files[index].version;
}

const char *
sp_migrate_name (const sp_migrate_t *self, size_t index)
{
    assert (self && index < self->count);
    return self->files[index].name;
}

const char *
sp_migrate_checksum (const sp_migrate_t *self, size_t index)
{
    assert (self && index < self->count);
    return self->files[index].checksum;
}

bool
sp_migrate_applied (const sp_migrate_t *self, size_t index)
{
    assert (self && index < self->count);
    return self->files[index].applied;
}
