/*  sp_refdata - versioned reference data in PostgreSQL (see sp_refdata.h).
 */
#include "sp_refdata.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_error.h"

#define S_NUMBER_SIZE 32     /* an int64 in decimal */
#define S_KIND_LIST_SIZE 640 /* "{k1,k2,...}" for SP_REFDATA_KINDS_MAX kinds */
#define S_QUOTE_SIZE 80      /* a quoted user value inside a message */

/* Key space of the per-document advisory locks (the two-integer form of
   pg_advisory_xact_lock, which never meets the bigint keys of
   sp_pg_advisory_lock): "REFD" in ASCII. */
#define S_LOCK_CLASS "1380271684"

/* $1: lock class, $2: kind, $3: name. */
static const char s_lock_sql[] =
    "SELECT pg_advisory_xact_lock($1::integer, hashtext($2::text || ' ' || $3::text))";

/* $1: kind, $2: name. */
static const char s_latest_sql[] = "SELECT version, revision, document FROM reference_data "
                                   "WHERE kind = $1 AND name = $2 ORDER BY version DESC LIMIT 1";

/* $1 kind, $2 name, $3 version, $4 document, $5 effective_from, $6 loaded_by. */
static const char s_insert_sql[] =
    "INSERT INTO reference_data (kind, name, version, document, content_hash, effective_from, "
    "loaded_by) VALUES ($1, $2, $3::integer, $4, sha256(convert_to($4, 'UTF8')), "
    "$5::timestamptz, $6) RETURNING revision";

/* $1 kind, $2 name, $3 version, $4 revision. */
static const char s_notify_sql[] = "SELECT pg_notify('" SP_REFDATA_CHANNEL "', "
                                   "$1 || ' ' || $2 || ' ' || $3 || ' ' || $4)";

/* Columns of a read, in sp_refdata_entry_t order. */
#define S_READ_COLUMNS                                                                             \
    "SELECT kind, name, version, revision, document, "                                             \
    "(extract(epoch FROM effective_from) * 1000)::bigint, loaded_by, "                             \
    "(extract(epoch FROM loaded_at) * 1000)::bigint, encode(content_hash, 'hex') "                 \
    "FROM reference_data WHERE kind = ANY($1::text[]) AND ($2::text IS NULL OR name = $2) "

/* $1: kinds as a text array, $2: name or NULL. */
static const char s_read_latest_sql[] =
    "SELECT * FROM (" S_READ_COLUMNS "AND version = (SELECT max(version) FROM reference_data "
    "latest WHERE latest.kind = reference_data.kind AND latest.name = reference_data.name)) rows "
    "ORDER BY 1, 2, 3";
static const char s_read_every_sql[] = S_READ_COLUMNS "ORDER BY kind, name, version";

/* $1: kinds as a text array. */
static const char s_revision_sql[] =
    "SELECT coalesce(max(revision), 0) FROM reference_data WHERE kind = ANY($1::text[])";

enum {
    S_COLUMN_KIND = 0,
    S_COLUMN_NAME,
    S_COLUMN_VERSION,
    S_COLUMN_REVISION,
    S_COLUMN_DOCUMENT,
    S_COLUMN_EFFECTIVE_FROM,
    S_COLUMN_LOADED_BY,
    S_COLUMN_LOADED_AT,
    S_COLUMN_SHA256,
};

struct _sp_refdata_set_t {
    sp_refdata_entry_t *entries; /* in read order */
    size_t size;                 /* entries used */
    int64_t revision;            /* largest revision among them */
};

/* ---------------------------------------------------------------- names */

