/*  sp_consumer_store - a consumer's partition state in Redis and the atomic
    apply (see sp_consumer_store.h).

    The batch (sp_consumer_batch.c) already holds its commands as the
    tail of the apply script's ARGV, so the apply only adds the keys,
    token and sequences in front.

    Every Redis step that writes is one Lua script that checks the lease
    first, so an owner that lost its lease cannot write anything. Each
    script's keys are passed in KEYS and all are keys of one partition
    ("{pN}" hash tag), so every script is single-slot.
*/
#include "sp_consumer_store.h"
#include "sp_consumer_store_scripts.h"

#include "sp_consumer_key.h"
#include "sp_error.h"
#include "sp_partition.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_NUMBER_MAX 24          /* an int64 or uint64 in decimal, terminator included */
#define S_QUOTE_SIZE 80          /* a quoted Redis value inside a message */
#define S_REASON_MAX 256         /* one Redis failure reason */
#define S_PATTERN_MAX 192        /* the SCAN pattern of a partition */
#define S_SCAN_COUNT "1000"      /* SCAN's COUNT hint: keys examined per call */
#define S_APPLY_FIXED_ARGS 7     /* lease, checkpoint, revision, token, from, last, revision */
#define S_APPLY_KEYS 3           /* lease, checkpoint, revision */
#define S_START_KEYS 4           /* lease, checkpoint, epoch, revision */
#define S_RESTAMP_KEYS 2         /* lease, revision */
#define S_RESULT_APPLIED 0       /* first element of a script's reply: written */
#define S_RESULT_FENCED 1        /* lease not ours */
#define S_RESULT_MOVED 2         /* checkpoint not where the step starts */
#define S_RESULT_STALE 3         /* partition stamped with another revision */
#define S_RESULT_REFUSED 4       /* a command would fail: nothing written */
#define S_INITIAL_KEY_BYTES 8192 /* first size of the reset's key buffer */
#define S_CHECKPOINT_START "0"
#define S_SCAN_START "0" /* SCAN's first and last cursor */

/* A step sent (sp_consumer_store_apply_send) and not yet received: the
   script's fixed arguments are copies (the caller's token or revision
   may change meanwhile); the batch's arguments are borrowed. */
typedef struct {
    bool active;                          /* a step is in flight */
    uint32_t partition;                   /* its partition */
    char lease_key[SP_PARTITION_KEY_MAX]; /* KEYS */
    char checkpoint_key[SP_PARTITION_KEY_MAX];
    char revision_key[SP_PARTITION_KEY_MAX];
    char token[SP_PARTITION_KEY_MAX]; /* ARGV */
    char from_text[S_NUMBER_MAX];
    char last_text[S_NUMBER_MAX];
    char revision_text[S_NUMBER_MAX];
    char what[S_REASON_MAX]; /* "apply events F..L to", for messages */
    const char **argv;       /* the script's arguments (owned array) */
    size_t *lengths;         /* their lengths (owned) */
} s_flight_t;

struct _sp_consumer_store_t {
    char service[SP_PARTITION_SERVICE_MAX]; /* key prefix */
    char rebuild_key[SP_PARTITION_KEY_MAX]; /* "<service>:rebuild" */
    sp_redis_script_t *apply;               /* sp_consumer_store_apply_source */
    sp_redis_script_t *delete;              /* sp_consumer_store_delete_source */
    sp_redis_script_t *start;               /* sp_consumer_store_start_source */
    sp_redis_script_t *restamp;             /* sp_consumer_store_restamp_source */
    sp_redis_pipeline_t *pipeline;          /* the read's GETs, reused */
    int64_t revision;                       /* reference data revision applied under */
    char revision_text[S_NUMBER_MAX];       /* the same in decimal */
    s_flight_t flight;                      /* the step sent and not yet received */
};

/* Keys found by the reset's SCAN, waiting to be deleted. */
typedef struct {
    char *bytes;                             /* the keys, back to back */
    size_t length;                           /* bytes in use */
    size_t capacity;                         /* bytes allocated */
    size_t offsets[SP_CONSUMER_RESET_CHUNK]; /* start of each key in bytes */
    size_t lengths[SP_CONSUMER_RESET_CHUNK]; /* length of each key */
    size_t count;                            /* keys held */
} s_chunk_t;

/* ---------------------------------------------------------------- helpers */

/* Checks a key written by sp_consumer_key_*: the service name's bound
   keeps every key short, so a failure is a programmer error. */
