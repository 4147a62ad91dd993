/*  sp_redis_script - Lua scripts over the sp_redis connection (see
    sp_redis.h): SCRIPT LOAD once, EVALSHA after, loaded again on
    NOSCRIPT (a Redis restarted or flushed); a script may be sent and its
    reply received later, so the caller works meanwhile.
*/
#include "sp_redis_internal.h"

#include "sp_error.h"
#include "sp_log.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_COUNT(array) (sizeof (array) / sizeof (array)[0])
#define S_NUMBER_TEXT_MAX 24 /* decimal text of an int, with sign */

sp_redis_script_t *
sp_redis_script_new (const char *source)
{
    assert (source);
    sp_redis_script_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->source = strdup (source);
    if (!self->source) {
        free (self);
        return NULL;
    }
    self->sha[0] = '\0';
    return self;
}

sp_redis_script_t *
sp_redis_script_new_read_only (const char *source)
{
    sp_redis_script_t *self = sp_redis_script_new (source);
    if (self)
        self->read_only = true;
    return self;
}

void
sp_redis_script_destroy (sp_redis_script_t **self_p)
{
    assert (self_p);
    if (!*self_p)
        return;
    free ((*self_p)->source);
    free (*self_p);
    *self_p = NULL;
}

const char *
sp_redis_script_sha (const sp_redis_script_t *self)
{
    assert (self);
    return self->sha;
}

int
sp_redis_script_load (sp_redis_script_t *self, sp_redis_t *redis, char *error, size_t error_size)
{
    assert (self);
    assert (redis);
    if (redis->cluster)
        return sp_redis_cluster_script_load (redis->cluster, self, error, error_size);
    const char *argv[] = { "SCRIPT", "LOAD", self->source };
    redisReply *reply =
        sp_redis_seam_command (redis, S_COUNT (argv), argv, NULL, error, error_size);
    if (!reply)
        return -1;
    int rc = -1;
    if (reply->type == REDIS_REPLY_ERROR)
        sp_error_set (error, error_size, "could not load script: %.*s", (int) reply->len,
                      reply->str);
    else if (reply->type != REDIS_REPLY_STRING || reply->len != SP_REDIS_SHA_LENGTH)
        sp_error_set (error, error_size, "could not load script: unexpected reply to SCRIPT LOAD");
    else {
        memcpy (self->sha, reply->str, SP_REDIS_SHA_LENGTH);
        self->sha[SP_REDIS_SHA_LENGTH] = '\0';
        rc = 0;
    }
    freeReplyObject (reply);
    return rc;
}

/* EVALSHA sha key_count argv... as one argument array (malloc'd, with
   their lengths), loading the script first when it never was. Returns 0,
   or -1 with the reason. */
static int
s_script_arguments (sp_redis_script_t *self, sp_redis_t *redis, int key_count, int argc,
                    const char *const *argv, const size_t *argv_lengths, const char ***arguments_p,
                    size_t **lengths_p, char *error, size_t error_size)
{
    size_t total = (size_t) argc + SP_REDIS_FIXED_ARGS;
    /* the key count's text lives after the pointers, in the same block */
    const char **arguments = calloc (1, total * sizeof *arguments + S_NUMBER_TEXT_MAX);
    size_t *lengths = calloc (total, sizeof *lengths);
    if (!arguments || !lengths) {
        sp_error_set (error, error_size, "out of memory running script");
        goto out_failed;
    }
    if (self->sha[0] == '\0' && sp_redis_script_load (self, redis, error, error_size) != 0)
        goto out_failed;
    char *key_count_text = (char *) (arguments + total);
    snprintf (key_count_text, S_NUMBER_TEXT_MAX, "%d", key_count);
    arguments[0] = self->read_only ? "EVALSHA_RO" : "EVALSHA";
    arguments[1] = self->sha;
    arguments[2] = key_count_text;
    for (int i = 0; i < argc; i++) {
        arguments[SP_REDIS_FIXED_ARGS + i] = argv[i];
        lengths[SP_REDIS_FIXED_ARGS + i] = argv_lengths ? argv_lengths[i] : strlen (argv[i]);
    }
    for (size_t i = 0; i < SP_REDIS_FIXED_ARGS; i++)
        lengths[i] = strlen (arguments[i]);
    *arguments_p = arguments;
    *lengths_p = lengths;
    return 0;
out_failed:
    free (arguments);
    free (lengths);
    return -1;
}

