/*  salesctl keys - makes and lists ZeroMQ CURVE certificates.

        salesctl keys new NAME [--sources LIST] [--no-subscribe] [--dir DIR]
        salesctl keys list [--dir DIR] [--json]

    `new` makes a key pair and writes DIR/NAME (the public certificate:
    copy it into the --curve-clients directory of the services the key
    may connect to) and DIR/NAME_secret (both keys, mode 0600: give it to
    the one process that uses the key, as its --curve-secret). The files
    are CZMQ's certificate format (zcert). --sources limits what a
    publisher holding the key may publish: activity-ingest rejects an
    event whose source is not in the list (source_not_allowed); an empty
    list ("") makes a key that may publish nothing, for a subscriber;
    --no-subscribe makes one whose subscriptions every CURVE publisher of
    the stack refuses (the bus, notices, alerts), for a publisher. A
    key is never overwritten: rotating one is making a new name, listing
    it, moving its user over, removing the old public file
    (docs/security.md).

    `list` shows every certificate of DIR, sorted by file name: the
    file, the key's name, its public key, what it may publish, whether it
    may subscribe and whether the file holds the secret key. Keys are read from files only, never
    taken from or printed on a command line (a public key is not secret).
*/
#include "salesctl.h"

#include "sp_zmq_curve.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SALESCTL_KEYS_ERROR_SIZE 512 /* room for an error */
#define SALESCTL_KEYS_PATH_SIZE 4096 /* room for a file path */

static const char s_summary[] = "make (keys new NAME) and list (keys list) ZeroMQ CURVE "
                                "certificates";

static const sp_config_option_t s_options[] = {
    { "dir", "SP_KEYS_DIR", SP_CONFIG_STRING, ".", "directory the certificates are in", 0, 0 },
    { "sources", NULL, SP_CONFIG_STRING, NULL,
      "keys new: the sources the key may publish, comma-separated (\"\": none); unset: any", 0, 0 },
    { "no-subscribe", NULL, SP_CONFIG_BOOL, "false",
      "keys new: a publisher's key: every CURVE publisher of the stack refuses its subscriptions",
      0, 0 },
    { "json", NULL, SP_CONFIG_BOOL, "false", "keys list: one JSON object per certificate", 0, 0 },
};

static int
s_compare_names (const void *left, const void *right)
{
    return strcmp (*(char *const *) left, *(char *const *) right);
}

/* The names of the regular entries of dir not starting with '.', sorted;
   NULL (and *count 0) when it cannot be read. Free with s_free_names. */
static char **
s_read_names (const char *dir, size_t *count)
{
    *count = 0;
    DIR *stream = opendir (dir);
    if (!stream)
        return NULL;
    char **names = NULL;
    size_t capacity = 0;
    struct dirent *entry;
    while ((entry = readdir (stream)) != NULL) {
        if (entry->d_name[0] == '.')
            continue;
        if (*count == capacity) {
            size_t grown = capacity ? capacity * 2 : 16;
            char **larger = (char **) realloc (names, grown * sizeof *names);
            if (!larger)
                break;
            names = larger;
            capacity = grown;
        }
        names[*count] = strdup (entry->d_name);
        if (!names[*count])
            break;
        (*count)++;
    }
    closedir (stream);
    if (!names) {
        names = (char **) calloc (1, sizeof *names);
        return names;
    }
    qsort (names, *count, sizeof *names, s_compare_names);
    return names;
}

static void
s_free_names (char **names, size_t count)
{
    for (size_t index = 0; index < count; index++)
        free (names[index]);
    free (names);
}

static void
s_print (const char *file, const sp_zmq_curve_cert_info_t *info)
{
    printf ("%-24s name=%s public_key=%s sources=%s subscribe=%s%s\n", file,
            info->name[0] ? info->name : "-", info->public_key,
            info->limited ? (info->sources[0] ? info->sources : "(none)") : "any",
            info->subscribe ? "yes" : "no", info->secret ? " secret" : "");
}