static void
s_key (int length)
{
    assert (length > 0);
    (void) length;
}

/* Reads the code of a fenced script's reply ({code, value}); *holder (may
   be NULL) gets the value of a FENCED or MOVED reply, NULL when nil.
   Returns the code, or -1 for a reply of another shape. */
static int
s_script_code (const sp_redis_reply_t *reply, const sp_redis_reply_t **holder)
{
    if (sp_redis_reply_type (reply) != SP_REDIS_REPLY_ARRAY || sp_redis_reply_size (reply) == 0)
        return -1;
    const sp_redis_reply_t *code = sp_redis_reply_element (reply, 0);
    if (sp_redis_reply_type (code) != SP_REDIS_REPLY_INTEGER)
        return -1;
    int64_t value = sp_redis_reply_integer (code);
    if (value == S_RESULT_APPLIED)
        return S_RESULT_APPLIED;
    if ((value != S_RESULT_FENCED && value != S_RESULT_MOVED && value != S_RESULT_STALE &&
         value != S_RESULT_REFUSED) ||
        sp_redis_reply_size (reply) != 2)
        return -1;
    const sp_redis_reply_t *element = sp_redis_reply_element (reply, 1);
    if (sp_redis_reply_type (element) == SP_REDIS_REPLY_NIL)
        element = NULL;
    else if (sp_redis_reply_type (element) != SP_REDIS_REPLY_STRING)
        return -1;
    if (holder)
        *holder = element;
    return (int) value;
}

static void
s_fenced_error (uint32_t partition, const sp_redis_reply_t *holder, const char *token, char *error,
                size_t error_size)
{
    const char *value = holder ? sp_redis_reply_string (holder, NULL) : "";
    char quoted_value[S_QUOTE_SIZE];
    char quoted_token[S_QUOTE_SIZE];
    sp_error_quote (value, quoted_value, sizeof quoted_value);
    sp_error_quote (token, quoted_token, sizeof quoted_token);
    if (value[0] == '\0')
        sp_error_set (error, error_size,
                      "lease of partition %" PRIu32 " is free, not held by token \"%s\"", partition,
                      quoted_token);
    else
        sp_error_set (error, error_size,
                      "lease of partition %" PRIu32 " is held by \"%s\", not by token \"%s\"",
                      partition, quoted_value, quoted_token);
}

/* ---------------------------------------------------------------- store */

sp_consumer_store_t *
sp_consumer_store_new (const char *service)
{
    assert (service && sp_partition_service_valid (service));
    sp_consumer_store_t *self = (sp_consumer_store_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    snprintf (self->service, sizeof self->service, "%s", service);
    s_key (sp_consumer_key_rebuild (self->rebuild_key, sizeof self->rebuild_key, service));
    self->apply = sp_redis_script_new (sp_consumer_store_apply_source);
    self->delete = sp_redis_script_new (sp_consumer_store_delete_source);
    self->start = sp_redis_script_new (sp_consumer_store_start_source);
    self->restamp = sp_redis_script_new (sp_consumer_store_restamp_source);
    self->pipeline = sp_redis_pipeline_new ();
    snprintf (self->revision_text, sizeof self->revision_text, "0");
    if (!self->apply || !self->delete || !self->start || !self->restamp || !self->pipeline)
        sp_consumer_store_destroy (&self);
    return self;
}

void
sp_consumer_store_destroy (sp_consumer_store_t **self_p)
{
    assert (self_p);
    sp_consumer_store_t *self = *self_p;
    if (!self)
        return;
    sp_redis_script_destroy (&self->apply);
    sp_redis_script_destroy (&self->delete);
    sp_redis_script_destroy (&self->start);
    sp_redis_script_destroy (&self->restamp);
    free (self->flight.argv);
    free (self->flight.lengths);
    sp_redis_pipeline_destroy (&self->pipeline);
    free (self);
    *self_p = NULL;
}

int
sp_consumer_store_load (sp_consumer_store_t *self, sp_redis_t *redis, char *error,
                        size_t error_size)
{
    assert (self && redis);
    sp_redis_script_t *scripts[] = { self->apply, self->delete, self->start, self->restamp };
    for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++)
        if (sp_redis_script_load (scripts[i], redis, error, error_size) != 0)
            return -1;
    return 0;
}

/* One value of the read's pipeline: *present false for nil; a sequence
   when sequence is given, else a number named what. Returns 0, or -1
   with the reason. */
