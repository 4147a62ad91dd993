/*  sp_lease - partition leases shared by the instances of a service (see
    sp_lease.h).

    Every Redis step is one Lua script so that each is atomic and compares
    the lease value before touching it: heartbeat (membership, status and
    the member list in one call), claim, renew and release. Every key a
    script touches is passed in KEYS, and the claim, renew and release
    scripts touch only the keys of one partition, which share a hash slot.
    A tick costs one heartbeat plus at most two calls per partition (renew
    or release, then claim).

    The plan needs no sort: partition p belongs to the member at p % count
    in bytewise order, so this instance's share is the partitions whose
    index modulo count equals its rank, the number of members that sort
    before it.
*/
#include "sp_lease.h"

#include "sp_consumer_key.h"
#include "sp_error.h"
#include "sp_partition.h"

#include <assert.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define SP_LEASE_QUOTE_SIZE 80   /* a quoted setting value inside a message */
#define SP_LEASE_NUMBER_MAX 24   /* an int64 as text, terminator included */
#define SP_LEASE_REASON_MAX 256  /* one Redis failure reason */
#define SP_LEASE_TICKS_PER_TTL 3 /* renewals attempted within one ttl */
#define SP_LEASE_HOST_MAX 256    /* gethostname buffer */
#define SP_LEASE_SUFFIX_MAX 40   /* "-<pid>-<8 hex>" with terminator */
#define SP_LEASE_HOST_UNKNOWN "unknown"
#define SP_LEASE_STATUS_EMPTY "{}"

/* KEYS: members, status (one hash tag: one slot on Redis Cluster). ARGV:
   instance, ttl ms, status. Joins (expiry on the Redis clock), drops
   expired members, stores the status and returns the live members. */
static const char s_heartbeat_source[] =
    "local time = redis.call('TIME')\n"
    "local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)\n"
    "local ttl = tonumber(ARGV[2])\n"
    "redis.call('ZADD', KEYS[1], string.format('%d', now + ttl), ARGV[1])\n"
    "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', now))\n"
    "redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[2])\n"
    "return redis.call('ZRANGE', KEYS[1], 0, -1)\n";

/* KEYS: lease, fence. ARGV: instance, ttl ms. Returns {1, value} when the
   lease is (now) this instance's, else {0, holder's value}. A value of
   ours left by a claim whose reply was lost is taken back as it is. */
static const char s_claim_source[] = "local value = redis.call('GET', KEYS[1])\n"
                                     "if not value then\n"
                                     "    local fence = redis.call('INCR', KEYS[2])\n"
                                     "    value = ARGV[1] .. '/' .. string.format('%d', fence)\n"
                                     "    redis.call('SET', KEYS[1], value, 'PX', ARGV[2])\n"
                                     "    return {1, value}\n"
                                     "end\n"
                                     "local prefix = ARGV[1] .. '/'\n"
                                     "if string.sub(value, 1, string.len(prefix)) == prefix then\n"
                                     "    redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
                                     "    return {1, value}\n"
                                     "end\n"
                                     "return {0, value}\n";

/* KEYS: lease. ARGV: token, ttl ms. 1 when renewed, 0 when not ours. */
static const char s_renew_source[] = "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
                                     "    redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"
                                     "    return 1\n"
                                     "end\n"
                                     "return 0\n";

/* KEYS: lease. ARGV: token. 1 when deleted, 0 when not ours. */
static const char s_release_source[] = "if redis.call('GET', KEYS[1]) == ARGV[1] then\n"
                                       "    redis.call('DEL', KEYS[1])\n"
                                       "    return 1\n"
                                       "end\n"
                                       "return 0\n";

/* One partition as this instance sees it. */
typedef struct {
    bool owned;                     /* this instance holds the lease */
    char token[SP_LEASE_TOKEN_MAX]; /* lease value held, "" when not owned */
} s_slot_t;

