/*  sp_org - the org chart, company -> region -> team -> rep, each rep's
    team membership with effective dates and an optional role
    (docs/org.md). kpi-evaluator rolls actuals and targets up it;
    incentive-calculator pays manager roll-up credits over it and assigns
    role plans by it. Both read the same "org" reference data with this
    one reader, so the document has one set of rules.

    An org is a reference data document of kind "org": regions, teams
    (each in one region) and reps (each with memberships in teams, from an
    inclusive local date until an exclusive one, never overlapping). This
    object reads and validates it, writes its canonical form, and answers
    the questions the handler asks for every event: where did this rep
    sit on this day, and which scopes ("company", "region:<id>",
    "team:<id>", "rep:<id>") does the event count in. A rep who moves keeps
    the history where it happened: an event counts in the team of the
    membership in force on its local day, unless the event names its own
    team or region, which win.

    Look-ups never allocate and run in O(log n): reps, teams and regions
    are kept sorted by id (byte order), a rep's memberships by "from".
    Returned strings are borrowed from the org (valid while it lives) or
    written into the caller's buffers.

    Every refusal names the JSON path of the offending value, and both
    paths when two values clash: `field "teams[3].id": "North" is already
    the id of teams[1]`. Pure: no I/O, no global state.
*/
#ifndef SP_ORG_H_INCLUDED
#define SP_ORG_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sp_json_read.h"
#include "sp_refdata.h"

/* Longest region, team or rep id, and longest company name or region
   title, in bytes of UTF-8 without control characters. */
#define SP_ORG_ID_MAX 128
#define SP_ORG_TITLE_MAX 128

/* Longest role name ([a-z0-9_-], as a plan's "assign.role"). */
#define SP_ORG_ROLE_MAX 63

/* Bounds of a document. */
#define SP_ORG_REGIONS_MAX 10000
#define SP_ORG_TEAMS_MAX 100000
#define SP_ORG_REPS_MAX 100000
#define SP_ORG_MEMBERSHIPS_MAX 64

/* The scope of the whole company, and the prefixes of the others. */
#define SP_ORG_COMPANY "company"
#define SP_ORG_REGION_PREFIX "region:"
#define SP_ORG_TEAM_PREFIX "team:"
#define SP_ORG_REP_PREFIX "rep:"

/* Room for each kind of scope string, terminator included. */
#define SP_ORG_REGION_SCOPE_SIZE (sizeof SP_ORG_REGION_PREFIX + SP_ORG_ID_MAX)
#define SP_ORG_TEAM_SCOPE_SIZE (sizeof SP_ORG_TEAM_PREFIX + SP_ORG_ID_MAX)
#define SP_ORG_REP_SCOPE_SIZE (sizeof SP_ORG_REP_PREFIX + SP_ORG_ID_MAX)

/* A membership's "until" when it is open-ended. */
#define SP_ORG_OPEN_END INT64_MAX

/* Room for any error message of this module. */
#define SP_ORG_ERROR_SIZE 256

typedef struct _sp_org_t sp_org_t;

/* The reference data kind: "org"; a new version rebuilds kpi-evaluator's
   actuals (they follow memberships; incentive-calculator reads the latest
   version whenever it computes a statement); not effective-dated (the
   memberships carry their own dates). */
extern const sp_refdata_kind_t sp_org_kind;

/* The scopes one event counts in (sp_org_scopes); a string is "" when
   its has_ flag is false. */
typedef struct {
    char company[sizeof SP_ORG_COMPANY];   /* always "company" */
    char region[SP_ORG_REGION_SCOPE_SIZE]; /* "region:<id>" */
    char team[SP_ORG_TEAM_SCOPE_SIZE];     /* "team:<id>" */
    char rep[SP_ORG_REP_SCOPE_SIZE];       /* "rep:<id>" */
    bool has_region, has_team, has_rep;    /* which of them the event counts in */
} sp_org_scopes_t;

/* One membership as read; days since 1970-01-01, local dates. */
typedef struct {
    const char *team; /* team id, borrowed from the org */
    int64_t from;     /* first day, inclusive */
    int64_t until;    /* first day after it, exclusive; SP_ORG_OPEN_END when open */
} sp_org_membership_t;