static int
s_read_value (const sp_redis_reply_t *element, const char *key, const char *what, bool *present,
              uint64_t *sequence, int64_t *number, char *error, size_t error_size)
{
    bool is_sequence = sequence != NULL;
    sp_redis_reply_type_t type = sp_redis_reply_type (element);
    *present = false;
    if (type == SP_REDIS_REPLY_NIL)
        return 0;
    if (type == SP_REDIS_REPLY_ERROR) {
        sp_error_set (error, error_size, "could not read key \"%s\": %s", key,
                      sp_redis_reply_string (element, NULL));
        return -1;
    }
    if (type != SP_REDIS_REPLY_STRING) {
        sp_error_set (error, error_size, "could not read key \"%s\": unexpected reply", key);
        return -1;
    }
    size_t length = 0;
    const char *text = sp_redis_reply_string (element, &length);
    int parsed = is_sequence ? sp_consumer_key_parse_sequence (text, length, sequence)
                             : sp_consumer_key_parse_epoch (text, length, number);
    if (parsed != 0) {
        char quoted[S_QUOTE_SIZE];
        sp_error_quote (text, quoted, sizeof quoted);
        sp_error_set (error, error_size, "key \"%s\" holds \"%s\", not %s", key, quoted,
                      is_sequence ? "a sequence" : what);
        return -1;
    }
    *present = true;
    return 0;
}

int
sp_consumer_store_read (sp_consumer_store_t *self, sp_redis_t *redis, uint32_t partition,
                        sp_consumer_store_state_t *state, char *error, size_t error_size)
{
    assert (self && redis && state);
    char checkpoint_key[SP_PARTITION_KEY_MAX];
    char epoch_key[SP_PARTITION_KEY_MAX];
    char revision_key[SP_PARTITION_KEY_MAX];
    s_key (sp_consumer_key_checkpoint (checkpoint_key, sizeof checkpoint_key, self->service,
                                       partition));
    s_key (sp_consumer_key_epoch (epoch_key, sizeof epoch_key, self->service, partition));
    s_key (sp_consumer_key_revision (revision_key, sizeof revision_key, self->service, partition));
    const char *keys[] = { checkpoint_key, epoch_key, self->rebuild_key, revision_key };
    const size_t key_count = sizeof keys / sizeof keys[0];

    sp_redis_pipeline_reset (self->pipeline);
    for (size_t i = 0; i < key_count; i++) {
        const char *get[] = { "GET", keys[i] };
        if (sp_redis_pipeline_append (self->pipeline, 2, get, NULL) != 0) {
            sp_error_set (error, error_size, "out of memory reading partition %" PRIu32, partition);
            return -1;
        }
    }
    char reason[S_REASON_MAX] = "";
    sp_redis_reply_t *reply = sp_redis_execute (redis, self->pipeline, reason, sizeof reason);
    if (!reply) {
        sp_error_set (error, error_size, "could not read the state of partition %" PRIu32 ": %s",
                      partition, reason);
        return -1;
    }
    int rc = -1;
    sp_consumer_store_state_t read = { false, 0, 0, 0, 0 };
    if (sp_redis_reply_type (reply) != SP_REDIS_REPLY_ARRAY ||
        sp_redis_reply_size (reply) != key_count) {
        sp_error_set (error, error_size,
                      "could not read the state of partition %" PRIu32 ": unexpected reply",
                      partition);
        goto out_destroy_reply;
    }
    bool present = false;
    if (s_read_value (sp_redis_reply_element (reply, 0), keys[0], "a sequence",
                      &read.has_checkpoint, &read.checkpoint, NULL, error, error_size) != 0 ||
        s_read_value (sp_redis_reply_element (reply, 1), keys[1], "an epoch", &present, NULL,
                      &read.epoch, error, error_size) != 0 ||
        s_read_value (sp_redis_reply_element (reply, 2), keys[2], "an epoch", &present, NULL,
                      &read.rebuild, error, error_size) != 0 ||
        s_read_value (sp_redis_reply_element (reply, 3), keys[3], "a revision", &present, NULL,
                      &read.revision, error, error_size) != 0)
        goto out_destroy_reply;
    *state = read;
    rc = 0;

out_destroy_reply:
    sp_redis_reply_destroy (&reply);
    return rc;
}

bool
sp_consumer_store_valid (const sp_consumer_store_state_t *state)
{
    assert (state);
    return state->has_checkpoint && state->epoch == state->rebuild;
}

