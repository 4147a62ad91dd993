/*  churn_tiers - customer tiers from the customers reference data (see
    churn_tiers.h).

    The ids are copied into one block, each followed by its NUL; an entry
    points at its id and holds its tier.
*/
#include "churn_tiers.h"

#include <assert.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "sp_error.h"
#include "sp_json_read.h"

/* The tiers as the document spells them; the tier is the letter. */
static const char *const s_tier_names[] = { "A", "B", "C" };
#define S_TIER_COUNT (sizeof s_tier_names / sizeof s_tier_names[0])

typedef struct {
    const char *id; /* in the ids block */
    char tier;      /* 'A', 'B' or 'C' */
    size_t index;   /* position in the document's "customers" */
} s_entry_t;

struct _churn_tiers_t {
    s_entry_t *entries; /* sorted by id, bytewise */
    size_t count;       /* customers */
    char *ids;          /* every id, NUL-terminated, one after another */
};

static int
s_compare (const void *left, const void *right)
{
    const s_entry_t *one = left;
    const s_entry_t *other = right;
    int order = strcmp (one->id, other->id);
    if (order != 0)
        return order;
    return (one->index > other->index) - (one->index < other->index);
}

/* Reads customers[index]: its id (borrowed from the document) and tier. */
static int
s_read_customer (sp_json_reader_t *reader, const json_t *array, size_t index, const char **id,
                 char *tier)
{
    char parent[SP_JSON_PATH_SIZE];
    char path[SP_JSON_PATH_SIZE];
    const json_t *object = json_array_get (array, index);
    sp_json_path_index (parent, sizeof parent, "customers", index);
    if (sp_json_read_object (reader, object, parent) != 0)
        return -1;
    sp_json_path (path, sizeof path, parent, "id");
    if (sp_json_read_text (reader, json_object_get (object, "id"), path, CHURN_TIERS_ID_MAX, id) !=
        0)
        return -1;
    int choice;
    sp_json_path (path, sizeof path, parent, "tier");
    if (sp_json_read_choice (reader, json_object_get (object, "tier"), path, "tier",
                             "\"A\", \"B\" or \"C\"", s_tier_names, S_TIER_COUNT, &choice) != 0)
        return -1;
    *tier = s_tier_names[choice][0];
    return 0;
}

/* Reads every customer of array into self. */
static int
s_read (sp_json_reader_t *reader, churn_tiers_t *self, const json_t *array)
{
    size_t count = json_array_size (array);
    self->entries = calloc (count ? count : 1, sizeof *self->entries);
    const char **ids = calloc (count ? count : 1, sizeof *ids);
    int rc = -1;
    if (!self->entries || !ids) {
        sp_error_set (reader->error, reader->error_size, "out of memory");
        goto out_free;
    }
    size_t bytes = 0;
    for (size_t index = 0; index < count; index++) {
        if (s_read_customer (reader, array, index, &ids[index], &self->entries[index].tier) != 0)
            goto out_free;
        bytes += strlen (ids[index]) + 1;
    }
    self->ids = malloc (bytes ? bytes : 1);
    if (!self->ids) {
        sp_error_set (reader->error, reader->error_size, "out of memory");
        goto out_free;
    }
    char *at = self->ids;
    for (size_t index = 0; index < count; index++) {
        size_t size = strlen (ids[index]) + 1;
        memcpy (at, ids[index], size);
        self->entries[index].id = at;
        self->entries[index].index = index;
        at += size;
    }
    self->count = count;
    if (count > 1)
        qsort (self->entries, count, sizeof *self->entries, s_compare);
    for (size_t index = 1; index < count; index++)
        if (strcmp (self->entries[index - 1].id, self->entries[index].id) == 0) {
            char path[SP_JSON_PATH_SIZE];
            char parent[SP_JSON_PATH_SIZE];
            sp_json_path_index (parent, sizeof parent, "customers", self->entries[index].index);
            sp_json_path (path, sizeof path, parent, "id");
            sp_json_path_index (parent, sizeof parent, "customers", self->entries[index - 1].index);
            sp_json_fail (reader, path, "the id of %s again", parent);
            goto out_free;
        }
    rc = 0;
out_free:
    free (ids);
    return rc;
}

churn_tiers_t *
churn_tiers_new (const char *text, size_t length, char *error, size_t error_size)
{
    assert (text || length == 0);
    sp_json_reader_t reader = { error, error_size };
    json_t *root = sp_json_load_object (text, length, "a customers document", error, error_size);
    if (!root)
        return NULL;
    churn_tiers_t *self = calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        goto out_release_root;
    }
    const json_t *array = json_object_get (root, "customers");
    if (sp_json_read_array (&reader, array, "customers") != 0 || s_read (&reader, self, array) != 0)
        churn_tiers_destroy (&self);
out_release_root:
    json_decref (root);
    return self;
}

void
churn_tiers_destroy (churn_tiers_t **self_p)
{
    assert (self_p);
    churn_tiers_t *self = *self_p;
    if (!self)
        return;
    free (self->entries);
    free (self->ids);
    free (self);
    *self_p = NULL;
}

char
churn_tiers_tier (const churn_tiers_t *self, const char *customer)
{
    if (!self || !customer)
        return 0;
    size_t low = 0, high = self->count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int order = strcmp (self->entries[middle].id, customer);
        if (order == 0)
            return self->entries[middle].tier;
        if (order < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return 0;
}

size_t
churn_tiers_count (const churn_tiers_t *self)
{
    assert (self);
    return self->count;
}