struct _sp_lease_t {
    char service[SP_LEASE_SERVICE_MAX];    /* service name, key prefix */
    char instance[SP_LEASE_INSTANCE_MAX];  /* this instance's id */
    uint32_t partitions;                   /* partitions of the service */
    int64_t ttl_ms;                        /* lease and membership lifetime */
    char ttl_text[SP_LEASE_NUMBER_MAX];    /* ttl_ms as a script argument */
    sp_lease_change_fn change;             /* ownership callback, may be NULL */
    void *change_arg;                      /* its argument */
    char members_key[SP_CONSUMER_KEY_MAX]; /* "<service>:members" */
    char status_key[SP_CONSUMER_KEY_MAX];  /* "<service>:instance:<id>" */
    s_slot_t *slots;                       /* one per partition */
    bool *wanted;                          /* this tick's plan, one per partition */
    uint32_t owned_count;                  /* slots with owned set */
    size_t member_count;                   /* live members at the last heartbeat */
    int64_t *unowned_since_ms;             /* per partition: seen without owner since, -1 = not */
    bool surveyed;                         /* the last look at the lease keys succeeded */
    bool tick_failed;                      /* the last tick failed */
    char tick_error[SP_LEASE_REASON_MAX];  /* why, when it failed */
    bool valid_known;                      /* valid_since_ms has been set */
    int64_t valid_since_ms;                /* owned leases were renewed after this */
    sp_redis_script_t *heartbeat;          /* s_heartbeat_source */
    sp_redis_script_t *claim;              /* s_claim_source */
    sp_redis_script_t *renew;              /* s_renew_source */
    sp_redis_script_t *release;            /* s_release_source */
};

/* ---------------------------------------------------------------- settings */

/* Printable ASCII without '/': the '/' separates the id from the fence in
   a lease value, so an id can never be the prefix of another's token. */
static bool
s_instance_valid (const char *instance)
{
    size_t length = strnlen (instance, SP_LEASE_INSTANCE_MAX);
    if (length == 0 || length >= SP_LEASE_INSTANCE_MAX)
        return false;
    for (size_t i = 0; i < length; i++) {
        char c = instance[i];
        if (c < ' ' || c > '~' || c == '/')
            return false;
    }
    return true;
}