redisReply *
sp_redis_seam_script_retry (sp_redis_script_t *self, sp_redis_t *redis, redisReply *reply, int argc,
                            const char *const *argv, const size_t *lengths, char *error,
                            size_t error_size)
{
    if (reply && reply->type == REDIS_REPLY_ERROR &&
        strncmp (reply->str, NOSCRIPT_PREFIX, strlen (NOSCRIPT_PREFIX)) == 0) {
        /* Redis lost its script cache (SCRIPT FLUSH, FLUSHALL, restart):
           load again and retry once. */
        freeReplyObject (reply);
        reply = NULL;
        if (sp_redis_script_load (self, redis, error, error_size) == 0)
            reply = sp_redis_seam_command (redis, argc, argv, lengths, error, error_size);
    }
    return reply;
}

/* The script's reply, from hiredis's (taken, may be NULL): an error reply
   is a failure. */
static sp_redis_reply_t *
s_script_wrap (const sp_redis_script_t *self, redisReply *reply, char *error, size_t error_size)
{
    if (!reply)
        return NULL;
    if (reply->type == REDIS_REPLY_ERROR) {
        sp_error_set (error, error_size, "script %.8s failed: %.*s", self->sha, (int) reply->len,
                      reply->str);
        freeReplyObject (reply);
        return NULL;
    }
    return sp_redis_seam_reply (reply, error, error_size);
}

/* The slot of a script's keys (arguments as EVALSHA's), -1 when it has
   none; -1 returned with the reason when its keys span slots. */
static int
s_script_slot (int total, const char **arguments, const size_t *lengths, int *slot, char *error,
               size_t error_size)
{
    return sp_redis_cluster_slot_of (total, arguments, lengths, slot, error, error_size);
}

sp_redis_reply_t *
sp_redis_script_run (sp_redis_script_t *self, sp_redis_t *redis, int key_count, int argc,
                     const char *const *argv, const size_t *argv_lengths, char *error,
                     size_t error_size)
{
    assert (self);
    assert (redis);
    assert (key_count >= 0 && key_count <= argc);
    assert (argc == 0 || argv);
    const char **arguments = NULL;
    size_t *lengths = NULL;
    if (s_script_arguments (self, redis, key_count, argc, argv, argv_lengths, &arguments, &lengths,
                            error, error_size) != 0)
        return NULL;
    int total = argc + SP_REDIS_FIXED_ARGS;
    redisReply *reply = NULL;
    if (redis->cluster) {
        int slot = -1;
        if (s_script_slot (total, arguments, lengths, &slot, error, error_size) == 0)
            reply = sp_redis_cluster_exchange (redis->cluster, slot, total, arguments, lengths,
                                               self, error, error_size);
    }
    else {
        reply = sp_redis_seam_command (redis, total, arguments, lengths, error, error_size);
        reply = reply ? sp_redis_seam_script_retry (self, redis, reply, total, arguments, lengths,
                                                    error, error_size)
                      : NULL;
    }
    sp_redis_reply_t *result = s_script_wrap (self, reply, error, error_size);
    free (arguments);
    free (lengths);
    return result;
}

/* sp_redis_script_send on a cluster: sent on the node of the keys' slot,
   which holds it in flight; the cluster remembers which node. */
static int
s_cluster_send (sp_redis_script_t *self, sp_redis_t *redis, int key_count, int argc,
                const char *const *argv, const size_t *argv_lengths, char *error, size_t error_size)
{
    assert (!sp_redis_cluster_pending (redis->cluster, NULL));
    const char **arguments = NULL;
    size_t *lengths = NULL;
    if (s_script_arguments (self, redis, key_count, argc, argv, argv_lengths, &arguments, &lengths,
                            error, error_size) != 0)
        return -1;
    int slot = -1;
    sp_redis_t *node = NULL;
    if (s_script_slot (argc + SP_REDIS_FIXED_ARGS, arguments, lengths, &slot, error, error_size) ==
        0)
        node = sp_redis_cluster_node (redis->cluster, slot, error, error_size);
    free (arguments);
    free (lengths);
    if (!node)
        return -1;
    if (sp_redis_script_send (self, node, key_count, argc, argv, argv_lengths, error, error_size) !=
        0) {
        sp_redis_cluster_failed (redis->cluster, !sp_redis_connected (node));
        return -1;
    }
    sp_redis_cluster_pending_set (redis->cluster, node, slot);
    return 0;
}