sp_consumer_store_judgement_t
sp_consumer_store_judge (const sp_consumer_store_state_t *state, int64_t revision,
                         int64_t rebuild_revision)
{
    assert (state && rebuild_revision <= revision);
    if (!sp_consumer_store_valid (state))
        return SP_CONSUMER_STORE_RESET;
    if (state->revision > revision)
        return SP_CONSUMER_STORE_BEHIND;
    if (state->revision < rebuild_revision)
        return SP_CONSUMER_STORE_RESET;
    if (state->revision < revision)
        return SP_CONSUMER_STORE_RESTAMP;
    return SP_CONSUMER_STORE_USE;
}

void
sp_consumer_store_set_revision (sp_consumer_store_t *self, int64_t revision)
{
    assert (self && revision >= 0);
    self->revision = revision;
    snprintf (self->revision_text, sizeof self->revision_text, "%" PRId64, revision);
}

int64_t
sp_consumer_store_revision (const sp_consumer_store_t *self)
{
    assert (self);
    return self->revision;
}

/* Where a step expected the checkpoint, and where to report the one
   found when the script answers MOVED (the apply only). */
typedef struct {
    const char *expected; /* decimal checkpoint the step starts from */
    const char *revision; /* decimal revision the step applies under */
    uint64_t *observed;   /* may be NULL */
    bool *missing;        /* may be NULL */
} s_moved_t;

/* Fills error and moved's outputs from a MOVED reply's value (holder). */
static void
s_report_moved (uint32_t partition, const sp_redis_reply_t *holder, const s_moved_t *moved,
                char *error, size_t error_size)
{
    uint64_t found = 0;
    size_t length = 0;
    const char *text = holder ? sp_redis_reply_string (holder, &length) : NULL;
    char quoted[S_QUOTE_SIZE];
    if (text) {
        sp_error_quote (text, quoted, sizeof quoted);
        if (sp_consumer_key_parse_sequence (text, length, &found) != 0)
            found = 0;
        sp_error_set (error, error_size,
                      "checkpoint of partition %" PRIu32 " is \"%s\", not \"%s\"", partition,
                      quoted, moved->expected);
    }
    else
        sp_error_set (error, error_size,
                      "checkpoint of partition %" PRIu32 " is missing, not \"%s\"", partition,
                      moved->expected);
    if (moved->observed)
        *moved->observed = found;
    if (moved->missing)
        *moved->missing = text == NULL;
}

/* Runs a fenced script whose argv starts with the lease key (and has
   key_count keys, then the token); what names the step for messages;
   moved (NULL for scripts that do not check the checkpoint) receives a
   MOVED answer. */
static sp_consumer_store_result_t s_fenced_result (sp_redis_reply_t *reply, const char *reason,
                                                   uint32_t partition, const char *token,
                                                   const char *what, const s_moved_t *moved,
                                                   char *error, size_t error_size);

static sp_consumer_store_result_t
s_run_fenced (sp_redis_script_t *script, sp_redis_t *redis, uint32_t partition, int key_count,
              int argc, const char *const *argv, const size_t *lengths, const char *token,
              const char *what, const s_moved_t *moved, char *error, size_t error_size)
{
    char reason[S_REASON_MAX] = "";
    sp_redis_reply_t *reply =
        sp_redis_script_run (script, redis, key_count, argc, argv, lengths, reason, sizeof reason);
    return s_fenced_result (reply, reason, partition, token, what, moved, error, error_size);
}

/* What a fenced script's reply (taken; NULL: it failed for reason) says. */
static sp_consumer_store_result_t
s_fenced_result (sp_redis_reply_t *reply, const char *reason, uint32_t partition, const char *token,
                 const char *what, const s_moved_t *moved, char *error, size_t error_size)
{
    if (!reply) {
        sp_error_set (error, error_size, "could not %s partition %" PRIu32 ": %s", what, partition,
                      reason);
        return SP_CONSUMER_STORE_FAILED;
    }
    sp_consumer_store_result_t result = SP_CONSUMER_STORE_FAILED;
    const sp_redis_reply_t *holder = NULL;
    int code = s_script_code (reply, &holder);
    if (code == S_RESULT_APPLIED)
        result = SP_CONSUMER_STORE_APPLIED;
    else if (code == S_RESULT_FENCED) {
        s_fenced_error (partition, holder, token, error, error_size);
        result = SP_CONSUMER_STORE_FENCED;
    }
    else if (code == S_RESULT_MOVED && moved) {
        s_report_moved (partition, holder, moved, error, error_size);
        result = SP_CONSUMER_STORE_MOVED;
    }
    else if (code == S_RESULT_STALE && moved) {
        char quoted[S_QUOTE_SIZE];
        sp_error_quote (holder ? sp_redis_reply_string (holder, NULL) : "", quoted, sizeof quoted);
        sp_error_set (error, error_size,
                      "partition %" PRIu32 " is stamped with revision \"%s\", not \"%s\"",
                      partition, quoted, moved->revision);
        result = SP_CONSUMER_STORE_STALE;
    }
    else if (code == S_RESULT_REFUSED && moved) {
        sp_error_set (error, error_size, "redis refused to %s partition %" PRIu32 ": %s", what,
                      partition, holder ? sp_redis_reply_string (holder, NULL) : "");
        result = SP_CONSUMER_STORE_REFUSED;
    }
    else
        sp_error_set (error, error_size, "could not %s partition %" PRIu32 ": unexpected reply",
                      what, partition);
    sp_redis_reply_destroy (&reply);
    return result;
}