static int
s_settings_valid (const sp_lease_settings_t *settings, char *error, size_t error_size)
{
    char quoted[SP_LEASE_QUOTE_SIZE];
    if (!settings->service) {
        sp_error_set (error, error_size, "lease setting \"service\" is missing");
        return -1;
    }
    if (!sp_partition_service_valid (settings->service)) {
        sp_error_quote (settings->service, quoted, sizeof quoted);
        sp_error_set (error, error_size,
                      "lease setting \"service\": \"%s\" must be 1..%d characters of a-z, 0-9 "
                      "and \"-\"",
                      quoted, SP_LEASE_SERVICE_MAX - 1);
        return -1;
    }
    if (!settings->instance) {
        sp_error_set (error, error_size, "lease setting \"instance\" is missing");
        return -1;
    }
    if (!s_instance_valid (settings->instance)) {
        sp_error_quote (settings->instance, quoted, sizeof quoted);
        sp_error_set (error, error_size,
                      "lease setting \"instance\": \"%s\" must be 1..%d printable ASCII "
                      "characters without \"/\"",
                      quoted, SP_LEASE_INSTANCE_MAX - 1);
        return -1;
    }
    if (settings->partitions < 1 || settings->partitions > SP_PARTITIONS_MAX) {
        sp_error_set (error, error_size,
                      "lease setting \"partitions\": %" PRIu32 " is outside 1..%d",
                      settings->partitions, SP_PARTITIONS_MAX);
        return -1;
    }
    if (settings->ttl_ms < SP_LEASE_TTL_MIN_MS) {
        sp_error_set (error, error_size,
                      "lease setting \"ttl_ms\": %" PRId64 " is below the minimum %d",
                      settings->ttl_ms, SP_LEASE_TTL_MIN_MS);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- life cycle */

sp_lease_t *
sp_lease_new (const sp_lease_settings_t *settings, char *error, size_t error_size)
{
    assert (settings);
    if (s_settings_valid (settings, error, error_size) != 0)
        return NULL;
    sp_lease_t *self = calloc (1, sizeof *self);
    if (!self)
        goto out_no_memory;
    snprintf (self->service, sizeof self->service, "%s", settings->service);
    snprintf (self->instance, sizeof self->instance, "%s", settings->instance);
    self->partitions = settings->partitions;
    self->ttl_ms = settings->ttl_ms;
    snprintf (self->ttl_text, sizeof self->ttl_text, "%" PRId64, settings->ttl_ms);
    self->change = settings->change;
    self->change_arg = settings->change_arg;
    /* Both fit: the service and instance lengths are bounded above. */
    int members_length =
        sp_consumer_key_members (self->members_key, sizeof self->members_key, self->service);
    int status_length = sp_consumer_key_instance (self->status_key, sizeof self->status_key,
                                                  self->service, self->instance);
    assert (members_length > 0 && status_length > 0);
    self->owned_count = 0;
    self->member_count = 0;
    self->valid_known = false;
    self->valid_since_ms = 0;
    self->slots = calloc (self->partitions, sizeof *self->slots);
    if (!self->slots)
        goto out_free_self;
    self->wanted = calloc (self->partitions, sizeof *self->wanted);
    if (!self->wanted)
        goto out_free_slots;
    self->unowned_since_ms = calloc (self->partitions, sizeof *self->unowned_since_ms);
    if (!self->unowned_since_ms)
        goto out_free_wanted;
    for (uint32_t partition = 0; partition < self->partitions; partition++)
        self->unowned_since_ms[partition] = -1;
    self->heartbeat = sp_redis_script_new (s_heartbeat_source);
    self->claim = sp_redis_script_new (s_claim_source);
    self->renew = sp_redis_script_new (s_renew_source);
    self->release = sp_redis_script_new (s_release_source);
    if (!self->heartbeat || !self->claim || !self->renew || !self->release)
        goto out_free_scripts;
    return self;

out_free_scripts:
    sp_redis_script_destroy (&self->heartbeat);
    sp_redis_script_destroy (&self->claim);
    sp_redis_script_destroy (&self->renew);
    sp_redis_script_destroy (&self->release);
    free (self->unowned_since_ms);
out_free_wanted:
    free (self->wanted);
out_free_slots:
    free (self->slots);
out_free_self:
    free (self);
out_no_memory:
    sp_error_set (error, error_size, "out of memory creating the lease of \"%s\"",
                  settings->service);
    return NULL;
}

void
sp_lease_destroy (sp_lease_t **self_p)
{
    assert (self_p);
    sp_lease_t *self = *self_p;
    if (!self)
        return;
    sp_redis_script_destroy (&self->heartbeat);
    sp_redis_script_destroy (&self->claim);
    sp_redis_script_destroy (&self->renew);
    sp_redis_script_destroy (&self->release);
    free (self->unowned_since_ms);
    free (self->wanted);
    free (self->slots);
    free (self);
    *self_p = NULL;
}

/* ---------------------------------------------------------------- local state */

/* Records a gained partition, then tells the owner. */
static void
s_own (sp_lease_t *self, uint32_t partition, const char *token)
{
    s_slot_t *slot = &self->slots[partition];
    assert (!slot->owned);
    snprintf (slot->token, sizeof slot->token, "%s", token);
    slot->owned = true;
    self->owned_count++;
    if (self->change)
        self->change (self->change_arg, partition, true, slot->token);
}

/* Forgets an owned partition, then tells the owner (with the token it
   held, copied first so the callback sees a consistent state). */
static void
s_drop (sp_lease_t *self, uint32_t partition)
{
    s_slot_t *slot = &self->slots[partition];
    assert (slot->owned);
    char token[SP_LEASE_TOKEN_MAX];
    memcpy (token, slot->token, sizeof token);
    slot->owned = false;
    slot->token[0] = '\0';
    self->owned_count--;
    if (self->change)
        self->change (self->change_arg, partition, false, token);
}

static void
s_drop_all (sp_lease_t *self)
{
    for (uint32_t partition = 0; partition < self->partitions; partition++)
        if (self->slots[partition].owned)
            s_drop (self, partition);
}

/* ---------------------------------------------------------------- redis steps */

/* The lease key of partition (sp_consumer_key). */
static void
s_lease_key (const sp_lease_t *self, uint32_t partition, char *buffer, size_t size)
{
    int length = sp_consumer_key_lease (buffer, size, self->service, partition);
    assert (length > 0); /* the service name's bound keeps it short */
}

/* The fence key of partition (sp_consumer_key). */
static void
s_fence_key (const sp_lease_t *self, uint32_t partition, char *buffer, size_t size)
{
    int length = sp_consumer_key_fence (buffer, size, self->service, partition);
    assert (length > 0);
}

/* Step 1: joins, stores the status and sets self->wanted from the live
   members. Returns 0, or -1 with the reason. */
static int
s_heartbeat (sp_lease_t *self, sp_redis_t *redis, const char *status_json, char *error,
             size_t error_size)
{
    /* the deployment's list of services: another slot, so its own command */
    const char *sadd[] = { "SADD", SP_CONSUMER_KEY_SERVICES, self->service };
    char reason[SP_LEASE_REASON_MAX] = "";
    sp_redis_reply_t *reply = sp_redis_command (redis, 3, sadd, NULL, reason, sizeof reason);
    if (!reply) {
        sp_error_set (error, error_size, "could not heartbeat the leases of \"%s\": SADD %s: %s",
                      self->service, SP_CONSUMER_KEY_SERVICES, reason);
        return -1;
    }
    sp_redis_reply_destroy (&reply);
    const char *argv[] = { self->members_key, self->status_key, self->instance, self->ttl_text,
                           status_json };
    reply = sp_redis_script_run (self->heartbeat, redis, 2, 5, argv, NULL, reason, sizeof reason);
    if (!reply) {
        sp_error_set (error, error_size, "could not heartbeat the leases of \"%s\": %s",
                      self->service, reason);
        return -1;
    }
    int rc = -1;
    const char **members = NULL;
    if (sp_redis_reply_type (reply) != SP_REDIS_REPLY_ARRAY || sp_redis_reply_size (reply) == 0)
        goto out_unexpected;
    size_t count = sp_redis_reply_size (reply);
    members = calloc (count, sizeof *members);
    if (!members) {
        sp_error_set (error, error_size, "out of memory reading the members of \"%s\"",
                      self->service);
        goto out_destroy_reply;
    }
    for (size_t i = 0; i < count; i++) {
        const sp_redis_reply_t *element = sp_redis_reply_element (reply, i);
        if (sp_redis_reply_type (element) != SP_REDIS_REPLY_STRING)
            goto out_unexpected;
        members[i] = sp_redis_reply_string (element, NULL);
    }
    sp_lease_assign (members, count, self->instance, self->partitions, self->wanted);
    self->member_count = count;
    rc = 0;
    goto out_destroy_reply;

out_unexpected:
    sp_error_set (error, error_size,
                  "could not heartbeat the leases of \"%s\": unexpected reply to the heartbeat",
                  self->service);
out_destroy_reply:
    free (members);
    sp_redis_reply_destroy (&reply);
    return rc;
}

/* Runs renew or release of an owned partition. Returns 1 (done), 0 (the
   lease no longer holds our token), or -1 with the reason. */
static int
s_check_and_act (sp_lease_t *self, sp_redis_t *redis, sp_redis_script_t *script, uint32_t partition,
                 const char *what, char *error, size_t error_size)
{
    char key[SP_CONSUMER_KEY_MAX];
    s_lease_key (self, partition, key, sizeof key);
    const char *argv[] = { key, self->slots[partition].token, self->ttl_text };
    char reason[SP_LEASE_REASON_MAX] = "";
    sp_redis_reply_t *reply =
        sp_redis_script_run (script, redis, 1, 3, argv, NULL, reason, sizeof reason);
    if (!reply) {
        sp_error_set (error, error_size, "could not %s the lease of partition %" PRIu32 ": %s",
                      what, partition, reason);
        return -1;
    }
    int rc = -1;
    if (sp_redis_reply_type (reply) == SP_REDIS_REPLY_INTEGER)
        rc = sp_redis_reply_integer (reply) == 1 ? 1 : 0;
    else
        sp_error_set (error, error_size,
                      "could not %s the lease of partition %" PRIu32 ": unexpected reply", what,
                      partition);
    sp_redis_reply_destroy (&reply);
    return rc;
}

/* Tries to take a partition. Returns 1 with its token, 0 when another
   instance holds it, or -1 with the reason. */
static int
s_claim (sp_lease_t *self, sp_redis_t *redis, uint32_t partition, char *token, size_t size,
         char *error, size_t error_size)
{
    char lease_key[SP_CONSUMER_KEY_MAX];
    char fence_key[SP_CONSUMER_KEY_MAX];
    s_lease_key (self, partition, lease_key, sizeof lease_key);
    s_fence_key (self, partition, fence_key, sizeof fence_key);
    const char *argv[] = { lease_key, fence_key, self->instance, self->ttl_text };
    char reason[SP_LEASE_REASON_MAX] = "";
    sp_redis_reply_t *reply =
        sp_redis_script_run (self->claim, redis, 2, 4, argv, NULL, reason, sizeof reason);
    if (!reply) {
        sp_error_set (error, error_size, "could not claim the lease of partition %" PRIu32 ": %s",
                      partition, reason);
        return -1;
    }
    int rc = -1;
    if (sp_redis_reply_type (reply) != SP_REDIS_REPLY_ARRAY || sp_redis_reply_size (reply) != 2)
        goto out_unexpected;
    const sp_redis_reply_t *taken = sp_redis_reply_element (reply, 0);
    const sp_redis_reply_t *value = sp_redis_reply_element (reply, 1);
    if (sp_redis_reply_type (taken) != SP_REDIS_REPLY_INTEGER ||
        sp_redis_reply_type (value) != SP_REDIS_REPLY_STRING)
        goto out_unexpected;
    size_t length = 0;
    const char *text = sp_redis_reply_string (value, &length);
    if (sp_redis_reply_integer (taken) != 1) {
        rc = 0;
        goto out_destroy_reply;
    }
    if (length == 0 || length >= size || strlen (text) != length)
        goto out_unexpected;
    memcpy (token, text, length + 1);
    rc = 1;
    goto out_destroy_reply;

out_unexpected:
    sp_error_set (error, error_size,
                  "could not claim the lease of partition %" PRIu32 ": unexpected reply",
                  partition);
out_destroy_reply:
    sp_redis_reply_destroy (&reply);
    return rc;
}

/* Steps 2-3 after a heartbeat: release, renew, claim. Returns 0, or -1
   at the first Redis failure (the partition it concerned is unchanged). */
static int
s_apply_plan (sp_lease_t *self, sp_redis_t *redis, char *error, size_t error_size)
{
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        if (!self->slots[partition].owned || self->wanted[partition])
            continue;
        if (s_check_and_act (self, redis, self->release, partition, "release", error, error_size) <
            0)
            return -1;
        s_drop (self, partition);
    }
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        if (!self->slots[partition].owned || !self->wanted[partition])
            continue;
        int renewed =
            s_check_and_act (self, redis, self->renew, partition, "renew", error, error_size);
        if (renewed < 0)
            return -1;
        if (renewed == 0)
            s_drop (self, partition);
    }
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        if (self->slots[partition].owned || !self->wanted[partition])
            continue;
        char token[SP_LEASE_TOKEN_MAX];
        int claimed = s_claim (self, redis, partition, token, sizeof token, error, error_size);
        if (claimed < 0)
            return -1;
        if (claimed == 1)
            s_own (self, partition, token);
    }
    return 0;
}