/* sp_refdata_check_fn of the kind: validates text (length bytes) as an
   org and gives its name and malloc'd canonical JSON (keys sorted,
   compact; regions, teams and reps sorted by id, memberships by "from";
   absent optional fields left out). Returns 0, or -1 with the reason. */
int sp_org_check (const char *text, size_t length, char *name, size_t name_size, char **canonical,
                  char *error, size_t error_size);

/* Reads and validates an org from length bytes of JSON text. Returns
   NULL with the reason in error when the text is not a valid org or
   memory runs out. */
sp_org_t *sp_org_new (const char *text, size_t length, char *error, size_t error_size);

/* Destroys the org; no-op on NULL; sets *self_p to NULL. */
void sp_org_destroy (sp_org_t **self_p);

/* The canonical JSON form (see sp_org_check): malloc'd, the caller
   frees; NULL when out of memory. */
char *sp_org_to_json (const sp_org_t *self);

/* The document's name, and its company display name (NULL when absent). */
const char *sp_org_name (const sp_org_t *self);
const char *sp_org_company (const sp_org_t *self);

/* Where a rep sits on a local day (days since 1970-01-01): writes its
   team and that team's region ids (borrowed; either pointer may be NULL
   when not wanted) and returns 0; returns -1 with *team and *region NULL
   when the rep is unknown or has no membership in force on that day. */
int sp_org_resolve (const sp_org_t *self, const char *rep, int64_t day, const char **team,
                    const char **region);

/* The scopes an event counts in (docs/org.md, "Which scopes an event
   counts in"): always the company; the rep when rep_id is given; the
   team and region the event gives (non-empty) win; a missing team is the
   rep's team on day (when its region agrees with a region the event
   gives), a missing region the team's region in the org. self may be
   NULL (no org loaded): then only the event's own ids. NULL ids count as
   "", and an id longer than SP_ORG_ID_MAX as not given. */
void sp_org_scopes (const sp_org_t *self, const char *rep_id, const char *team_id,
                    const char *region_id, int64_t day, sp_org_scopes_t *out);

/* Children of a node, as scope strings borrowed from the org, sorted by
   id: "company" -> every "region:..", "region:R" -> every "team:.." of R,
   "team:T" -> every "rep:.." with a membership in T in force on some day
   of [first_day, end_day) (days are ignored for the other levels). Writes
   up to capacity of them into children (may be NULL when capacity is 0)
   and returns how many there are, even when more than capacity; 0 for a
   rep or an unknown node. */
size_t sp_org_children (const sp_org_t *self, const char *node, int64_t first_day, int64_t end_day,
                        const char **children, size_t capacity);

/* The parent of a node on a day, as a scope string borrowed from the org:
   "rep:X" -> "team:T" of the membership in force, "team:T" ->
   "region:R", "region:R" -> "company"; NULL for "company", for an unknown
   node and for a rep without a membership on that day. */
const char *sp_org_parent (const sp_org_t *self, const char *node, int64_t day);

/* True when node is "company" or the scope of a region, team or rep of
   the org. */
bool sp_org_contains (const sp_org_t *self, const char *node);

/* The region of a team (borrowed), NULL when the team is unknown. */
const char *sp_org_team_region (const sp_org_t *self, const char *team);

/* Listing, in id order: counts, and the entry at index (< count,
   asserted). A region's title is NULL when absent. */
size_t sp_org_region_count (const sp_org_t *self);
const char *sp_org_region_id (const sp_org_t *self, size_t index);
const char *sp_org_region_title (const sp_org_t *self, size_t index);
size_t sp_org_team_count (const sp_org_t *self);
const char *sp_org_team_id (const sp_org_t *self, size_t index);
size_t sp_org_rep_count (const sp_org_t *self);
const char *sp_org_rep_id (const sp_org_t *self, size_t index);

/* The role of rep (its id, not its scope), borrowed; NULL when the rep
   is unknown or has no "role". */
const char *sp_org_rep_role (const sp_org_t *self, const char *rep);

/* A rep's memberships, sorted by "from" (index < sp_org_rep_count,
   membership < sp_org_rep_membership_count: asserted). */
size_t sp_org_rep_membership_count (const sp_org_t *self, size_t index);
sp_org_membership_t sp_org_rep_membership (const sp_org_t *self, size_t index, size_t membership);

#endif
