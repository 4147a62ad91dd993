/*  sp_org - the org chart of the "org" reference data (see sp_org.h): the
    reader of the JSON form, the canonical writer, and the look-ups.

    Reading goes level by level: regions, then teams (whose "region" is
    looked up in the regions, already sorted), then reps (whose
    memberships' "team" is looked up in the teams). Each level is read in
    document order, then sorted by id, and duplicates are refused naming
    both paths. Each reader returns 0, or -1 after writing the one error
    message; the first error found is the one reported.

    Every region, team and rep holds its scope string ("team:<id>"), one
    allocation whose tail is the id, so look-ups hand out borrowed strings
    of either form. Two indexes are built once: the teams of each region,
    and each team's (rep, membership) pairs, for sp_org_children.
*/
#include "sp_org.h"

#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sp_civil.h"
#include "sp_error.h"
#include "sp_event.h"
#include "sp_json_read.h"

#define S_KIND "org"
#define S_NAME_MAX (SP_REFDATA_NAME_SIZE - 1)

const sp_refdata_kind_t sp_org_kind = {
    .kind = S_KIND,
    .service = "kpi-evaluator",
    .change = SP_REFDATA_REBUILD,
    .effective_dated = false,
    .check = sp_org_check,
};

/* What every region, team and rep starts with, so that one comparator
   and one search serve the three arrays. */
typedef struct {
    char *scope;    /* "<prefix><id>", owned */
    const char *id; /* the id: scope after its prefix */
    size_t index;   /* position in the document's array */
} s_node_t;

typedef struct {
    s_node_t node;     /* "region:<id>" */
    char *title;       /* owned; NULL when absent */
    size_t team_first; /* its teams: region_teams[team_first..+team_count) */
    size_t team_count; /* how many */
} s_region_t;

typedef struct {
    s_node_t node;     /* "team:<id>" */
    size_t region;     /* index in regions */
    size_t pair_first; /* its members: pairs[pair_first..+pair_count) */
    size_t pair_count; /* how many */
} s_team_t;

typedef struct {
    int64_t from;  /* first day, inclusive */
    int64_t until; /* first day after, exclusive; SP_ORG_OPEN_END when open */
    size_t team;   /* index in teams */
    size_t index;  /* position in the document's "memberships" */
} s_membership_t;

typedef struct {
    s_node_t node;               /* "rep:<id>" */
    s_membership_t *memberships; /* owned, sorted by from */
    size_t membership_count;     /* 1..SP_ORG_MEMBERSHIPS_MAX once read */
    char *role;                  /* owned; NULL when absent */
} s_rep_t;

/* A membership in a team, for the team's children. */
typedef struct {
    size_t rep;    /* index in reps */
    int64_t from;  /* the membership's first day */
    int64_t until; /* the membership's end, exclusive */
} s_pair_t;

struct _sp_org_t {
    char name[SP_REFDATA_NAME_SIZE]; /* document name, [a-z0-9_-] */
    char *company;                   /* owned display name; NULL when absent */
    s_region_t *regions;             /* sorted by id */
    size_t region_count;             /* regions read */
    s_team_t *teams;                 /* sorted by id */
    size_t team_count;               /* teams read */
    s_rep_t *reps;                   /* sorted by id */
    size_t rep_count;                /* reps read */
    size_t *region_teams;            /* team indexes grouped by region, in id order */
    s_pair_t *pairs;                 /* memberships grouped by team, by rep then from */
    size_t pair_count;               /* memberships of all reps */
};

static const char *const s_top_keys[] = { "name", "company", "regions", "teams", "reps", NULL };
static const char *const s_region_keys[] = { "id", "title", NULL };
static const char *const s_team_keys[] = { "id", "region", NULL };
static const char *const s_rep_keys[] = { "id", "role", "memberships", NULL };
static const char *const s_membership_keys[] = { "team", "from", "until", NULL };

// ---------------------------------------------------------------- values

/* Reads a required local date "YYYY-MM-DD" as days since 1970-01-01. */
static int
s_read_date (sp_json_reader_t *reader, const json_t *value, const char *path, int64_t *day)
{
    const char *text;
    if (sp_json_read_string (reader, value, path, &text) != 0)
        return -1;
    if (sp_civil_date_parse (text, day) != 0) {
        char quoted[SP_EVENT_QUOTE_SIZE];
        return sp_json_fail (reader, path, "invalid date \"%s\": use YYYY-MM-DD",
                             sp_json_quote (value, quoted, sizeof quoted));
    }
    return 0;
}