/* Owning nothing: looks at every partition's lease key and records since
   when each has had no owner (stops at the first Redis failure, then
   nothing is known). Owning something: forgets what it saw. */
static void
s_survey (sp_lease_t *self, sp_redis_t *redis, int64_t now_ms)
{
    bool look = self->owned_count == 0;
    self->surveyed = false;
    for (uint32_t partition = 0; partition < self->partitions; partition++) {
        int64_t exists = 1;
        if (look) {
            char key[SP_CONSUMER_KEY_MAX];
            s_lease_key (self, partition, key, sizeof key);
            const char *argv[] = { "EXISTS", key };
            char reason[SP_LEASE_REASON_MAX];
            sp_redis_reply_t *reply =
                sp_redis_command (redis, 2, argv, NULL, reason, sizeof reason);
            look = reply && sp_redis_reply_type (reply) == SP_REDIS_REPLY_INTEGER;
            if (look)
                exists = sp_redis_reply_integer (reply);
            sp_redis_reply_destroy (&reply);
        }
        if (!look || exists)
            self->unowned_since_ms[partition] = -1;
        else if (self->unowned_since_ms[partition] < 0)
            self->unowned_since_ms[partition] = now_ms;
    }
    self->surveyed = look;
}

/* ---------------------------------------------------------------- public */

