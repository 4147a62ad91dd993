/*  sp_zmq_curve - CURVE security for the ZeroMQ seam: whose keys a process
    holds, which client keys its servers admit, and the certificate files
    `salesctl keys` writes and lists.

    ZeroMQ's CURVE mechanism encrypts a connection and proves which key
    pair each end holds. It does not decide who may connect: a CURVE
    server socket with no ZAP handler admits every client key. So a
    process that serves CURVE runs one ZAP handler (CZMQ's zauth actor,
    one per process: ZAP is per ZeroMQ context, and CZMQ has one) over a
    directory of admitted client public certificates, and sp_zmq refuses
    to make a CURVE server socket without it.

        sp_zmq_curve_settings_t settings = {
            .secret_path = "keys/activity-ingest_secret",
            .clients_path = "keys/clients",
        };
        sp_zmq_curve_t *curve = sp_zmq_curve_new (&settings, error, sizeof error);
        sp_zmq_curve_install (&curve);   // every socket sp_zmq makes now uses it
        ...
        sp_zmq_curve_uninstall ();       // after the last socket is closed

    A socket's role decides what it is given (sp_zmq_options_t.curve_server,
    by default true for the binding types PUB, ROUTER, REP, PULL):
    - a server socket: ZMQ_CURVE_SERVER with this process's key pair;
      needs secret_path and clients_path;
    - a client socket: this process's key pair and the server's public key
      (ZMQ_CURVE_SERVERKEY); needs secret_path and server_path.
    A socket whose role the settings do not cover is an error, never a
    silent plain socket.

    Certificates are CZMQ's zcert files (zcert_save): NAME holds the public
    key and metadata, NAME_secret also the secret key (mode 0600). The ZAP
    handler gives every admitted connection its certificate's metadata
    (read with zframe_meta on any frame the peer sent) and the User-Id,
    the client's public key in Z85. The metadata comes from the server's
    copy of the certificate in clients_path, never from what the client
    sends, so "sources" (SP_ZMQ_CURVE_SOURCES) can limit what a key may
    publish and "subscribe": "no" (SP_ZMQ_CURVE_SUBSCRIBE) forbid it to
    subscribe: a CURVE PUB socket of sp_zmq is an XPUB that applies only
    the subscriptions of keys without it (sp_zmq.h). CZMQ 4.2's zauth packs a certificate's metadata into 512
    bytes without checking, so certificates here keep theirs under
    SP_ZMQ_CURVE_METADATA_MAX, and sp_zmq_curve_new refuses a clients
    directory holding a larger one.

    The clients directory is read again on every connection attempt
    (zcertstore refreshes on lookup): a certificate added is admitted and
    one removed is refused from the next connection on, with no restart.
    Connections already made stay up until they close.
*/
#ifndef SP_ZMQ_CURVE_H_INCLUDED
#define SP_ZMQ_CURVE_H_INCLUDED

#include <czmq.h>
#include <stdbool.h>
#include <stddef.h>

/* Metadata names of a certificate (and of an admitted connection). */
#define SP_ZMQ_CURVE_NAME "name"       /* the key's name, as `salesctl keys new` gave it */
#define SP_ZMQ_CURVE_SOURCES "sources" /* comma-separated sources the key may publish */
#define SP_ZMQ_CURVE_SUBSCRIBE "subscribe" /* "no": the key's subscriptions are refused */
#define SP_ZMQ_CURVE_SUBSCRIBE_NO "no"
#define SP_ZMQ_CURVE_USER_ID "User-Id" /* set by ZAP: the client's public key, Z85 */

#define SP_ZMQ_CURVE_KEY_TEXT_SIZE 41 /* a Z85 key, 40 characters, and its NUL */
#define SP_ZMQ_CURVE_NAME_MAX 64      /* longest certificate name, bytes */
#define SP_ZMQ_CURVE_SOURCES_MAX 320  /* longest "sources" value, bytes */
#define SP_ZMQ_CURVE_METADATA_MAX 480 /* largest metadata of one certificate, packed, bytes */
#define SP_ZMQ_CURVE_SECRET_SUFFIX "_secret" /* the secret file is NAME + this */

/* Where a process's CURVE material is; NULL or "" = not given. */
typedef struct {
    const char *secret_path;  /* this process's certificate, the zcert secret file */
    const char *clients_path; /* directory of admitted client public certificates */
    const char *server_path;  /* public certificate of the server this process connects to */
} sp_zmq_curve_settings_t;

typedef struct _sp_zmq_curve_t sp_zmq_curve_t;

