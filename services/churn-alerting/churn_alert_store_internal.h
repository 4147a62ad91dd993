/*  churn_alert_store_internal - what the two files of churn_alert_store
    share (churn_alert_store.c: the reading half, the outbox kit's tables,
    the customers scored, the batched read, the firing count and the
    alerts to forward; churn_alert_store_write.c: the writing half, the
    batched write and the acknowledgement): the statement runner and the
    lifecycle column reader. For these files only; everything else uses
    churn_alert_store.h.
*/
#ifndef CHURN_ALERT_STORE_INTERNAL_H_INCLUDED
#define CHURN_ALERT_STORE_INTERNAL_H_INCLUDED

#include "churn_alert_store.h"

#include <stddef.h>

#include "churn_lifecycle.h"
#include "sp_pg.h"

/* Room for an int64 in decimal with its sign and NUL. */
#define CHURN_ALERT_STORE_INTERNAL_NUMBER_SIZE 24

/* ------------------------------------------------ churn_alert_store.c */

/* Runs sql; its result, or NULL with "could not <what>: <reason>". */
sp_pg_result_t *churn_alert_store_internal_exec (sp_pg_t *pg, const char *what, const char *sql,
                                                 int count, const char *const *values, char *error,
                                                 size_t error_size);

/* Unpacks a lifecycle column into state. */
int churn_alert_store_internal_read_lifecycle (const sp_pg_result_t *result, int row, int column,
                                               churn_lifecycle_t *state, char *error,
                                               size_t error_size);

#endif