/* A malloc'd "<prefix><id>" as node's scope, node's id inside it. */
static int
s_node_set (sp_json_reader_t *reader, s_node_t *node, const char *prefix, const char *id,
            size_t index)
{
    size_t prefix_length = strlen (prefix);
    size_t id_length = strlen (id);
    node->scope = malloc (prefix_length + id_length + 1);
    if (!node->scope) {
        sp_error_set (reader->error, reader->error_size, "out of memory");
        return -1;
    }
    memcpy (node->scope, prefix, prefix_length);
    memcpy (node->scope + prefix_length, id, id_length + 1);
    node->id = node->scope + prefix_length;
    node->index = index;
    return 0;
}

// ---------------------------------------------------------------- sorting and searching

/* Orders nodes by id (byte order), then by position in the document. */
static int
s_node_compare (const void *left, const void *right)
{
    const s_node_t *one = left;
    const s_node_t *other = right;
    int order = strcmp (one->id, other->id);
    if (order != 0)
        return order;
    return one->index < other->index ? -1 : one->index > other->index;
}

/* The node at index of an array of structs of size bytes that start with
   an s_node_t. */
static const s_node_t *
s_node_at (const void *base, size_t size, size_t index)
{
    return (const s_node_t *) ((const char *) base + index * size);
}

/* Sorts count structs of size bytes starting with an s_node_t and refuses
   a duplicate id, naming the earliest later one in the document and the
   one it repeats: `field "teams[3].id": "X" is already the id of
   teams[1]`. */
static int
s_sort_unique (sp_json_reader_t *reader, void *base, size_t count, size_t size, const char *array)
{
    if (count > 1)
        qsort (base, count, size, s_node_compare);
    const s_node_t *first = NULL;  /* the earliest of a duplicate pair */
    const s_node_t *second = NULL; /* its repetition, earliest in the document */
    for (size_t index = 1; index < count; index++) {
        const s_node_t *previous = s_node_at (base, size, index - 1);
        const s_node_t *node = s_node_at (base, size, index);
        bool repeats = strcmp (previous->id, node->id) == 0;
        bool starts_run =
            index == 1 || strcmp (s_node_at (base, size, index - 2)->id, previous->id) != 0;
        if (repeats && starts_run && (!second || node->index < second->index)) {
            first = previous;
            second = node;
        }
    }
    if (!second)
        return 0;
    char path[SP_JSON_PATH_SIZE];
    char parent[SP_JSON_PATH_SIZE];
    char quoted[SP_EVENT_QUOTE_SIZE];
    sp_json_path_index (parent, sizeof parent, array, second->index);
    sp_json_path (path, sizeof path, parent, "id");
    sp_json_path_index (parent, sizeof parent, array, first->index);
    return sp_json_fail (reader, path, "\"%s\" is already the id of %s",
                         sp_event_quote (second->id, strlen (second->id), quoted, sizeof quoted),
                         parent);
}

/* Index of the node with id in a sorted array (as s_node_at), or -1. */
static ptrdiff_t
s_find (const void *base, size_t count, size_t size, const char *id)
{
    size_t low = 0;
    size_t high = count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int order = strcmp (s_node_at (base, size, middle)->id, id);
        if (order == 0)
            return (ptrdiff_t) middle;
        if (order < 0)
            low = middle + 1;
        else
            high = middle;
    }
    return -1;
}

#define S_FIND(array, count, id) s_find ((array), (count), sizeof *(array), (id))

/* The membership of rep in force on day, or NULL. */
static const s_membership_t *
s_membership_on (const s_rep_t *rep, int64_t day)
{
    /* The last membership whose from is <= day: the only candidate, as
       memberships do not overlap. */
    size_t low = 0;
    size_t high = rep->membership_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (rep->memberships[middle].from <= day)
            low = middle + 1;
        else
            high = middle;
    }
    if (low == 0)
        return NULL;
    const s_membership_t *membership = &rep->memberships[low - 1];
    return day < membership->until ? membership : NULL;
}

// ---------------------------------------------------------------- reading

/* Reads name (a required array of at most max objects) and allocates a
   zeroed struct of size bytes for each (one when empty): returns them
   with their number in *count, or NULL with the reason. */
