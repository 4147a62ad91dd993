/*  sp_redis_url - a parsed Redis URL: where to connect (TCP host and port,
    or a unix socket path), who to authenticate as and which database to
    select. Pure parsing, no I/O and no hiredis, so sp_redis (the seam that
    talks to Redis) stays about connections and every URL form and error
    is unit-tested without a server.

    Accepted forms:

      redis://host                      port 6379, database 0
      redis://host:port/db              "/" alone or no "/" means database 0
      redis://:password@host:port/db    AUTH password
      redis://user:password@host...     AUTH user password (Redis 6 ACL)
      redis://[::1]:port/db             IPv6 hosts in brackets
      unix:///path/to/redis.sock        absolute path, at most 107 bytes
      unix:///path?db=N&user=U&password=P   each parameter optional, any order
      redis+cluster://host:port[,host:port...]   a Redis Cluster, through
                                        any of these seed nodes (user and
                                        password as redis://, database 0 only)

    User names and passwords may be percent-encoded ("%40" for "@", "%3A"
    for ":"); "%00" is refused. A user name needs a password. Passwords
    never appear in messages: a URL quoted in an error has its user and
    password replaced by "***" (unix: everything after "?" when a password
    parameter is present).
*/
#ifndef SP_REDIS_URL_H_INCLUDED
#define SP_REDIS_URL_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>

typedef struct _sp_redis_url_t sp_redis_url_t;

/* Parses url. Returns NULL with e.g. `invalid redis url "redis://h:99999":
   port "99999" is not a number in 1..65535` when it is malformed (or
   "...: out of memory"); error may be NULL. */
sp_redis_url_t *sp_redis_url_new (const char *url, char *error, size_t error_size);

/* Wipes the password, frees; no-op on NULL; sets *self_p to NULL. */
void sp_redis_url_destroy (sp_redis_url_t **self_p);

/* TCP host without brackets ("::1"), or NULL for a unix socket. */
const char *sp_redis_url_host (const sp_redis_url_t *self);

/* TCP port (6379 when the URL has none), 0 for a unix socket. */
int sp_redis_url_port (const sp_redis_url_t *self);

/* Unix socket path, or NULL for TCP. */
const char *sp_redis_url_path (const sp_redis_url_t *self);

/* Decoded ACL user name, or NULL for the default user. */
const char *sp_redis_url_username (const sp_redis_url_t *self);

/* Decoded password, or NULL when there is none. Never log it. */
const char *sp_redis_url_password (const sp_redis_url_t *self);

/* Database index to SELECT, 0..INT_MAX. */
int sp_redis_url_database (const sp_redis_url_t *self);

/* "host:port", "[v6]:port" or the socket path, for messages and logs;
   for a cluster the seeds as written ("h1:p1,h2:p2"). */
const char *sp_redis_url_address (const sp_redis_url_t *self);

/* True for redis+cluster://. host and port are then the first seed's. */
bool sp_redis_url_cluster (const sp_redis_url_t *self);

/* Seed nodes of a cluster URL (0 for any other URL), and each one's host
   (without brackets) and port (0 <= index < count, asserted). */
int sp_redis_url_seed_count (const sp_redis_url_t *self);
const char *sp_redis_url_seed_host (const sp_redis_url_t *self, int index);
int sp_redis_url_seed_port (const sp_redis_url_t *self, int index);

/* A plain URL for one node at host:port with this URL's user and
   password and database 0 (a cluster's node). NULL out of memory. */
sp_redis_url_t *sp_redis_url_node (const sp_redis_url_t *self, const char *host, int port);

#endif