/* True when the settings name nothing (the process stays plain). */
bool sp_zmq_curve_settings_empty (const sp_zmq_curve_settings_t *settings);

/* Loads the certificates and, with clients_path, starts the process's ZAP
   handler over that directory. Returns NULL with error when a file is
   missing or not a certificate of the right kind (the secret file without
   its secret key), clients_path is not a directory or holds anything but
   public certificates (a secret one, another file, one with too much
   metadata), clients_path or server_path is given without
   secret_path, or a ZAP handler already runs in this process. */
sp_zmq_curve_t *sp_zmq_curve_new (const sp_zmq_curve_settings_t *settings, char *error,
                                  size_t error_size);

/* Stops the ZAP handler (sockets serving CURVE would admit any key from
   then on: close them first) and frees; no-op on NULL; sets *self_p to
   NULL. */
void sp_zmq_curve_destroy (sp_zmq_curve_t **self_p);

/* This process's public key, Z85. */
const char *sp_zmq_curve_public_key (const sp_zmq_curve_t *self);

/* Whether sockets of a role can be made: a server needs the secret and
   the clients, a client the secret and the server's key. */
bool sp_zmq_curve_serves (const sp_zmq_curve_t *self);
bool sp_zmq_curve_connects (const sp_zmq_curve_t *self);

/* Sets a socket's CURVE options for its role, before bind or connect.
   Returns -1 with error when the settings do not cover the role or
   ZeroMQ refuses an option. */
int sp_zmq_curve_apply (const sp_zmq_curve_t *self, zsock_t *socket, bool server, char *error,
                        size_t error_size);

/* Makes curve the process's security: every socket sp_zmq_socket_new
   makes without its own options.curve uses it. Takes ownership; destroys
   the one installed before (NULL: uninstalls). Call at start, before any
   socket, on the main thread. */
void sp_zmq_curve_install (sp_zmq_curve_t **curve_p);

/* The installed security, NULL when the process is plain (borrowed). */
const sp_zmq_curve_t *sp_zmq_curve_installed (void);

/* Destroys the installed security; no-op when none. */
void sp_zmq_curve_uninstall (void);

/* True when socket serves CURVE (its mechanism is CURVE, as server). */
bool sp_zmq_curve_is_server (zsock_t *socket);

/* ------------------------------------------------------ certificate files */

/* A certificate file as read. */
typedef struct {
    char name[SP_ZMQ_CURVE_NAME_MAX + 1];        /* metadata "name", "" when none */
    char public_key[SP_ZMQ_CURVE_KEY_TEXT_SIZE]; /* Z85 */
    char sources[SP_ZMQ_CURVE_SOURCES_MAX + 1];  /* metadata "sources" */
    bool limited;                                /* metadata "sources" is present */
    bool subscribe;                              /* no metadata "subscribe": "no" */
    bool secret;                                 /* the file holds the secret key */
    size_t metadata_size;                        /* its metadata as ZAP packs it, bytes */
} sp_zmq_curve_cert_info_t;

/* Checks a certificate name: 1..SP_ZMQ_CURVE_NAME_MAX of A-Z a-z 0-9 . _ -,
   not starting with '.', not ending in SP_ZMQ_CURVE_SECRET_SUFFIX. */
int sp_zmq_curve_name_check (const char *name, char *error, size_t error_size);

/* Checks a "sources" list: comma-separated, each 1..64 bytes of printable
   ASCII but space, comma and double quote, no repeats, at most
   SP_ZMQ_CURVE_SOURCES_MAX bytes in all. "" is allowed: a key that may
   publish nothing (a subscriber's). */
int sp_zmq_curve_sources_check (const char *sources, char *error, size_t error_size);

/* True when source is one of the comma-separated sources. */
bool sp_zmq_curve_sources_allow (const char *sources, const char *source);

/* Makes a new key pair and writes dir/name (public) and dir/name_secret
   (both keys, mode 0600), with metadata "name", "sources" when sources
   is not NULL, and "subscribe": "no" when subscribe is false (a
   publisher's key: every CURVE publisher of the stack refuses its
   subscriptions). Refuses to overwrite either file. Fills info (may be
   NULL). Returns 0, or -1 with error. */
int sp_zmq_curve_cert_create (const char *dir, const char *name, const char *sources,
                              bool subscribe, sp_zmq_curve_cert_info_t *info, char *error,
                              size_t error_size);

/* Reads the certificate file at path into info. Returns 0, or -1 with
   error (no such file, not a CURVE certificate). */
int sp_zmq_curve_cert_read (const char *path, sp_zmq_curve_cert_info_t *info, char *error,
                            size_t error_size);

#endif