int
sp_lease_tick (sp_lease_t *self, sp_redis_t *redis, int64_t now_ms, const char *status_json,
               char *error, size_t error_size)
{
    assert (self && redis);
    /* Every lease owned now was renewed or claimed at or after the start
       of the last fully successful tick (or of the first tick, before
       one succeeded), so it is valid on Redis's clock until ttl later. */
    if (!self->valid_known) {
        self->valid_known = true;
        self->valid_since_ms = now_ms;
    }
    if (s_heartbeat (self, redis, status_json ? status_json : SP_LEASE_STATUS_EMPTY, error,
                     error_size) == 0 &&
        s_apply_plan (self, redis, error, error_size) == 0) {
        self->valid_since_ms = now_ms;
        self->tick_failed = false;
        s_survey (self, redis, now_ms);
        return 0;
    }
    self->tick_failed = true;
    snprintf (self->tick_error, sizeof self->tick_error, "%s", error_size ? error : "");
    if (now_ms - self->valid_since_ms >= self->ttl_ms)
        s_drop_all (self);
    s_survey (self, redis, now_ms);
    return -1;
}

bool
sp_lease_orphaned (const sp_lease_t *self, uint32_t partition, int64_t now_ms)
{
    assert (self && partition < self->partitions);
    int64_t since = self->unowned_since_ms[partition];
    return self->owned_count == 0 && since >= 0 && now_ms - since >= self->ttl_ms;
}

