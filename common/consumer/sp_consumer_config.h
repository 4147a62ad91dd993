/*  sp_consumer_config - a consumer service's config record in Redis: the
    hash "<service>:config" of the settings its state was built with
    (reporting currency, time zone, definitions), which its queries read
    so a figure is always read with the settings it was counted with.

    sp_consumer_config_record makes the record say what this instance
    counts with; when a field the state depends on changed (the caller
    says which), it asks for a rebuild through the consumer's rebuild
    epoch in the same transaction. sp_consumer_config_restore writes it
    again when Redis lost it (flushed, restarted empty): the consumer then
    rebuilds the state with the same settings, so no rebuild is asked for.
    A record that exists is left alone by restore, even if another
    instance wrote other settings.
*/
#ifndef SP_CONSUMER_CONFIG_H_INCLUDED
#define SP_CONSUMER_CONFIG_H_INCLUDED

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "sp_redis.h"
#include "sp_service.h"
#include "sp_tz.h"

/* Room for "<service>:config". */
#define SP_CONSUMER_CONFIG_KEY_MAX 96

/* Writes "<service>:config" into buffer. Returns 0, or -1 when it does not
   fit. */
int sp_consumer_config_key (char *buffer, size_t size, const char *service);

/* Whether a change of field's value needs a rebuild of the state. */
typedef bool (sp_consumer_config_rebuild_fn) (const char *field, void *arg);

/* Replaces the record with wanted (a JSON object of field -> string) in
   one transaction, unless it already holds exactly that; when a field
   for which rebuild returns true held another value, or is missing from
   a record that exists (written by an older build), a rebuild is asked
   for just before (INCR <service>:rebuild, its own command: the two keys
   are in different slots of a Redis Cluster) and *rebuilt is set.
   Returns 0, or -1 with the reason. */
int sp_consumer_config_record (sp_redis_t *redis, const char *service, const json_t *wanted,
                               sp_consumer_config_rebuild_fn *rebuild, void *arg, bool *rebuilt,
                               char *error, size_t error_size);

/* Replaces the record with wanted, without asking for a rebuild (new
   definitions: the state is restamped through sp_consumer_revise).
   Returns 0, or -1 with the reason. */
int sp_consumer_config_write (sp_redis_t *redis, const char *service, const json_t *wanted,
                              char *error, size_t error_size);

/* Writes wanted when the record is missing. Returns 1 when it was
   written, 0 when a record exists, -1 with the reason. */
int sp_consumer_config_restore (sp_redis_t *redis, const char *service, const json_t *wanted,
                                char *error, size_t error_size);

/* Bytes of a currency code with its NUL. */
#define SP_CONSUMER_CONFIG_CURRENCY_SIZE 4

/* What a query needs of the record: the reporting currency and the time
   zone the state was counted with (fields "currency", "time_zone"), the
   zone opened (*tz, the caller destroys it). Returns 0, or -1 with the
   reason, e.g. `kpi-evaluator:config holds no currency and time zone:
   kpi-evaluator has not counted anything in this Redis yet (is it
   running against it?)`. */
int sp_consumer_config_settings (sp_redis_t *redis, const char *service,
                                 char currency[SP_CONSUMER_CONFIG_CURRENCY_SIZE], char *time_zone,
                                 size_t time_zone_size, sp_tz_t **tz, char *error,
                                 size_t error_size);

/* A rebuild_fn answering true for every field: every setting of the
   record is one the state depends on. */
bool sp_consumer_config_every_field (const char *field, void *arg);

/* ---------------------------------------------------------------- kept */

/* A service's config record kept for its life: recorded at start (as
   sp_consumer_config_record), written again by a timer on the service's
   reactor every second when Redis lost it (sp_consumer_config_restore,
   logged as "<service>:config was missing: written again"), replaced
   when the service takes new definitions. */
typedef struct _sp_consumer_config_t sp_consumer_config_t;

/* Records wanted (taken, even on failure) for service (its name, the key
   prefix) on the started service; *rebuilt as sp_consumer_config_record
   says. Returns the object, or NULL with the reason. */
sp_consumer_config_t *sp_consumer_config_new (sp_service_t *service, const char *name,
                                              json_t *wanted,
                                              sp_consumer_config_rebuild_fn *rebuild, void *arg,
                                              bool *rebuilt, char *error, size_t error_size);

/* Replaces the fields with wanted (taken) and writes them now, without
   asking for a rebuild. Returns 0, or -1 with the reason (the fields are
   replaced anyway: the timer writes them when the record is missing). */
int sp_consumer_config_set (sp_consumer_config_t *self, json_t *wanted, char *error,
                            size_t error_size);

/* The fields kept (borrowed). */
const json_t *sp_consumer_config_fields (const sp_consumer_config_t *self);

/* Stops the timer, frees; no-op on NULL; sets *self_p to NULL. */
void sp_consumer_config_destroy (sp_consumer_config_t **self_p);

#endif