/* Deletes the chunk's keys, fenced, and empties the chunk. */
static sp_consumer_store_result_t
s_flush_chunk (sp_consumer_store_t *self, sp_redis_t *redis, uint32_t partition,
               const char *lease_key, const char *token, s_chunk_t *chunk, char *error,
               size_t error_size)
{
    const char *argv[SP_CONSUMER_RESET_CHUNK + 2];
    size_t lengths[SP_CONSUMER_RESET_CHUNK + 2];
    argv[0] = lease_key;
    lengths[0] = strlen (lease_key);
    for (size_t i = 0; i < chunk->count; i++) {
        argv[1 + i] = chunk->bytes + chunk->offsets[i];
        lengths[1 + i] = chunk->lengths[i];
    }
    argv[1 + chunk->count] = token;
    lengths[1 + chunk->count] = strlen (token);
    int key_count = (int) chunk->count + 1;
    sp_consumer_store_result_t result =
        s_run_fenced (self->delete, redis, partition, key_count, key_count + 1, argv, lengths,
                      token, "delete the keys of", NULL, error, error_size);
    chunk->count = 0;
    chunk->length = 0;
    return result;
}

/* Makes room for needed key bytes in chunk (doubling). 0, or -1. */
static int
s_chunk_reserve (s_chunk_t *chunk, size_t needed)
{
    if (needed <= chunk->capacity)
        return 0;
    size_t capacity = chunk->capacity ? chunk->capacity : S_INITIAL_KEY_BYTES;
    while (capacity < needed && capacity <= SIZE_MAX / 2)
        capacity *= 2;
    char *grown = capacity >= needed ? (char *) realloc (chunk->bytes, capacity) : NULL;
    if (!grown)
        return -1;
    chunk->bytes = grown;
    chunk->capacity = capacity;
    return 0;
}

/* Adds one key to the chunk (flushing it first when full). */
static sp_consumer_store_result_t
s_chunk_add (sp_consumer_store_t *self, sp_redis_t *redis, uint32_t partition,
             const char *lease_key, const char *token, s_chunk_t *chunk, const char *key,
             size_t length, char *error, size_t error_size)
{
    if (chunk->count == SP_CONSUMER_RESET_CHUNK) {
        sp_consumer_store_result_t result =
            s_flush_chunk (self, redis, partition, lease_key, token, chunk, error, error_size);
        if (result != SP_CONSUMER_STORE_APPLIED)
            return result;
    }
    if (s_chunk_reserve (chunk, chunk->length + length) != 0) {
        sp_error_set (error, error_size, "out of memory resetting partition %" PRIu32, partition);
        return SP_CONSUMER_STORE_FAILED;
    }
    memcpy (chunk->bytes + chunk->length, key, length);
    chunk->offsets[chunk->count] = chunk->length;
    chunk->lengths[chunk->count] = length;
    chunk->length += length;
    chunk->count++;
    return SP_CONSUMER_STORE_APPLIED;
}

/* One SCAN call: copies the next cursor into cursor (size bytes) and adds
   the keys found, except the lease and fence keys, to the chunk. */