static bool
s_word_valid (const char *text, size_t max, bool letter_first)
{
    size_t length = strlen (text);
    if (length == 0 || length > max)
        return false;
    if (letter_first && !(text[0] >= 'a' && text[0] <= 'z'))
        return false;
    for (size_t index = 0; index < length; index++) {
        char c = text[index];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

bool
sp_refdata_kind_valid (const char *kind)
{
    return kind && s_word_valid (kind, SP_REFDATA_KIND_SIZE - 1, true);
}

bool
sp_refdata_name_valid (const char *name)
{
    return name && s_word_valid (name, SP_REFDATA_NAME_SIZE - 1, false);
}

/* "{kind1,kind2}" (kinds are checked words, so no quoting is needed).
   Returns 0, or -1 with the reason. */
static int
s_kind_list (const char *const *kinds, size_t count, char *buffer, size_t size, char *error,
             size_t error_size)
{
    if (count == 0 || count > SP_REFDATA_KINDS_MAX) {
        sp_error_set (error, error_size, "between 1 and %d kinds must be read, not %zu",
                      SP_REFDATA_KINDS_MAX, count);
        return -1;
    }
    size_t used = 0;
    for (size_t index = 0; index < count; index++) {
        if (!sp_refdata_kind_valid (kinds[index])) {
            char quoted[S_QUOTE_SIZE];
            sp_error_quote (kinds[index] ? kinds[index] : "", quoted, sizeof quoted);
            sp_error_set (error, error_size, "invalid kind \"%s\"", quoted);
            return -1;
        }
        int written =
            snprintf (buffer + used, size - used, "%s%s", index ? "," : "{", kinds[index]);
        assert (written > 0 && (size_t) written < size - used);
        used += (size_t) written;
    }
    assert (used + 2 <= size);
    buffer[used++] = '}';
    buffer[used] = '\0';
    return 0;
}

/* ---------------------------------------------------------------- store */

int
sp_refdata_store (sp_pg_t *pg, const char *kind, const char *name, const char *canonical,
                  const char *effective_from, const char *loaded_by, bool if_absent,
                  sp_refdata_stored_t *stored, char *error, size_t error_size)
{
    assert (pg && kind && name && canonical && loaded_by && stored);
    char quoted[S_QUOTE_SIZE];
    if (!sp_refdata_kind_valid (kind) || !sp_refdata_name_valid (name)) {
        sp_error_quote (sp_refdata_kind_valid (kind) ? name : kind, quoted, sizeof quoted);
        sp_error_set (error, error_size, "invalid %s \"%s\"",
                      sp_refdata_kind_valid (kind) ? "name" : "kind", quoted);
        return -1;
    }
    size_t loaded_by_length = strlen (loaded_by);
    if (loaded_by_length == 0 || loaded_by_length >= SP_REFDATA_LOADED_BY_SIZE) {
        sp_error_set (error, error_size, "loaded_by must be 1..%d bytes, not %zu",
                      SP_REFDATA_LOADED_BY_SIZE - 1, loaded_by_length);
        return -1;
    }
    int rc = -1;
    sp_pg_result_t *result = NULL;
    if (sp_pg_begin (pg) != 0) {
        sp_error_set (error, error_size, "could not begin a transaction: %s", sp_pg_error (pg));
        return -1;
    }
    result =
        sp_pg_exec (pg, s_lock_sql, 3, (const char *[]){ S_LOCK_CLASS, kind, name }, NULL, NULL);
    if (!sp_pg_result_ok (result)) {
        sp_error_set (error, error_size, "could not lock %s \"%s\": %s", kind, name,
                      sp_pg_result_error (result));
        goto out_rollback;
    }
    sp_pg_result_destroy (&result);

    result = sp_pg_exec (pg, s_latest_sql, 2, (const char *[]){ kind, name }, NULL, NULL);
    if (!sp_pg_result_ok (result)) {
        sp_error_set (error, error_size, "could not read reference_data: %s",
                      sp_pg_result_error (result));
        goto out_rollback;
    }
    int64_t latest = 0;
    int64_t latest_revision = 0;
    if (sp_pg_result_rows (result) == 1) {
        if (sp_pg_result_int64 (result, 0, 0, &latest) != 0 ||
            sp_pg_result_int64 (result, 0, 1, &latest_revision) != 0) {
            sp_error_set (error, error_size, "invalid version of %s \"%s\"", kind, name);
            goto out_rollback;
        }
        if (if_absent || strcmp (sp_pg_result_value (result, 0, 2), canonical) == 0) {
            *stored = (sp_refdata_stored_t){ latest, latest_revision, false };
            rc = 0;
            goto out_rollback; /* it only read */
        }
    }
    sp_pg_result_destroy (&result);

    char next[S_NUMBER_SIZE];
    snprintf (next, sizeof next, "%" PRId64, latest + 1);
    result = sp_pg_exec (pg, s_insert_sql, 6,
                         (const char *[]){ kind, name, next, canonical, effective_from, loaded_by },
                         NULL, NULL);
    int64_t revision = 0;
    if (!sp_pg_result_ok (result) || sp_pg_result_rows (result) != 1 ||
        sp_pg_result_int64 (result, 0, 0, &revision) != 0) {
        sp_error_set (error, error_size, "could not store version %s of %s \"%s\": %s", next, kind,
                      name, sp_pg_result_error (result));
        goto out_rollback;
    }
    sp_pg_result_destroy (&result);

    char revision_text[S_NUMBER_SIZE];
    snprintf (revision_text, sizeof revision_text, "%" PRId64, revision);
    result = sp_pg_exec (pg, s_notify_sql, 4, (const char *[]){ kind, name, next, revision_text },
                         NULL, NULL);
    if (!sp_pg_result_ok (result)) {
        sp_error_set (error, error_size, "could not notify the load of %s \"%s\": %s", kind, name,
                      sp_pg_result_error (result));
        goto out_rollback;
    }
    sp_pg_result_destroy (&result);
    if (sp_pg_commit (pg) != 0) {
        sp_error_set (error, error_size, "could not commit version %s of %s \"%s\": %s", next, kind,
                      name, sp_pg_error (pg));
        return -1;
    }
    *stored = (sp_refdata_stored_t){ latest + 1, revision, true };
    return 0;

out_rollback:
    sp_pg_result_destroy (&result);
    sp_pg_rollback (pg);
    return rc;
}

/* ---------------------------------------------------------------- reads */

void
sp_refdata_set_destroy (sp_refdata_set_t **self_p)
{
    assert (self_p);
    sp_refdata_set_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->size; index++)
        free ((char *) self->entries[index].document);
    free (self->entries);
    free (self);
    *self_p = NULL;
}

/* Fills entry from row of result. Returns 0, or -1 with the reason. */
static int
s_read_row (const sp_pg_result_t *result, int row, sp_refdata_entry_t *entry, char *error,
            size_t error_size)
{
    snprintf (entry->kind, sizeof entry->kind, "%s",
              sp_pg_result_value (result, row, S_COLUMN_KIND));
    snprintf (entry->name, sizeof entry->name, "%s",
              sp_pg_result_value (result, row, S_COLUMN_NAME));
    snprintf (entry->loaded_by, sizeof entry->loaded_by, "%s",
              sp_pg_result_value (result, row, S_COLUMN_LOADED_BY));
    snprintf (entry->sha256, sizeof entry->sha256, "%s",
              sp_pg_result_value (result, row, S_COLUMN_SHA256));
    entry->has_effective_from = !sp_pg_result_is_null (result, row, S_COLUMN_EFFECTIVE_FROM);
    if (sp_pg_result_int64 (result, row, S_COLUMN_VERSION, &entry->version) != 0 ||
        sp_pg_result_int64 (result, row, S_COLUMN_REVISION, &entry->revision) != 0 ||
        sp_pg_result_int64 (result, row, S_COLUMN_LOADED_AT, &entry->loaded_at) != 0 ||
        (entry->has_effective_from &&
         sp_pg_result_int64 (result, row, S_COLUMN_EFFECTIVE_FROM, &entry->effective_from) != 0)) {
        sp_error_set (error, error_size, "%s \"%s\": a stored number is not readable", entry->kind,
                      entry->name);
        return -1;
    }
    entry->document = strdup (sp_pg_result_value (result, row, S_COLUMN_DOCUMENT));
    if (!entry->document) {
        sp_error_set (error, error_size, "out of memory");
        return -1;
    }
    return 0;
}

sp_refdata_set_t *
sp_refdata_read (sp_pg_t *pg, const char *const *kinds, size_t count, const char *name,
                 bool every_version, char *error, size_t error_size)
{
    assert (pg && kinds);
    char list[S_KIND_LIST_SIZE];
    if (s_kind_list (kinds, count, list, sizeof list, error, error_size) != 0)
        return NULL;
    sp_refdata_set_t *self = calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    sp_pg_result_t *result = sp_pg_exec (pg, every_version ? s_read_every_sql : s_read_latest_sql,
                                         2, (const char *[]){ list, name }, NULL, NULL);
    if (!sp_pg_result_ok (result)) {
        sp_error_set (error, error_size, "could not read reference_data: %s",
                      sp_pg_result_error (result));
        goto out_failed;
    }
    int rows = sp_pg_result_rows (result);
    self->entries = calloc ((size_t) rows + 1, sizeof *self->entries);
    if (!self->entries) {
        sp_error_set (error, error_size, "out of memory");
        goto out_failed;
    }
    for (int row = 0; row < rows; row++) {
        sp_refdata_entry_t *entry = &self->entries[self->size];
        if (s_read_row (result, row, entry, error, error_size) != 0) {
            free ((char *) entry->document);
            goto out_failed;
        }
        self->size++;
        if (entry->revision > self->revision)
            self->revision = entry->revision;
    }
    sp_pg_result_destroy (&result);
    return self;

out_failed:
    sp_pg_result_destroy (&result);
    sp_refdata_set_destroy (&self);
    return NULL;
}

int
sp_refdata_revision (sp_pg_t *pg, const char *const *kinds, size_t count, int64_t *revision,
                     char *error, size_t error_size)
{
    assert (pg && kinds && revision);
    char list[S_KIND_LIST_SIZE];
    if (s_kind_list (kinds, count, list, sizeof list, error, error_size) != 0)
        return -1;
    sp_pg_result_t *result =
        sp_pg_exec (pg, s_revision_sql, 1, (const char *[]){ list }, NULL, NULL);
    int rc = -1;
    if (!sp_pg_result_ok (result) || sp_pg_result_rows (result) != 1)
        sp_error_set (error, error_size, "could not read the reference data revision: %s",
                      sp_pg_result_error (result));
    else if (sp_pg_result_int64 (result, 0, 0, revision) != 0)
        sp_error_set (error, error_size, "the reference data revision is not a number");
    else
        rc = 0;
    sp_pg_result_destroy (&result);
    return rc;
}

size_t
sp_refdata_set_size (const sp_refdata_set_t *self)
{
    assert (self);
    return self->size;
}

const sp_refdata_entry_t *
sp_refdata_set_entry (const sp_refdata_set_t *self, size_t index)
{
    assert (self && index < self->size);
    return &self->entries[index];
}

int64_t
sp_refdata_set_revision (const sp_refdata_set_t *self)
{
    assert (self);
    return self->revision;
}

int
sp_refdata_check_finish (char *text, const char *object_name, char *name, size_t name_size,
                         char **canonical, char *error, size_t error_size)
{
    assert (object_name && name && canonical);
    *canonical = text;
    if (!text) {
        sp_error_set (error, error_size, "out of memory writing the canonical form");
        return -1;
    }
    snprintf (name, name_size, "%s", object_name);
    return 0;
}