static int
s_print_json (const char *file, const sp_zmq_curve_cert_info_t *info)
{
    json_t *object = json_pack ("{s:s, s:s, s:s, s:b, s:b}", "file", file, "name", info->name,
                                "public_key", info->public_key, "subscribe", info->subscribe,
                                "secret", info->secret);
    if (!object)
        return -1;
    json_t *sources = info->limited ? json_string (info->sources) : json_null ();
    if (!sources || json_object_set_new (object, "sources", sources) != 0) {
        json_decref (object);
        return -1;
    }
    char *text = json_dumps (object, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref (object);
    if (!text)
        return -1;
    printf ("%s\n", text);
    free (text);
    return 0;
}

static int
s_list (const sp_config_t *config)
{
    const char *dir = sp_config_string (config, "dir");
    bool json = sp_config_bool (config, "json");
    size_t count = 0;
    char **names = s_read_names (dir, &count);
    if (!names) {
        fprintf (stderr, "salesctl keys list: could not read directory \"%s\"\n", dir);
        return SALESCTL_EXIT_FAILURE;
    }
    size_t listed = 0;
    int rc = SALESCTL_EXIT_OK;
    for (size_t index = 0; index < count; index++) {
        char path[SALESCTL_KEYS_PATH_SIZE];
        if (snprintf (path, sizeof path, "%s/%s", dir, names[index]) >= (int) sizeof path)
            continue;
        sp_zmq_curve_cert_info_t info;
        char error[SALESCTL_KEYS_ERROR_SIZE];
        if (sp_zmq_curve_cert_read (path, &info, error, sizeof error) != 0) {
            /* A folder or another file beside the certificates: say so, go on. */
            if (!json)
                fprintf (stderr, "salesctl keys list: skipped %s\n", error);
            continue;
        }
        if (json) {
            if (s_print_json (names[index], &info) != 0) {
                fprintf (stderr, "salesctl keys list: out of memory\n");
                rc = SALESCTL_EXIT_FAILURE;
                break;
            }
        }
        else
            s_print (names[index], &info);
        listed++;
    }
    if (!json && rc == SALESCTL_EXIT_OK)
        printf ("%zu certificate%s in \"%s\"\n", listed, listed == 1 ? "" : "s", dir);
    s_free_names (names, count);
    return rc;
}

static int
s_new (const sp_config_t *config)
{
    if (sp_config_arg_count (config) != 2) {
        fprintf (stderr, "salesctl keys new: expected one NAME, e.g. salesctl keys new "
                         "crm-publisher --sources crm\n");
        return SALESCTL_EXIT_FAILURE;
    }
    const char *name = sp_config_arg (config, 1);
    const char *dir = sp_config_string (config, "dir");
    const char *sources = sp_config_string (config, "sources");
    char error[SALESCTL_KEYS_ERROR_SIZE];
    sp_zmq_curve_cert_info_t info;
    bool subscribe = !sp_config_bool (config, "no-subscribe");
    if (sp_zmq_curve_cert_create (dir, name, sources, subscribe, &info, error, sizeof error) != 0) {
        fprintf (stderr, "salesctl keys new: %s\n", error);
        return SALESCTL_EXIT_FAILURE;
    }
    printf ("wrote %s/%s (public: copy it into the --curve-clients directory of the services "
            "it connects to)\n",
            dir, name);
    printf ("wrote %s/%s%s (secret, mode 0600: the --curve-secret of the one process using it)\n",
            dir, name, SP_ZMQ_CURVE_SECRET_SUFFIX);
    s_print (name, &info);
    return SALESCTL_EXIT_OK;
}

int
salesctl_keys (int argc, char **argv)
{
    int exit_code;
    sp_config_t *config = salesctl_config (argc, argv, s_summary, s_options,
                                           sizeof s_options / sizeof s_options[0], &exit_code);
    if (!config)
        return exit_code;
    const char *action = sp_config_arg_count (config) > 0 ? sp_config_arg (config, 0) : "";
    if (strcmp (action, "new") == 0)
        exit_code = s_new (config);
    else if (strcmp (action, "list") == 0) {
        if (sp_config_arg_count (config) != 1) {
            fprintf (stderr, "salesctl keys list: unexpected argument \"%s\"\n",
                     sp_config_arg (config, 1));
            exit_code = SALESCTL_EXIT_FAILURE;
        }
        else
            exit_code = s_list (config);
    }
    else {
        fprintf (stderr, "salesctl keys: expected \"new NAME\" or \"list\"%s%s%s\n",
                 action[0] ? ", not \"" : "", action, action[0] ? "\"" : "");
        exit_code = SALESCTL_EXIT_FAILURE;
    }
    sp_config_destroy (&config);
    return exit_code;
}