static sp_consumer_store_result_t
s_scan_page (sp_consumer_store_t *self, sp_redis_t *redis, uint32_t partition,
             const char *lease_key, const char *fence_key, const char *token, const char *pattern,
             char *cursor, size_t size, s_chunk_t *chunk, char *error, size_t error_size)
{
    const char *scan[] = { "SCAN", cursor, "MATCH", pattern, "COUNT", S_SCAN_COUNT };
    char reason[S_REASON_MAX] = "";
    sp_redis_reply_t *reply = sp_redis_command (redis, (int) (sizeof scan / sizeof scan[0]), scan,
                                                NULL, reason, sizeof reason);
    if (!reply) {
        sp_error_set (error, error_size, "could not scan the keys of partition %" PRIu32 ": %s",
                      partition, reason);
        return SP_CONSUMER_STORE_FAILED;
    }
    sp_consumer_store_result_t result = SP_CONSUMER_STORE_FAILED;
    if (sp_redis_reply_type (reply) != SP_REDIS_REPLY_ARRAY || sp_redis_reply_size (reply) != 2)
        goto out_unexpected;
    const sp_redis_reply_t *next = sp_redis_reply_element (reply, 0);
    const sp_redis_reply_t *keys = sp_redis_reply_element (reply, 1);
    if (sp_redis_reply_type (next) != SP_REDIS_REPLY_STRING ||
        sp_redis_reply_type (keys) != SP_REDIS_REPLY_ARRAY)
        goto out_unexpected;
    size_t next_length = 0;
    const char *next_text = sp_redis_reply_string (next, &next_length);
    if (next_length == 0 || next_length >= size)
        goto out_unexpected;
    size_t lease_length = strlen (lease_key);
    size_t fence_length = strlen (fence_key);
    for (size_t i = 0; i < sp_redis_reply_size (keys); i++) {
        const sp_redis_reply_t *key = sp_redis_reply_element (keys, i);
        if (sp_redis_reply_type (key) != SP_REDIS_REPLY_STRING)
            goto out_unexpected;
        size_t length = 0;
        const char *text = sp_redis_reply_string (key, &length);
        if ((length == lease_length && memcmp (text, lease_key, length) == 0) ||
            (length == fence_length && memcmp (text, fence_key, length) == 0))
            continue;
        result = s_chunk_add (self, redis, partition, lease_key, token, chunk, text, length, error,
                              error_size);
        if (result != SP_CONSUMER_STORE_APPLIED)
            goto out_destroy_reply;
    }
    memcpy (cursor, next_text, next_length + 1);
    result = SP_CONSUMER_STORE_APPLIED;
    goto out_destroy_reply;

out_unexpected:
    sp_error_set (error, error_size,
                  "could not scan the keys of partition %" PRIu32 ": unexpected reply", partition);
    result = SP_CONSUMER_STORE_FAILED;
out_destroy_reply:
    sp_redis_reply_destroy (&reply);
    return result;
}

/* Finds every key of the partition but the lease and fence keys and
   deletes them in fenced chunks. Keys are deleted while the scan goes on:
   SCAN still returns every key that exists for the whole iteration. */
static sp_consumer_store_result_t
s_delete_partition_keys (sp_consumer_store_t *self, sp_redis_t *redis, uint32_t partition,
                         const char *lease_key, const char *token, s_chunk_t *chunk, char *error,
                         size_t error_size)
{
    char fence_key[SP_PARTITION_KEY_MAX];
    s_key (sp_consumer_key_fence (fence_key, sizeof fence_key, self->service, partition));
    char pattern[S_PATTERN_MAX];
    s_key (sp_consumer_key_partition_pattern (pattern, sizeof pattern, self->service, partition));
    char cursor[S_NUMBER_MAX] = S_SCAN_START;
    do {
        sp_consumer_store_result_t result =
            s_scan_page (self, redis, partition, lease_key, fence_key, token, pattern, cursor,
                         sizeof cursor, chunk, error, error_size);
        if (result != SP_CONSUMER_STORE_APPLIED)
            return result;
    } while (strcmp (cursor, S_SCAN_START) != 0);
    if (chunk->count == 0)
        return SP_CONSUMER_STORE_APPLIED;
    return s_flush_chunk (self, redis, partition, lease_key, token, chunk, error, error_size);
}