static void *
s_read_list (sp_json_reader_t *reader, const json_t *array, const char *name, size_t max,
             size_t size, size_t *count)
{
    if (sp_json_read_array (reader, array, name) != 0)
        return NULL;
    *count = json_array_size (array);
    if (*count > max) {
        sp_json_fail (reader, name, "%zu %s, at most %zu are allowed", *count, name, max);
        return NULL;
    }
    void *items = calloc (*count ? *count : 1, size);
    if (!items)
        sp_error_set (reader->error, reader->error_size, "out of memory");
    return items;
}

/* Reads the object at index of array (the document's field name), with
   no key but keys, and its "id": fills parent (SP_JSON_PATH_SIZE bytes)
   with its path, *object and *id. Returns 0, or -1 with the reason. */
static int
s_read_node (sp_json_reader_t *reader, const json_t *array, const char *name, size_t index,
             const char *const *keys, char *parent, const json_t **object, const char **id)
{
    *object = json_array_get (array, index);
    sp_json_path_index (parent, SP_JSON_PATH_SIZE, name, index);
    if (sp_json_read_object (reader, *object, parent) != 0 ||
        sp_json_check_keys (reader, *object, parent, keys) != 0)
        return -1;
    char path[SP_JSON_PATH_SIZE];
    sp_json_path (path, sizeof path, parent, "id");
    return sp_json_read_text (reader, json_object_get (*object, "id"), path, SP_ORG_ID_MAX, id);
}

/* Reads parent's field (of object) naming a node of a sorted array (as
   s_find): its index into *found, or -1 with `unknown <field> "<id>"`. */
static int
s_read_reference (sp_json_reader_t *reader, const json_t *object, const char *parent,
                  const char *field, const void *base, size_t count, size_t size, size_t *found)
{
    char path[SP_JSON_PATH_SIZE];
    const json_t *value = json_object_get (object, field);
    const char *id;
    sp_json_path (path, sizeof path, parent, field);
    if (sp_json_read_string (reader, value, path, &id) != 0)
        return -1;
    ptrdiff_t index = s_find (base, count, size, id);
    if (index < 0) {
        char quoted[SP_EVENT_QUOTE_SIZE];
        return sp_json_fail (reader, path, "unknown %s \"%s\"", field,
                             sp_json_quote (value, quoted, sizeof quoted));
    }
    *found = (size_t) index;
    return 0;
}

/* Reads "regions". */
static int
s_read_regions (sp_json_reader_t *reader, sp_org_t *self, const json_t *array)
{
    size_t count;
    self->regions =
        s_read_list (reader, array, "regions", SP_ORG_REGIONS_MAX, sizeof *self->regions, &count);
    if (!self->regions)
        return -1;
    for (size_t index = 0; index < count; index++) {
        const json_t *object;
        const char *id;
        char parent[SP_JSON_PATH_SIZE];
        char path[SP_JSON_PATH_SIZE];
        if (s_read_node (reader, array, "regions", index, s_region_keys, parent, &object, &id) != 0)
            return -1;
        const json_t *value = json_object_get (object, "title");
        const char *title = NULL;
        sp_json_path (path, sizeof path, parent, "title");
        if (value && sp_json_read_text (reader, value, path, SP_ORG_TITLE_MAX, &title) != 0)
            return -1;
        s_region_t *region = &self->regions[index];
        if (s_node_set (reader, &region->node, SP_ORG_REGION_PREFIX, id, index) != 0)
            return -1;
        self->region_count++;
        if (title && !(region->title = strdup (title))) {
            sp_error_set (reader->error, reader->error_size, "out of memory");
            return -1;
        }
    }
    return s_sort_unique (reader, self->regions, self->region_count, sizeof *self->regions,
                          "regions");
}

/* Reads "teams" (regions read). */
static int
s_read_teams (sp_json_reader_t *reader, sp_org_t *self, const json_t *array)
{
    size_t count;
    self->teams =
        s_read_list (reader, array, "teams", SP_ORG_TEAMS_MAX, sizeof *self->teams, &count);
    if (!self->teams)
        return -1;
    for (size_t index = 0; index < count; index++) {
        const json_t *object;
        const char *id;
        char parent[SP_JSON_PATH_SIZE];
        size_t region;
        if (s_read_node (reader, array, "teams", index, s_team_keys, parent, &object, &id) != 0 ||
            s_read_reference (reader, object, parent, "region", self->regions, self->region_count,
                              sizeof *self->regions, &region) != 0)
            return -1;
        s_team_t *team = &self->teams[index];
        if (s_node_set (reader, &team->node, SP_ORG_TEAM_PREFIX, id, index) != 0)
            return -1;
        team->region = region;
        self->team_count++;
    }
    return s_sort_unique (reader, self->teams, self->team_count, sizeof *self->teams, "teams");
}

