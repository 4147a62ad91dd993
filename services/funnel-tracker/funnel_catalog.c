/*  funnel_catalog - the funnels one funnel-tracker counts with (see
    funnel_catalog.h). */
#include "funnel_catalog.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "funnel_default_json.h"
#include "sp_error.h"
#include "sp_refdata.h"

/* deploy/funnels/default.json, made into a C string by the Makefile
   (build/gen/funnel_default_json.h), so the file is its only source. */
static const char s_default_json[] = FUNNEL_DEFAULT_JSON;

/* The reference data kind of funnel definitions. */
#define S_KIND "funnel"

const sp_refdata_kind_t funnel_catalog_kind = {
    .kind = S_KIND,
    .service = "funnel-tracker",
    .change = SP_REFDATA_REBUILD,
    .effective_dated = false,
    .check = funnel_catalog_check,
};

typedef struct {
    funnel_definition_t *definition; /* owned */
    int64_t version;                 /* 0 = built in */
} s_entry_t;

struct _funnel_catalog_t {
    s_entry_t entries[FUNNEL_CATALOG_MAX]; /* in the order added */
    size_t size;                           /* entries used */
    int64_t revision;                      /* reference data revision, 0 = built in */
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
    char reason[SP_REFDATA_ERROR_SIZE];
    sp_refdata_set_t *set =
        sp_refdata_read (pg, (const char *[]){ S_KIND }, 1, NULL, false, reason, sizeof reason);
    if (!set) {
        sp_error_set (error, error_size, "could not read funnel definitions: %s", reason);
        return -1;
    }
    int rc = -1;
    size_t count = sp_refdata_set_size (set);
    for (size_t index = 0; index < count; index++) {
        const sp_refdata_entry_t *entry = sp_refdata_set_entry (set, index);
        char invalid[FUNNEL_DEFINITION_ERROR_SIZE];
        funnel_definition_t *definition = funnel_definition_new (
            entry->document, strlen (entry->document), invalid, sizeof invalid);
        if (!definition) {
            sp_error_set (error, error_size, "funnel \"%s\" version %lld is not valid: %s",
                          entry->name, (long long) entry->version, invalid);
            goto out_destroy_set;
        }
        if (funnel_catalog_add (self, &definition, entry->version, error, error_size) != 0)
            goto out_destroy_set;
    }
    self->revision = sp_refdata_set_revision (set);
    rc = count == 0 ? funnel_catalog_add_default (self, error, error_size) : 0;
out_destroy_set:
    sp_refdata_set_destroy (&set);
    return rc;
}

int64_t
funnel_catalog_revision (const funnel_catalog_t *self)
{
    assert (self);
    return self->revision;
}

int
funnel_catalog_check (const char *text, size_t length, char *name, size_t name_size,
                      char **canonical, char *error, size_t error_size)
{
    assert (text && name && canonical);
    funnel_definition_t *definition = funnel_definition_new (text, length, error, error_size);
    if (!definition)
        return -1;
    int rc = sp_refdata_check_finish (funnel_definition_to_json (definition),
                                      funnel_definition_name (definition), name, name_size,
                                      canonical, error, error_size);
    funnel_definition_destroy (&definition);
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