sp_consumer_store_result_t
sp_consumer_store_reset (sp_consumer_store_t *self, sp_redis_t *redis, uint32_t partition,
                         const char *token, int64_t epoch, char *error, size_t error_size)
{
    assert (self && redis && token);
    char lease_key[SP_PARTITION_KEY_MAX];
    char checkpoint_key[SP_PARTITION_KEY_MAX];
    char epoch_key[SP_PARTITION_KEY_MAX];
    char revision_key[SP_PARTITION_KEY_MAX];
    s_key (sp_consumer_key_lease (lease_key, sizeof lease_key, self->service, partition));
    s_key (sp_consumer_key_checkpoint (checkpoint_key, sizeof checkpoint_key, self->service,
                                       partition));
    s_key (sp_consumer_key_epoch (epoch_key, sizeof epoch_key, self->service, partition));
    s_key (sp_consumer_key_revision (revision_key, sizeof revision_key, self->service, partition));
    s_chunk_t *chunk = (s_chunk_t *) calloc (1, sizeof *chunk);
    if (!chunk) {
        sp_error_set (error, error_size, "out of memory resetting partition %" PRIu32, partition);
        return SP_CONSUMER_STORE_FAILED;
    }
    /* The checkpoint goes first, on its own: from then on a crash leaves
       the state invalid whatever made it need a reset. */
    sp_consumer_store_result_t result =
        s_chunk_add (self, redis, partition, lease_key, token, chunk, checkpoint_key,
                     strlen (checkpoint_key), error, error_size);
    if (result == SP_CONSUMER_STORE_APPLIED)
        result = s_flush_chunk (self, redis, partition, lease_key, token, chunk, error, error_size);
    if (result == SP_CONSUMER_STORE_APPLIED)
        result = s_delete_partition_keys (self, redis, partition, lease_key, token, chunk, error,
                                          error_size);
    if (result == SP_CONSUMER_STORE_APPLIED) {
        char epoch_text[S_NUMBER_MAX];
        snprintf (epoch_text, sizeof epoch_text, "%" PRId64, epoch);
        const char *argv[] = { lease_key, checkpoint_key,     epoch_key,  revision_key,
                               token,     S_CHECKPOINT_START, epoch_text, self->revision_text };
        result = s_run_fenced (self->start, redis, partition, S_START_KEYS,
                               (int) (sizeof argv / sizeof argv[0]), argv, NULL, token,
                               "write the reset state of", NULL, error, error_size);
    }
    free (chunk->bytes);
    free (chunk);
    return result;
}

int
sp_consumer_store_apply_send (sp_consumer_store_t *self, sp_redis_t *redis,
                              const sp_consumer_batch_t *batch, const char *token, char *error,
                              size_t error_size)
{
    assert (self && redis && batch && token);
    assert (strcmp (self->service, sp_consumer_batch_service (batch)) == 0);
    assert (!self->flight.active);
    s_flight_t *flight = &self->flight;
    uint32_t partition = sp_consumer_batch_partition (batch);
    uint64_t from = sp_consumer_batch_from (batch);
    uint64_t last = sp_consumer_batch_last (batch);
    size_t arguments = sp_consumer_batch_argument_count (batch);
    flight->partition = partition;
    s_key (sp_consumer_key_lease (flight->lease_key, sizeof flight->lease_key, self->service,
                                  partition));
    s_key (sp_consumer_key_checkpoint (flight->checkpoint_key, sizeof flight->checkpoint_key,
                                       self->service, partition));
    s_key (sp_consumer_key_revision (flight->revision_key, sizeof flight->revision_key,
                                     self->service, partition));
    snprintf (flight->token, sizeof flight->token, "%s", token);
    snprintf (flight->from_text, sizeof flight->from_text, "%" PRIu64, from);
    snprintf (flight->last_text, sizeof flight->last_text, "%" PRIu64, last);
    snprintf (flight->revision_text, sizeof flight->revision_text, "%s", self->revision_text);
    snprintf (flight->what, sizeof flight->what, "apply events %" PRIu64 "..%" PRIu64 " to",
              from + 1, last);

    size_t argc = S_APPLY_FIXED_ARGS + arguments;
    free (flight->argv);
    free (flight->lengths);
    flight->argv = (const char **) malloc (argc * sizeof *flight->argv);
    flight->lengths = (size_t *) malloc (argc * sizeof *flight->lengths);
    if (!flight->argv || !flight->lengths) {
        sp_error_set (error, error_size, "out of memory applying events to partition %" PRIu32,
                      partition);
        return -1;
    }
    const char *fixed[S_APPLY_FIXED_ARGS] = { flight->lease_key,    flight->checkpoint_key,
                                              flight->revision_key, flight->token,
                                              flight->from_text,    flight->last_text,
                                              flight->revision_text };
    for (size_t i = 0; i < S_APPLY_FIXED_ARGS; i++) {
        flight->argv[i] = fixed[i];
        flight->lengths[i] = strlen (fixed[i]);
    }
    for (size_t i = 0; i < arguments; i++)
        flight->argv[S_APPLY_FIXED_ARGS + i] =
            sp_consumer_batch_argument (batch, i, &flight->lengths[S_APPLY_FIXED_ARGS + i]);
    char reason[S_REASON_MAX] = "";
    if (sp_redis_script_send (self->apply, redis, S_APPLY_KEYS, (int) argc, flight->argv,
                              flight->lengths, reason, sizeof reason) != 0) {
        sp_error_set (error, error_size, "could not %s partition %" PRIu32 ": %s", flight->what,
                      partition, reason);
        return -1;
    }
    flight->active = true;
    return 0;
}