/* Orders memberships by from, then by position in the document. */
static int
s_membership_compare (const void *left, const void *right)
{
    const s_membership_t *one = left;
    const s_membership_t *other = right;
    if (one->from != other->from)
        return one->from < other->from ? -1 : 1;
    return one->index < other->index ? -1 : one->index > other->index;
}

/* Reads the membership at parent into membership (teams read). */
static int
s_read_membership (sp_json_reader_t *reader, const sp_org_t *self, const json_t *object,
                   const char *parent, s_membership_t *membership)
{
    char path[SP_JSON_PATH_SIZE];
    if (sp_json_read_object (reader, object, parent) != 0 ||
        sp_json_check_keys (reader, object, parent, s_membership_keys) != 0 ||
        s_read_reference (reader, object, parent, "team", self->teams, self->team_count,
                          sizeof *self->teams, &membership->team) != 0)
        return -1;
    sp_json_path (path, sizeof path, parent, "from");
    const json_t *from = json_object_get (object, "from");
    if (s_read_date (reader, from, path, &membership->from) != 0)
        return -1;
    membership->until = SP_ORG_OPEN_END;
    sp_json_path (path, sizeof path, parent, "until");
    const json_t *value = json_object_get (object, "until");
    if (value && s_read_date (reader, value, path, &membership->until) != 0)
        return -1;
    if (membership->until <= membership->from) {
        char quoted[SP_EVENT_QUOTE_SIZE];
        char quoted_from[SP_EVENT_QUOTE_SIZE];
        return sp_json_fail (reader, path, "\"%s\" is not after \"from\" \"%s\"",
                             sp_json_quote (value, quoted, sizeof quoted),
                             sp_json_quote (from, quoted_from, sizeof quoted_from));
    }
    return 0;
}

/* Reads the memberships of reps[rep] (teams read), sorts them and
   refuses an overlap naming both. */
static int
s_read_memberships (sp_json_reader_t *reader, const sp_org_t *self, s_rep_t *rep,
                    const json_t *array, const char *rep_path)
{
    char parent[SP_JSON_PATH_SIZE];
    sp_json_path (parent, sizeof parent, rep_path, "memberships");
    if (sp_json_read_array (reader, array, parent) != 0)
        return -1;
    size_t count = json_array_size (array);
    if (count == 0)
        return sp_json_fail (reader, parent, "at least one membership is required");
    if (count > SP_ORG_MEMBERSHIPS_MAX)
        return sp_json_fail (reader, parent, "%zu memberships, at most %d are allowed", count,
                             SP_ORG_MEMBERSHIPS_MAX);
    rep->memberships = calloc (count, sizeof *rep->memberships);
    if (!rep->memberships) {
        sp_error_set (reader->error, reader->error_size, "out of memory");
        return -1;
    }
    for (size_t index = 0; index < count; index++) {
        char path[SP_JSON_PATH_SIZE];
        sp_json_path_index (path, sizeof path, parent, index);
        rep->memberships[index].index = index;
        if (s_read_membership (reader, self, json_array_get (array, index), path,
                               &rep->memberships[index]) != 0)
            return -1;
        rep->membership_count++;
    }
    qsort (rep->memberships, count, sizeof *rep->memberships, s_membership_compare);
    for (size_t index = 1; index < count; index++) {
        const s_membership_t *earlier = &rep->memberships[index - 1];
        const s_membership_t *later = &rep->memberships[index];
        if (earlier->until > later->from) {
            size_t first = earlier->index < later->index ? earlier->index : later->index;
            size_t second = earlier->index < later->index ? later->index : earlier->index;
            char path[SP_JSON_PATH_SIZE];
            char other[SP_JSON_PATH_SIZE];
            sp_json_path_index (path, sizeof path, parent, second);
            sp_json_path_index (other, sizeof other, parent, first);
            return sp_json_fail (reader, path, "overlaps %s", other);
        }
    }
    return 0;
}

