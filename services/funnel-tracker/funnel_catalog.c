/*  funnel_catalog - the funnels one funnel-tracker counts with (see
    funnel_catalog.h). */
#include "funnel_catalog.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "funnel_default_json.h"
#include "sp_error.h"

/* deploy/funnels/default.json, made into a C string by the Makefile
   (build/gen/funnel_default_json.h), so the file is its only source. */
static const char s_default_json[] = FUNNEL_DEFAULT_JSON;

/* Latest version of every funnel, by name. */
static const char s_latest_sql[] =
    "SELECT DISTINCT ON (name) name, version, definition FROM funnel_definitions"
    " ORDER BY name, version DESC";

typedef struct {
    funnel_definition_t *definition; /* owned */
    int64_t version;                 /* 0 = built in */
} s_entry_t;

struct _funnel_catalog_t {
    s_entry_t entries[FUNNEL_CATALOG_MAX]; /* in the order added */
    size_t size;                           /* entries used */
};

funnel_catalog_t *
funnel_catalog_new (void)
{
    return calloc (1, sizeof (funnel_catalog_t));
}

void
funnel_catalog_destroy (funnel_catalog_t **self_p)
{
    assert (self_p);
    funnel_catalog_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->size; index++)
        funnel_definition_destroy (&self->entries[index].definition);
    free (self);
    *self_p = NULL;
}

int
funnel_catalog_add (funnel_catalog_t *self, funnel_definition_t **definition_p, int64_t version,
                    char *error, size_t error_size)
{
    assert (self && definition_p && *definition_p);
    funnel_definition_t *definition = *definition_p;
    *definition_p = NULL;
    const char *name = funnel_definition_name (definition);
    if (funnel_catalog_find (self, name, NULL)) {
        sp_error_set (error, error_size, "funnel \"%s\" is in the catalog twice", name);
        funnel_definition_destroy (&definition);
        return -1;
    }
    if (self->size == FUNNEL_CATALOG_MAX) {
        sp_error_set (error, error_size, "more than %d funnels: \"%s\" cannot be counted",
                      FUNNEL_CATALOG_MAX, name);
        funnel_definition_destroy (&definition);
        return -1;
    }
    self->entries[self->size].definition = definition;
    self->entries[self->size].version = version;
    self->size++;
    return 0;
}

const char *
funnel_catalog_default_json (void)
{
    return s_default_json;
}

int
funnel_catalog_add_default (funnel_catalog_t *self, char *error, size_t error_size)
{
    char reason[FUNNEL_DEFINITION_ERROR_SIZE];
    funnel_definition_t *definition =
        funnel_definition_new (s_default_json, strlen (s_default_json), reason, sizeof reason);
    if (!definition) {
        sp_error_set (error, error_size, "built-in default funnel: %s", reason);
        return -1;
    }
    return funnel_catalog_add (self, &definition, 0, error, error_size);
}

int
funnel_catalog_load (funnel_catalog_t *self, sp_pg_t *pg, char *error, size_t error_size)
{
    assert (self && pg);
    int rc = -1;
    sp_pg_result_t *result = sp_pg_exec (pg, s_latest_sql, 0, NULL, NULL, NULL);
    if (!sp_pg_result_ok (result)) {
        sp_error_set (error, error_size, "could not read funnel definitions: %s",
                      sp_pg_result_error (result));
        goto out_clear_result;
    }
    int rows = sp_pg_result_rows (result);
    for (int row = 0; row < rows; row++) {
        const char *name = sp_pg_result_value (result, row, 0);
        int64_t version = 0;
        if (sp_pg_result_int64 (result, row, 1, &version) != 0) {
            sp_error_set (error, error_size, "funnel \"%s\": version is not a number", name);
            goto out_clear_result;
        }
        const char *text = sp_pg_result_value (result, row, 2);
        char reason[FUNNEL_DEFINITION_ERROR_SIZE];
        funnel_definition_t *definition =
            funnel_definition_new (text, strlen (text), reason, sizeof reason);
        if (!definition) {
            sp_error_set (error, error_size, "funnel \"%s\" version %lld is not valid: %s", name,
                          (long long) version, reason);
            goto out_clear_result;
        }
        if (funnel_catalog_add (self, &definition, version, error, error_size) != 0)
            goto out_clear_result;
    }
    rc = rows == 0 ? funnel_catalog_add_default (self, error, error_size) : 0;
out_clear_result:
    sp_pg_result_destroy (&result);
    return rc;
}

size_t
funnel_catalog_size (const funnel_catalog_t *self)
{
    assert (self);
    return self->size;
}

const funnel_definition_t *
funnel_catalog_definition (const funnel_catalog_t *self, size_t index)
{
    assert (self && index < self->size);
    return self->entries[index].definition;
}

int64_t
funnel_catalog_version (const funnel_catalog_t *self, size_t index)
{
    assert (self && index < self->size);
    return self->entries[index].version;
}

const funnel_definition_t *
funnel_catalog_find (const funnel_catalog_t *self, const char *name, size_t *index)
{
    assert (self && name);
    for (size_t candidate = 0; candidate < self->size; candidate++)
        if (strcmp (funnel_definition_name (self->entries[candidate].definition), name) == 0) {
            if (index)
                *index = candidate;
            return self->entries[candidate].definition;
        }
    return NULL;
}