bool
sp_consumer_store_apply_sent (const sp_consumer_store_t *self, uint32_t *partition)
{
    assert (self);
    if (self->flight.active && partition)
        *partition = self->flight.partition;
    return self->flight.active;
}

sp_consumer_store_result_t
sp_consumer_store_apply_receive (sp_consumer_store_t *self, sp_redis_t *redis, uint64_t *observed,
                                 bool *observed_missing, char *error, size_t error_size)
{
    assert (self && redis && self->flight.active);
    s_flight_t *flight = &self->flight;
    char reason[S_REASON_MAX] = "";
    sp_redis_reply_t *reply = sp_redis_script_receive (redis, reason, sizeof reason);
    flight->active = false;
    s_moved_t moved = { flight->from_text, flight->revision_text, observed, observed_missing };
    return s_fenced_result (reply, reason, flight->partition, flight->token, flight->what, &moved,
                            error, error_size);
}

sp_consumer_store_result_t
sp_consumer_store_apply (sp_consumer_store_t *self, sp_redis_t *redis,
                         const sp_consumer_batch_t *batch, const char *token, uint64_t *observed,
                         bool *observed_missing, char *error, size_t error_size)
{
    if (sp_consumer_store_apply_send (self, redis, batch, token, error, error_size) != 0)
        return SP_CONSUMER_STORE_FAILED;
    return sp_consumer_store_apply_receive (self, redis, observed, observed_missing, error,
                                            error_size);
}

sp_consumer_store_result_t
sp_consumer_store_restamp (sp_consumer_store_t *self, sp_redis_t *redis, uint32_t partition,
                           const char *token, char *error, size_t error_size)
{
    assert (self && redis && token);
    char lease_key[SP_PARTITION_KEY_MAX];
    char revision_key[SP_PARTITION_KEY_MAX];
    s_key (sp_consumer_key_lease (lease_key, sizeof lease_key, self->service, partition));
    s_key (sp_consumer_key_revision (revision_key, sizeof revision_key, self->service, partition));
    const char *argv[] = { lease_key, revision_key, token, self->revision_text };
    return s_run_fenced (self->restamp, redis, partition, S_RESTAMP_KEYS,
                         (int) (sizeof argv / sizeof argv[0]), argv, NULL, token,
                         "stamp the revision of", NULL, error, error_size);
}

int
sp_consumer_store_request_rebuild (sp_redis_t *redis, const char *service, int64_t *epoch,
                                   char *error, size_t error_size)
{
    assert (redis && service && epoch);
    if (!sp_partition_service_valid (service)) {
        char quoted[S_QUOTE_SIZE];
        sp_error_quote (service, quoted, sizeof quoted);
        sp_error_set (error, error_size,
                      "invalid service name \"%s\": must be 1..%d characters of a-z, 0-9 and \"-\"",
                      quoted, SP_PARTITION_SERVICE_MAX - 1);
        return -1;
    }
    char key[SP_CONSUMER_KEY_MAX];
    s_key (sp_consumer_key_rebuild (key, sizeof key, service));
    const char *incr[] = { "INCR", key };
    char reason[S_REASON_MAX] = "";
    sp_redis_reply_t *reply = sp_redis_command (redis, 2, incr, NULL, reason, sizeof reason);
    if (!reply) {
        sp_error_set (error, error_size, "could not request a rebuild of \"%s\": %s", service,
                      reason);
        return -1;
    }
    int rc = -1;
    if (sp_redis_reply_type (reply) == SP_REDIS_REPLY_INTEGER) {
        *epoch = sp_redis_reply_integer (reply);
        rc = 0;
    }
    else
        sp_error_set (error, error_size, "could not request a rebuild of \"%s\": unexpected reply",
                      service);
    sp_redis_reply_destroy (&reply);
    return rc;
}