/* Reads "reps" (teams read). */
static int
s_read_reps (sp_json_reader_t *reader, sp_org_t *self, const json_t *array)
{
    size_t count;
    self->reps = s_read_list (reader, array, "reps", SP_ORG_REPS_MAX, sizeof *self->reps, &count);
    if (!self->reps)
        return -1;
    for (size_t index = 0; index < count; index++) {
        const json_t *object;
        const char *id;
        char parent[SP_JSON_PATH_SIZE];
        if (s_read_node (reader, array, "reps", index, s_rep_keys, parent, &object, &id) != 0)
            return -1;
        s_rep_t *rep = &self->reps[index];
        if (s_node_set (reader, &rep->node, SP_ORG_REP_PREFIX, id, index) != 0)
            return -1;
        self->rep_count++;
        const json_t *role = json_object_get (object, "role");
        if (role) {
            char path[SP_JSON_PATH_SIZE];
            char name[SP_ORG_ROLE_MAX + 1];
            sp_json_path (path, sizeof path, parent, "role");
            if (sp_json_read_name (reader, role, path, name, SP_ORG_ROLE_MAX) != 0)
                return -1;
            rep->role = strdup (name);
            if (!rep->role)
                return sp_json_fail (reader, path, "out of memory");
        }
        if (s_read_memberships (reader, self, rep, json_object_get (object, "memberships"),
                                parent) != 0)
            return -1;
    }
    return s_sort_unique (reader, self->reps, self->rep_count, sizeof *self->reps, "reps");
}

/* Builds region_teams and pairs, the indexes of sp_org_children. */
static int
s_index (sp_json_reader_t *reader, sp_org_t *self)
{
    self->region_teams = calloc (self->team_count ? self->team_count : 1, sizeof (size_t));
    for (size_t rep = 0; rep < self->rep_count; rep++)
        self->pair_count += self->reps[rep].membership_count;
    self->pairs = calloc (self->pair_count ? self->pair_count : 1, sizeof *self->pairs);
    if (!self->region_teams || !self->pairs) {
        sp_error_set (reader->error, reader->error_size, "out of memory");
        return -1;
    }
    /* Counting sort: slices in parent order, children in id order. */
    for (size_t team = 0; team < self->team_count; team++)
        self->regions[self->teams[team].region].team_count++;
    for (size_t region = 1; region < self->region_count; region++)
        self->regions[region].team_first =
            self->regions[region - 1].team_first + self->regions[region - 1].team_count;
    size_t *filled = calloc (self->region_count ? self->region_count : 1, sizeof (size_t));
    if (!filled) {
        sp_error_set (reader->error, reader->error_size, "out of memory");
        return -1;
    }
    for (size_t team = 0; team < self->team_count; team++) {
        size_t region = self->teams[team].region;
        self->region_teams[self->regions[region].team_first + filled[region]++] = team;
    }
    free (filled);

    for (size_t rep = 0; rep < self->rep_count; rep++)
        for (size_t index = 0; index < self->reps[rep].membership_count; index++)
            self->teams[self->reps[rep].memberships[index].team].pair_count++;
    for (size_t team = 1; team < self->team_count; team++)
        self->teams[team].pair_first =
            self->teams[team - 1].pair_first + self->teams[team - 1].pair_count;
    for (size_t team = 0; team < self->team_count; team++)
        self->teams[team].pair_count = 0; /* counts again while filling */
    for (size_t rep = 0; rep < self->rep_count; rep++)
        for (size_t index = 0; index < self->reps[rep].membership_count; index++) {
            const s_membership_t *membership = &self->reps[rep].memberships[index];
            s_team_t *team = &self->teams[membership->team];
            self->pairs[team->pair_first + team->pair_count++] =
                (s_pair_t){ .rep = rep, .from = membership->from, .until = membership->until };
        }
    return 0;
}

/* Reads the whole document into self. */
static int
s_read (sp_json_reader_t *reader, sp_org_t *self, const json_t *root)
{
    if (sp_json_check_keys (reader, root, "", s_top_keys) != 0)
        return -1;
    if (sp_json_read_name (reader, json_object_get (root, "name"), "name", self->name,
                           S_NAME_MAX) != 0)
        return -1;
    const json_t *value = json_object_get (root, "company");
    const char *company = NULL;
    if (value && sp_json_read_text (reader, value, "company", SP_ORG_TITLE_MAX, &company) != 0)
        return -1;
    if (company && !(self->company = strdup (company))) {
        sp_error_set (reader->error, reader->error_size, "out of memory");
        return -1;
    }
    if (s_read_regions (reader, self, json_object_get (root, "regions")) != 0 ||
        s_read_teams (reader, self, json_object_get (root, "teams")) != 0 ||
        s_read_reps (reader, self, json_object_get (root, "reps")) != 0)
        return -1;
    return s_index (reader, self);
}