uint32_t
sp_lease_orphans (const sp_lease_t *self, int64_t now_ms)
{
    assert (self);
    uint32_t orphans = 0;
    for (uint32_t partition = 0; partition < self->partitions; partition++)
        orphans += sp_lease_orphaned (self, partition, now_ms);
    return orphans;
}

int
sp_lease_health (const sp_lease_t *self, int64_t now_ms, char *problem, size_t problem_size)
{
    assert (self);
    if (self->owned_count > 0)
        return 0;
    uint32_t orphans = sp_lease_orphans (self, now_ms);
    if (orphans > 0) {
        sp_error_set (problem, problem_size,
                      "owns no partition while %" PRIu32 " of %" PRIu32
                      " partitions have had no owner for %" PRId64 " ms or more",
                      orphans, self->partitions, self->ttl_ms);
        return -1;
    }
    if (!self->surveyed && self->tick_failed && self->valid_known &&
        now_ms - self->valid_since_ms >= self->ttl_ms) {
        sp_error_set (problem, problem_size,
                      "owns no partition and could not lease for %" PRId64 " ms or more: %s",
                      self->ttl_ms, self->tick_error);
        return -1;
    }
    return 0;
}

void
sp_lease_lost (sp_lease_t *self, uint32_t partition)
{
    assert (self && partition < self->partitions);
    if (self->slots[partition].owned)
        s_drop (self, partition);
}

