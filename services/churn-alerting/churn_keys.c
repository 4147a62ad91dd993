/*  churn_keys - churn-alerting's Redis keys (see churn_keys.h). */
#include "churn_keys.h"

#include <stdio.h>
#include <string.h>


/* Decimal digits of the largest watermark (INT64_MAX has 19). */
#define S_WATERMARK_DIGITS_MAX 19
#define S_DECIMAL_BASE 10

/* A key of partition from a suffix written (written bytes, or negative)
   into a buffer of suffix_size; -1 when it does not fit. */
static int
s_key (char *key, size_t size, uint32_t partition, const char *suffix, int written,
       size_t suffix_size)
{
    if (written < 0 || (size_t) written >= suffix_size)
        return -1;
    return sp_partition_key (key, size, CHURN_KEYS_SERVICE, partition, suffix);
}

int
churn_keys_customer (char *key, size_t size, uint32_t partition, const char *customer)
{
    char suffix[SP_PARTITION_KEY_MAX];
    int written = snprintf (suffix, sizeof suffix, "c:%s", customer);
    return s_key (key, size, partition, suffix, written, sizeof suffix);
}

int
churn_keys_customers (char *key, size_t size, uint32_t partition)
{
    return sp_partition_key (key, size, CHURN_KEYS_SERVICE, partition, "customers");
}

int
churn_keys_watermark (char *key, size_t size, uint32_t partition)
{
    return sp_partition_key (key, size, CHURN_KEYS_SERVICE, partition, "watermark");
}

int
churn_keys_watermark_read (const char *text, size_t length, int64_t *value)
{
    if (!text || length == 0 || length > S_WATERMARK_DIGITS_MAX)
        return -1;
    int64_t result = 0;
    for (size_t index = 0; index < length; index++) {
        if (text[index] < '0' || text[index] > '9')
            return -1;
        int digit = text[index] - '0';
        if (result > (INT64_MAX - digit) / S_DECIMAL_BASE)
            return -1;
        result = result * S_DECIMAL_BASE + digit;
    }
    *value = result;
    return 0;
}