sp_org_t *
sp_org_new (const char *text, size_t length, char *error, size_t error_size)
{
    assert (text || length == 0);
    sp_json_reader_t reader = { error, error_size };
    json_t *root = sp_json_load_object (text, length, "an org", error, error_size);
    if (!root)
        return NULL;
    sp_org_t *self = calloc (1, sizeof *self);
    if (!self) {
        sp_error_set (error, error_size, "out of memory");
        goto out_release_root;
    }
    if (s_read (&reader, self, root) != 0)
        sp_org_destroy (&self);
out_release_root:
    json_decref (root);
    return self;
}

void
sp_org_destroy (sp_org_t **self_p)
{
    assert (self_p);
    sp_org_t *self = *self_p;
    if (!self)
        return;
    for (size_t index = 0; index < self->region_count; index++) {
        free (self->regions[index].node.scope);
        free (self->regions[index].title);
    }
    for (size_t index = 0; index < self->team_count; index++)
        free (self->teams[index].node.scope);
    for (size_t index = 0; index < self->rep_count; index++) {
        free (self->reps[index].node.scope);
        free (self->reps[index].memberships);
        free (self->reps[index].role);
    }
    free (self->regions);
    free (self->teams);
    free (self->reps);
    free (self->region_teams);
    free (self->pairs);
    free (self->company);
    free (self);
    *self_p = NULL;
}

// ---------------------------------------------------------------- canonical form

/* Sets key of object to value (stolen); clears *ok when either fails. */
static void
s_set (json_t *object, const char *key, json_t *value, bool *ok)
{
    if (!object || json_object_set_new (object, key, value) != 0)
        *ok = false;
}

/* Appends value (stolen) to array; clears *ok when either fails. */
static void
s_append (json_t *array, json_t *value, bool *ok)
{
    if (!array || json_array_append_new (array, value) != 0)
        *ok = false;
}

/* A JSON string of day as "YYYY-MM-DD". */
static json_t *
s_date_json (int64_t day)
{
    char text[SP_CIVIL_DATE_LABEL_SIZE];
    sp_civil_date_label (day, text); /* days of years 0..9999, as read */
    return json_string (text);
}

/* The rep's JSON form. */
static json_t *
s_rep_json (const sp_org_t *self, const s_rep_t *rep, bool *ok)
{
    json_t *object = json_object ();
    json_t *memberships = json_array ();
    s_set (object, "id", json_string (rep->node.id), ok);
    if (rep->role)
        s_set (object, "role", json_string (rep->role), ok);
    for (size_t index = 0; index < rep->membership_count; index++) {
        const s_membership_t *membership = &rep->memberships[index];
        json_t *entry = json_object ();
        s_set (entry, "team", json_string (self->teams[membership->team].node.id), ok);
        s_set (entry, "from", s_date_json (membership->from), ok);
        if (membership->until != SP_ORG_OPEN_END)
            s_set (entry, "until", s_date_json (membership->until), ok);
        s_append (memberships, entry, ok);
    }
    s_set (object, "memberships", memberships, ok);
    return object;
}

char *
sp_org_to_json (const sp_org_t *self)
{
    assert (self);
    bool ok = true;
    json_t *root = json_object ();
    json_t *regions = json_array ();
    json_t *teams = json_array ();
    json_t *reps = json_array ();
    s_set (root, "name", json_string (self->name), &ok);
    if (self->company)
        s_set (root, "company", json_string (self->company), &ok);
    for (size_t index = 0; index < self->region_count; index++) {
        json_t *region = json_object ();
        s_set (region, "id", json_string (self->regions[index].node.id), &ok);
        if (self->regions[index].title)
            s_set (region, "title", json_string (self->regions[index].title), &ok);
        s_append (regions, region, &ok);
    }
    for (size_t index = 0; index < self->team_count; index++) {
        json_t *team = json_object ();
        s_set (team, "id", json_string (self->teams[index].node.id), &ok);
        s_set (team, "region", json_string (self->regions[self->teams[index].region].node.id), &ok);
        s_append (teams, team, &ok);
    }
    for (size_t index = 0; index < self->rep_count; index++)
        s_append (reps, s_rep_json (self, &self->reps[index], &ok), &ok);
    s_set (root, "regions", regions, &ok);
    s_set (root, "teams", teams, &ok);
    s_set (root, "reps", reps, &ok);
    char *text = ok ? json_dumps (root, JSON_SORT_KEYS | JSON_COMPACT) : NULL;
    json_decref (root);
    return text;
}

