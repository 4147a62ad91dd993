/*  incentive_keys - incentive-calculator's Redis keys (see incentive_keys.h). */
#include "incentive_keys.h"

#include <stdio.h>

/* The key of partition whose suffix is prefix followed by name. */
static int
s_key (char *key, size_t size, uint32_t partition, const char *prefix, const char *name)
{
    char suffix[SP_PARTITION_KEY_MAX];
    int written = snprintf (suffix, sizeof suffix, "%s%s", prefix, name);
    if (written < 0 || (size_t) written >= sizeof suffix)
        return -1;
    return sp_partition_key (key, size, INCENTIVE_KEYS_SERVICE, partition, suffix);
}

int
incentive_keys_rep (char *key, size_t size, uint32_t partition, const char *rep)
{
    return s_key (key, size, partition, "rep:", rep);
}

int
incentive_keys_reps (char *key, size_t size, uint32_t partition)
{
    return s_key (key, size, partition, "reps", "");
}

int
incentive_keys_logo (char *key, size_t size, uint32_t partition, const char *customer)
{
    return s_key (key, size, partition, "logo:", customer);
}

int
incentive_keys_cancel (char *key, size_t size, uint32_t partition, const char *won_event_id)
{
    return s_key (key, size, partition, "cancel:", won_event_id);
}

int
incentive_keys_displaced (char *key, size_t size, uint32_t partition, const char *rep)
{
    return s_key (key, size, partition, "displaced:", rep);
}

int
incentive_keys_cancelled (char *key, size_t size, uint32_t partition)
{
    return s_key (key, size, partition, "cancelled", "");
}

int
incentive_keys_paid (char *key, size_t size, uint32_t partition, const char *deal)
{
    return s_key (key, size, partition, "paid:", deal);
}