int
sp_lease_release_all (sp_lease_t *self, sp_redis_t *redis, char *error, size_t error_size)
{
    assert (self && redis);
    int rc = 0;
    /* Stop at the first failure: with Redis down every further call would
       only fail (or wait for its timeout) too; the leases then expire. */
    for (uint32_t partition = 0; partition < self->partitions && rc == 0; partition++) {
        if (self->slots[partition].owned && s_check_and_act (self, redis, self->release, partition,
                                                             "release", error, error_size) < 0)
            rc = -1;
    }
    if (rc == 0) {
        const char *zrem[] = { "ZREM", self->members_key, self->instance };
        const char *del[] = { "DEL", self->status_key };
        char reason[SP_LEASE_REASON_MAX] = "";
        sp_redis_reply_t *reply = sp_redis_command (redis, 3, zrem, NULL, reason, sizeof reason);
        if (reply) {
            sp_redis_reply_destroy (&reply);
            reply = sp_redis_command (redis, 2, del, NULL, reason, sizeof reason);
        }
        if (!reply) {
            sp_error_set (error, error_size, "could not leave the members of \"%s\": %s",
                          self->service, reason);
            rc = -1;
        }
        sp_redis_reply_destroy (&reply);
    }
    s_drop_all (self);
    self->member_count = 0;
    return rc;
}

bool
sp_lease_owned (const sp_lease_t *self, uint32_t partition)
{
    assert (self && partition < self->partitions);
    return self->slots[partition].owned;
}

const char *
sp_lease_token (const sp_lease_t *self, uint32_t partition)
{
    assert (self && partition < self->partitions);
    return self->slots[partition].owned ? self->slots[partition].token : NULL;
}

uint32_t
sp_lease_owned_count (const sp_lease_t *self)
{
    assert (self);
    return self->owned_count;
}

size_t
sp_lease_member_count (const sp_lease_t *self)
{
    assert (self);
    return self->member_count;
}

const char *
sp_lease_instance (const sp_lease_t *self)
{
    assert (self);
    return self->instance;
}

int64_t
sp_lease_tick_interval_ms (const sp_lease_t *self)
{
    assert (self);
    int64_t interval = self->ttl_ms / SP_LEASE_TICKS_PER_TTL;
    return interval > 0 ? interval : 1;
}

uint32_t
sp_lease_assign (const char *const *members, size_t count, const char *self, uint32_t partitions,
                 bool *wanted)
{
    assert (members && count >= 1 && self && (wanted || partitions == 0));
    /* self's index in the bytewise-sorted list is how many sort before it. */
    size_t rank = 0;
    bool present = false;
    for (size_t i = 0; i < count; i++) {
        assert (members[i]);
        int order = strcmp (members[i], self);
        if (order < 0)
            rank++;
        else if (order == 0)
            present = true;
    }
    uint32_t total = 0;
    for (uint32_t partition = 0; partition < partitions; partition++) {
        wanted[partition] = present && partition % count == rank;
        if (wanted[partition])
            total++;
    }
    return total;
}

void
sp_lease_instance_id (char *buffer, size_t size)
{
    assert (buffer && size >= SP_LEASE_INSTANCE_MAX);
    pid_t pid = getpid ();
    uint32_t random = 0;
    if (getrandom (&random, sizeof random, GRND_NONBLOCK) != (ssize_t) sizeof random)
        random = (uint32_t) time (NULL) ^ (uint32_t) pid;
    char suffix[SP_LEASE_SUFFIX_MAX];
    int suffix_length = snprintf (suffix, sizeof suffix, "-%ld-%08" PRIx32, (long) pid, random);
    assert (suffix_length > 0 && (size_t) suffix_length < sizeof suffix);

    char host[SP_LEASE_HOST_MAX] = "";
    if (gethostname (host, sizeof host - 1) != 0 || host[0] == '\0')
        snprintf (host, sizeof host, "%s", SP_LEASE_HOST_UNKNOWN);
    host[sizeof host - 1] = '\0';
    /* The id must be printable ASCII without '/' (see the settings). */
    for (char *at = host; *at; at++)
        if (*at < ' ' || *at > '~' || *at == '/')
            *at = '_';
    size_t room = SP_LEASE_INSTANCE_MAX - 1 - (size_t) suffix_length;
    snprintf (buffer, size, "%.*s%s", (int) room, host, suffix);
}