int
sp_redis_script_send (sp_redis_script_t *self, sp_redis_t *redis, int key_count, int argc,
                      const char *const *argv, const size_t *argv_lengths, char *error,
                      size_t error_size)
{
    assert (self && redis);
    assert (key_count >= 0 && key_count <= argc);
    assert (argc == 0 || argv);
    assert (!redis->pending);
    if (redis->cluster)
        return s_cluster_send (self, redis, key_count, argc, argv, argv_lengths, error, error_size);
    const char **arguments = NULL;
    size_t *lengths = NULL;
    if (s_script_arguments (self, redis, key_count, argc, argv, argv_lengths, &arguments, &lengths,
                            error, error_size) != 0)
        return -1;
    int total = argc + SP_REDIS_FIXED_ARGS;
    if (sp_redis_seam_connected (redis, error, error_size) != 0)
        goto out_free;
    /* Queue, then write it all now without reading: the reply is read by
       sp_redis_script_receive while the caller does other work. */
    int done = 0;
    if (sp_redis_seam_queue (redis, total, arguments, lengths) != 0)
        goto out_failed;
    while (!done)
        if (redisBufferWrite (redis->context, &done) != REDIS_OK)
            goto out_failed;
    redis->pending = self;
    redis->pending_arguments = arguments;
    redis->pending_lengths = lengths;
    redis->pending_count = total;
    return 0;

out_failed : {
    char reason[SP_REDIS_REASON_MAX];
    sp_redis_seam_drop (redis, reason, sizeof reason);
    sp_error_set (error, error_size, "could not send \"EVALSHA\" to redis at \"%s\": %s",
                  redis->address, reason);
}
out_free:
    free (arguments);
    free (lengths);
    return -1;
}

bool
sp_redis_script_sent (const sp_redis_t *redis)
{
    assert (redis);
    if (redis->cluster)
        return sp_redis_cluster_pending (redis->cluster, NULL) != NULL;
    return redis->pending != NULL;
}

/* Reads the raw reply of the script in flight on redis (a single-server
   connection), NOSCRIPT handled; hands back the script and its EVALSHA
   arguments (the caller frees them). NULL with the reason. */
static redisReply *
s_receive_raw (sp_redis_t *redis, sp_redis_script_t **script_p, const char ***arguments_p,
               size_t **lengths_p, int *total_p, char *error, size_t error_size)
{
    assert (redis->pending);
    sp_redis_script_t *self = redis->pending;
    const char **arguments = redis->pending_arguments;
    size_t *lengths = redis->pending_lengths;
    int total = redis->pending_count;
    redis->pending = NULL;
    redis->pending_arguments = NULL;
    redis->pending_lengths = NULL;
    redis->pending_count = 0;
    *script_p = self;
    *arguments_p = arguments;
    *lengths_p = lengths;
    *total_p = total;
    redisReply *reply = NULL;
    if (!redis->context)
        sp_error_set (error, error_size, "lost connection to redis at \"%s\"", redis->address);
    else if (redisGetReply (redis->context, (void **) &reply) != REDIS_OK || !reply) {
        char reason[SP_REDIS_REASON_MAX];
        sp_redis_seam_drop (redis, reason, sizeof reason);
        sp_error_set (error, error_size, "could not run \"EVALSHA\" on redis at \"%s\": %s",
                      redis->address, reason);
        reply = NULL;
    }
    return reply ? sp_redis_seam_script_retry (self, redis, reply, total, arguments, lengths, error,
                                               error_size)
                 : NULL;
}

sp_redis_reply_t *
sp_redis_script_receive (sp_redis_t *redis, char *error, size_t error_size)
{
    assert (redis);
    sp_redis_t *node = redis;
    int slot = -1;
    if (redis->cluster) {
        node = sp_redis_cluster_pending (redis->cluster, &slot);
        assert (node);
        sp_redis_cluster_pending_set (redis->cluster, NULL, -1);
    }
    sp_redis_script_t *self = NULL;
    const char **arguments = NULL;
    size_t *lengths = NULL;
    int total = 0;
    redisReply *reply =
        s_receive_raw (node, &self, &arguments, &lengths, &total, error, error_size);
    if (redis->cluster) {
        sp_redis_t *target = NULL;
        if (!reply)
            sp_redis_cluster_failed (redis->cluster, !sp_redis_connected (node));
        else if (sp_redis_cluster_redirect (redis->cluster, reply, &target) !=
                 SP_REDIS_REDIRECT_NONE) {
            /* Sent to the wrong node: run it again where it belongs. */
            freeReplyObject (reply);
            reply = sp_redis_cluster_exchange (redis->cluster, slot, total, arguments, lengths,
                                               self, error, error_size);
        }
        else
            sp_redis_cluster_failed (redis->cluster, false);
    }
    sp_redis_reply_t *result = s_script_wrap (self, reply, error, error_size);
    free (arguments);
    free (lengths);
    return result;
}