int
sp_org_check (const char *text, size_t length, char *name, size_t name_size, char **canonical,
              char *error, size_t error_size)
{
    assert (text && name && canonical);
    sp_org_t *self = sp_org_new (text, length, error, error_size);
    if (!self)
        return -1;
    int rc = sp_refdata_check_finish (sp_org_to_json (self), sp_org_name (self), name, name_size,
                                      canonical, error, error_size);
    sp_org_destroy (&self);
    return rc;
}

// ---------------------------------------------------------------- look-ups

const char *
sp_org_name (const sp_org_t *self)
{
    assert (self);
    return self->name;
}

const char *
sp_org_company (const sp_org_t *self)
{
    assert (self);
    return self->company;
}

int
sp_org_resolve (const sp_org_t *self, const char *rep, int64_t day, const char **team,
                const char **region)
{
    assert (self && rep);
    const char *team_id = NULL;
    const char *region_id = NULL;
    ptrdiff_t found = S_FIND (self->reps, self->rep_count, rep);
    const s_membership_t *membership = found < 0 ? NULL : s_membership_on (&self->reps[found], day);
    if (membership) {
        const s_team_t *in = &self->teams[membership->team];
        team_id = in->node.id;
        region_id = self->regions[in->region].node.id;
    }
    if (team)
        *team = team_id;
    if (region)
        *region = region_id;
    return membership ? 0 : -1;
}

const char *
sp_org_team_region (const sp_org_t *self, const char *team)
{
    assert (self && team);
    ptrdiff_t found = S_FIND (self->teams, self->team_count, team);
    return found < 0 ? NULL : self->regions[self->teams[found].region].node.id;
}

/* id when it can be a scope: non-empty and at most SP_ORG_ID_MAX bytes;
   otherwise NULL. */
static const char *
s_usable_id (const char *id)
{
    if (!id || !*id)
        return NULL;
    return strnlen (id, SP_ORG_ID_MAX + 1) <= SP_ORG_ID_MAX ? id : NULL;
}

void
sp_org_scopes (const sp_org_t *self, const char *rep_id, const char *team_id, const char *region_id,
               int64_t day, sp_org_scopes_t *out)
{
    assert (out);
    memset (out, 0, sizeof *out);
    snprintf (out->company, sizeof out->company, "%s", SP_ORG_COMPANY);
    const char *rep = s_usable_id (rep_id);
    const char *team = s_usable_id (team_id);
    const char *region = s_usable_id (region_id);
    if (!team && rep && self) {
        const char *member_team;
        const char *member_region;
        if (sp_org_resolve (self, rep, day, &member_team, &member_region) == 0 &&
            (!region || strcmp (member_region, region) == 0))
            team = member_team;
    }
    if (!region && team && self)
        region = sp_org_team_region (self, team);
    if (rep) {
        snprintf (out->rep, sizeof out->rep, "%s%s", SP_ORG_REP_PREFIX, rep);
        out->has_rep = true;
    }
    if (team) {
        snprintf (out->team, sizeof out->team, "%s%s", SP_ORG_TEAM_PREFIX, team);
        out->has_team = true;
    }
    if (region) {
        snprintf (out->region, sizeof out->region, "%s%s", SP_ORG_REGION_PREFIX, region);
        out->has_region = true;
    }
}

/* The id after prefix when node starts with it, else NULL. */
static const char *
s_after (const char *node, const char *prefix)
{
    size_t length = strlen (prefix);
    return strncmp (node, prefix, length) == 0 ? node + length : NULL;
}

/* Writes child into children[*count] when there is room; counts it. */
static void
s_emit (const char *child, const char **children, size_t capacity, size_t *count)
{
    if (*count < capacity)
        children[*count] = child;
    (*count)++;
}

