/*  churn_reference - the health model in force (see churn_reference.h). */
#include "churn_reference.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_error.h"
#include "sp_refdata.h"

const char *const churn_reference_kinds[] = { "health" };

struct _churn_reference_t {
    churn_model_t *model; /* the model in force */
    int64_t version;      /* its stored version, 0: built in */
    int64_t revision;     /* its revision, 0: built in */
};

void
churn_reference_destroy (churn_reference_t **self_p)
{
    assert (self_p);
    churn_reference_t *self = *self_p;
    if (!self)
        return;
    churn_model_destroy (&self->model);
    free (self);
    *self_p = NULL;
}

churn_reference_t *
churn_reference_load (sp_pg_t *pg, char *error, size_t error_size)
{
    assert (pg);
    churn_reference_t *self = calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        return NULL;
    }
    char reason[CHURN_MODEL_ERROR_SIZE];
    sp_refdata_set_t *set = sp_refdata_read (pg, churn_reference_kinds, CHURN_REFERENCE_KIND_COUNT,
                                             NULL, false, reason, sizeof reason);
    if (!set) {
        sp_error_set (error, error_size, "could not read the health models: %s", reason);
        goto out_destroy;
    }
    const sp_refdata_entry_t *latest = NULL;
    for (size_t index = 0; index < sp_refdata_set_size (set); index++) {
        const sp_refdata_entry_t *entry = sp_refdata_set_entry (set, index);
        if (!latest || entry->revision > latest->revision)
            latest = entry;
    }
    if (latest) {
        self->model =
            churn_model_new (latest->document, strlen (latest->document), reason, sizeof reason);
        if (!self->model)
            sp_error_set (error, error_size, "health model \"%s\" version %lld is not valid: %s",
                          latest->name, (long long) latest->version, reason);
        self->version = latest->version;
        self->revision = latest->revision;
    }
    else {
        self->model =
            churn_model_new (CHURN_REFERENCE_DEFAULT_MODEL, strlen (CHURN_REFERENCE_DEFAULT_MODEL),
                             reason, sizeof reason);
        if (!self->model)
            sp_error_set (error, error_size, "the built-in health model: %s", reason);
    }
    sp_refdata_set_destroy (&set);
    if (self->model)
        return self;
out_destroy:
    churn_reference_destroy (&self);
    return NULL;
}

const churn_model_t *
churn_reference_model (const churn_reference_t *self)
{
    assert (self);
    return self->model;
}

int64_t
churn_reference_version (const churn_reference_t *self)
{
    assert (self);
    return self->version;
}

int64_t
churn_reference_revision (const churn_reference_t *self)
{
    assert (self);
    return self->revision;
}

json_t *
churn_reference_definitions (const churn_reference_t *self)
{
    assert (self);
    json_t *models = json_object ();
    if (!models)
        return NULL;
    if (self->version > 0 && json_object_set_new (models, churn_model_name (self->model),
                                                  json_integer ((json_int_t) self->version)) != 0) {
        json_decref (models);
        return NULL;
    }
    return json_pack ("{s:o}", churn_reference_kinds[0], models);
}
