/*  sp_migrate - applies the ordered SQL migration files of a folder.

    The database schema only changes through files named NNNN_name.sql
    (exactly four digits 0001..9999, then an underscore and a name of
    lower-case letters, digits and underscores). Every entry of the folder
    that is not hidden (a leading dot) must be such a file; anything else,
    and two files with the same number, is an error naming the file, so a
    typo never silently skips a migration.

    Applying takes a session advisory lock on SP_MIGRATE_LOCK_KEY first, so
    any number of instances may start at once: one applies, the others
    wait and then find nothing left to do. Each file runs in its own
    transaction together with its row in schema_migrations (version, name,
    checksum, applied_at): a file is applied entirely or not at all. A file
    must not contain transaction control (BEGIN/COMMIT); that is detected
    and reported.

    The checksum is the lower-case hex SHA-256 of the file's bytes, computed
    by PostgreSQL's sha256() (the same digest `sha256sum` prints). Applied
    files are skipped; an applied file whose checksum or name changed, or a
    new file numbered below the newest applied one, is an error naming the
    file: migrations are never re-applied silently or out of order.

    Partition count: the event log is split in a number of partitions fixed
    when the database is first set up (DESIGN.md, "The event log"). It is
    kept in salespulse_settings and event_partitions holds one head row per
    partition; sp_migrate_set_partitions records and checks it.
*/
#ifndef SP_MIGRATE_H_INCLUDED
#define SP_MIGRATE_H_INCLUDED

#include "sp_partition.h"
#include "sp_pg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Advisory lock key held while migrating: the ASCII bytes "SPMIGRAT". */
#define SP_MIGRATE_LOCK_KEY INT64_C (0x53504D4947524154)

typedef struct _sp_migrate_t sp_migrate_t;

/* Creates a runner for the migration files in dir; reads nothing yet.
   Returns NULL only on out of memory. */
sp_migrate_t *sp_migrate_new (const char *dir);

/* Destroys the runner; no-op on NULL; sets *self_p to NULL. */
void sp_migrate_destroy (sp_migrate_t **self_p);

/* Reads and validates the folder: names, duplicate numbers, readable
   files. Returns the number of migration files, or -1 (logged; see
   sp_migrate_error). */
int sp_migrate_scan (sp_migrate_t *self);

/* Applies every pending migration on pg (scanning first if not done),
   under the advisory lock. Returns how many files were applied (0 when the
   database was up to date), or -1 (logged; see sp_migrate_error); files
   applied before the failing one stay applied. */
int sp_migrate_apply (sp_migrate_t *self, sp_pg_t *pg);

/* Records the partition count if none is recorded yet and creates the
   event_partitions rows 0..partitions-1 that are missing, in one
   transaction; partitions is 1..SP_PARTITIONS_MAX (asserted). If a different count is recorded:
   when required is true that is an error (partitions are fixed at setup); when false the recorded
   count is used. Returns the count in force, or -1 (logged; see sp_migrate_error). *created (may be
   NULL) gets the number of partition rows this call created. Needs the migrations applied. */
int sp_migrate_set_partitions (sp_migrate_t *self, sp_pg_t *pg, int partitions, bool required,
                               int *created);

/* The last error, one line naming the file or setting; "" if none. */
const char *sp_migrate_error (const sp_migrate_t *self);

/* The scanned files, in order: count, then version, file name and (after
   sp_migrate_apply) checksum of each; index < count (asserted). */
size_t sp_migrate_count (const sp_migrate_t *self);
int sp_migrate_version (const sp_migrate_t *self, size_t index);
const char *sp_migrate_name (const sp_migrate_t *self, size_t index);
const char *sp_migrate_checksum (const sp_migrate_t *self, size_t index);

/* True when the file at index was applied by the last sp_migrate_apply. */
bool sp_migrate_applied (const sp_migrate_t *self, size_t index);

#endif