size_t
sp_org_children (const sp_org_t *self, const char *node, int64_t first_day, int64_t end_day,
                 const char **children, size_t capacity)
{
    assert (self && node);
    assert (children || capacity == 0);
    size_t count = 0;
    const char *id;
    if (strcmp (node, SP_ORG_COMPANY) == 0)
        for (size_t index = 0; index < self->region_count; index++)
            s_emit (self->regions[index].node.scope, children, capacity, &count);
    else if ((id = s_after (node, SP_ORG_REGION_PREFIX))) {
        ptrdiff_t found = S_FIND (self->regions, self->region_count, id);
        const s_region_t *region = found < 0 ? NULL : &self->regions[found];
        for (size_t index = 0; region && index < region->team_count; index++)
            s_emit (self->teams[self->region_teams[region->team_first + index]].node.scope,
                    children, capacity, &count);
    }
    else if ((id = s_after (node, SP_ORG_TEAM_PREFIX))) {
        ptrdiff_t found = S_FIND (self->teams, self->team_count, id);
        /* An empty range [first_day, end_day) has no day a rep could be in. */
        const s_team_t *team = found < 0 || first_day >= end_day ? NULL : &self->teams[found];
        size_t last = SIZE_MAX; /* the rep emitted last: pairs are by rep */
        for (size_t index = 0; team && index < team->pair_count; index++) {
            const s_pair_t *pair = &self->pairs[team->pair_first + index];
            if (pair->rep != last && pair->from < end_day && pair->until > first_day) {
                s_emit (self->reps[pair->rep].node.scope, children, capacity, &count);
                last = pair->rep;
            }
        }
    }
    return count;
}

const char *
sp_org_parent (const sp_org_t *self, const char *node, int64_t day)
{
    assert (self && node);
    const char *id;
    ptrdiff_t found;
    if ((id = s_after (node, SP_ORG_REGION_PREFIX)))
        return S_FIND (self->regions, self->region_count, id) < 0 ? NULL : SP_ORG_COMPANY;
    if ((id = s_after (node, SP_ORG_TEAM_PREFIX))) {
        found = S_FIND (self->teams, self->team_count, id);
        return found < 0 ? NULL : self->regions[self->teams[found].region].node.scope;
    }
    if ((id = s_after (node, SP_ORG_REP_PREFIX))) {
        found = S_FIND (self->reps, self->rep_count, id);
        const s_membership_t *membership =
            found < 0 ? NULL : s_membership_on (&self->reps[found], day);
        return membership ? self->teams[membership->team].node.scope : NULL;
    }
    return NULL;
}

bool
sp_org_contains (const sp_org_t *self, const char *node)
{
    assert (self && node);
    const char *id;
    if (strcmp (node, SP_ORG_COMPANY) == 0)
        return true;
    if ((id = s_after (node, SP_ORG_REGION_PREFIX)))
        return S_FIND (self->regions, self->region_count, id) >= 0;
    if ((id = s_after (node, SP_ORG_TEAM_PREFIX)))
        return S_FIND (self->teams, self->team_count, id) >= 0;
    if ((id = s_after (node, SP_ORG_REP_PREFIX)))
        return S_FIND (self->reps, self->rep_count, id) >= 0;
    return false;
}

size_t
sp_org_region_count (const sp_org_t *self)
{
    assert (self);
    return self->region_count;
}

const char *
sp_org_region_id (const sp_org_t *self, size_t index)
{
    assert (self && index < self->region_count);
    return self->regions[index].node.id;
}

const char *
sp_org_region_title (const sp_org_t *self, size_t index)
{
    assert (self && index < self->region_count);
    return self->regions[index].title;
}

size_t
sp_org_team_count (const sp_org_t *self)
{
    assert (self);
    return self->team_count;
}

const char *
sp_org_team_id (const sp_org_t *self, size_t index)
{
    assert (self && index < self->team_count);
    return self->teams[index].node.id;
}

size_t
sp_org_rep_count (const sp_org_t *self)
{
    assert (self);
    return self->rep_count;
}

const char *
sp_org_rep_id (const sp_org_t *self, size_t index)
{
    assert (self && index < self->rep_count);
    return self->reps[index].node.id;
}

const char *
sp_org_rep_role (const sp_org_t *self, const char *rep)
{
    assert (self && rep);
    ptrdiff_t found = S_FIND (self->reps, self->rep_count, rep);
    return found < 0 ? NULL : self->reps[found].role;
}

size_t
sp_org_rep_membership_count (const sp_org_t *self, size_t index)
{
    assert (self && index < self->rep_count);
    return self->reps[index].membership_count;
}

sp_org_membership_t
sp_org_rep_membership (const sp_org_t *self, size_t index, size_t membership)
{
    assert (self && index < self->rep_count);
    assert (membership < self->reps[index].membership_count);
    const s_membership_t *entry = &self->reps[index].memberships[membership];
    return (sp_org_membership_t){ .team = self->teams[entry->team].node.id,
                                  .from = entry->from,
                                  .until = entry->until };
}
