/*  incentive_plan_terms - a plan's pay terms beyond its rates: the draw
    against commission, what a clawback does, the true-up window, the
    manager roll-up and overlay credits (see incentive_plan.h and
    docs/incentives.md, "Draws", "Clawbacks", "True-up", "Manager roll-up
    credits" and "Overlay credits").

        "draw": { "amount": "2000.00", "recoverable": true,
                  "periods": 6, "recovery_start": 2 },
        "clawback": { "reverse": "paid", "attainment_drops": false },
        "true_up": "quarter",
        "rollup": { "levels": 1, "mode": "shares" },
        "overlays": [ { "rep": "spec-1", "percent": "50" } ]

    Part of incentive_plan: reading (each refusal names the JSON path), the
    canonical form and the accessors. The draw maps to the
    incentive_draw_terms_t that incentive_ledger settles; its periods count
    from the rep's first period under the plan version, so every rep of a
    plan with a draw names the day it starts ("from").
*/
#include "incentive_plan_internal.h"

#include <assert.h>
#include <string.h>

#include "sp_money.h"

static const char *const s_draw_keys[] = { "amount", "recoverable", "periods", "recovery_start",
                                           NULL };
static const char *const s_clawback_keys[] = { "reverse", "attainment_drops", NULL };
static const char *const s_reverse_names[] = { "paid", "recompute" };
static const char *const s_true_up_names[] = { "quarter", "year" };
static const char *const s_rollup_keys[] = { "levels", "mode", NULL };
static const char *const s_rollup_mode_names[] = { "shares", "full" };
static const char *const s_overlay_keys[] = { "rep", "percent", NULL };

/* An overlay's percent: decimals (basis points) and its bounds' text. */
#define S_PERCENT_DECIMALS 2
#define S_PERCENT_MIN "0.01"
#define S_PERCENT_MAX "1000"

/* The org nodes a roll-up plan may name: "company" and the scopes. */
#define S_COMPANY "company"
static const char *const s_node_prefixes[] = { "team:", "region:" };

#define S_COUNT(array) (sizeof (array) / sizeof ((array)[0]))

/* Reads "draw" (absent: no draw). */
static int
s_read_draw (sp_json_reader_t *reader, incentive_plan_t *self, const json_t *draw)
{
    if (!draw)
        return 0;
    if (sp_json_read_object (reader, draw, "draw") != 0 ||
        sp_json_check_keys (reader, draw, "draw", s_draw_keys) != 0)
        return -1;
    incentive_draw_terms_t terms;
    incentive_draw_terms_none (&terms);
    const json_t *amount = json_object_get (draw, "amount");
    const char *text;
    if (sp_json_read_string (reader, amount, "draw.amount", &text) != 0)
        return -1;
    sp_money_status_t status = sp_money_parse (text, self->currency, &terms.amount);
    if (status != SP_MONEY_OK) {
        char quoted[SP_JSON_PATH_SIZE];
        return sp_json_fail (reader, "draw.amount", "invalid amount \"%s\" in %s: %s",
                             sp_json_quote (amount, quoted, sizeof quoted), self->currency,
                             sp_money_status_text (status));
    }
    if (terms.amount <= 0)
        return sp_json_fail (reader, "draw.amount", "must be above 0");
    const json_t *recoverable = json_object_get (draw, "recoverable");
    if (!recoverable)
        return sp_json_fail (reader, "draw.recoverable",
                             "required: say whether advances are owed back (true or false)");
    if (sp_json_read_bool (reader, recoverable, "draw.recoverable", &terms.recoverable) != 0)
        return -1;
    json_int_t number;
    const json_t *periods = json_object_get (draw, "periods");
    if (periods) {
        if (sp_json_read_integer (reader, periods, "draw.periods", 1,
                                  INCENTIVE_PLAN_DRAW_PERIODS_MAX, &number) != 0)
            return -1;
        terms.periods = (int64_t) number;
    }
    const json_t *start = json_object_get (draw, "recovery_start");
    if (start) {
        if (sp_json_read_integer (reader, start, "draw.recovery_start", 0,
                                  INCENTIVE_PLAN_DRAW_PERIODS_MAX, &number) != 0)
            return -1;
        terms.recovery_start = (int64_t) number;
    }
    /* the draw's periods count from the rep's first period on the plan */
    if (self->role[0])
        return sp_json_fail (reader, "draw",
                             "a draw needs the reps named (\"assign.reps\", each with \"from\"), "
                             "not a role");
    for (size_t index = 0; index < self->rep_count; index++)
        if (!self->reps[index].has_from) {
            char path[SP_JSON_PATH_SIZE];
            char parent[SP_JSON_PATH_SIZE];
            sp_json_path_index (parent, sizeof parent, "assign.reps", index);
            sp_json_path (path, sizeof path, parent, "from");
            return sp_json_fail (reader, path,
                                 "required with a draw: the draw counts its periods from the "
                                 "rep's first day on the plan");
        }
    char error[INCENTIVE_DRAW_ERROR_SIZE];
    if (incentive_draw_check (&terms, error, sizeof error) != 0)
        return sp_json_fail (reader, "draw", "%s", error);
    self->draw = terms;
    self->has_draw = true;
    return 0;
}

/* Reads "true_up" (absent: none): a window longer than the plan's
   period, on a plan paying at booking. */
static int
s_read_true_up (sp_json_reader_t *reader, incentive_plan_t *self, const json_t *value)
{
    if (!value)
        return 0;
    int choice = 0;
    if (sp_json_read_choice (reader, value, "true_up", "true-up window", "\"quarter\" or \"year\"",
                             s_true_up_names, S_COUNT (s_true_up_names), &choice) != 0)
        return -1;
    incentive_plan_period_t window = choice == 0 ? INCENTIVE_PLAN_QUARTER : INCENTIVE_PLAN_YEAR;
    if (window <= self->period)
        return sp_json_fail (reader, "true_up",
                             "\"%s\" is not longer than the plan's period \"%s\": a true-up "
                             "settles a window of several periods",
                             s_true_up_names[choice],
                             incentive_plan_internal_period_names[self->period]);
    if (self->trigger == INCENTIVE_PLAN_ON_PAYMENT)
        return sp_json_fail (reader, "true_up",
                             "a true-up settles what bookings earned: not with \"trigger\": "
                             "\"payment\"");
    self->has_true_up = true;
    self->true_up = window;
    return 0;
}

int
incentive_plan_internal_read_terms (sp_json_reader_t *reader, incentive_plan_t *self,
                                    const json_t *root)
{
    assert (reader && self && root);
    if (s_read_draw (reader, self, json_object_get (root, "draw")) != 0 ||
        s_read_true_up (reader, self, json_object_get (root, "true_up")) != 0)
        return -1;
    self->reverse = INCENTIVE_PLAN_REVERSE_PAID;
    self->attainment_drops = false;
    const json_t *clawback = json_object_get (root, "clawback");
    if (!clawback)
        return 0;
    if (sp_json_read_object (reader, clawback, "clawback") != 0 ||
        sp_json_check_keys (reader, clawback, "clawback", s_clawback_keys) != 0)
        return -1;
    const json_t *reverse = json_object_get (clawback, "reverse");
    int choice = INCENTIVE_PLAN_REVERSE_PAID;
    if (reverse && sp_json_read_choice (reader, reverse, "clawback.reverse", "reversal",
                                        "\"paid\" or \"recompute\"", s_reverse_names,
                                        S_COUNT (s_reverse_names), &choice) != 0)
        return -1;
    self->reverse = (incentive_plan_reverse_t) choice;
    return sp_json_read_bool (reader, json_object_get (clawback, "attainment_drops"),
                              "clawback.attainment_drops", &self->attainment_drops);
}

/* Sets key to value (stolen); false when value is NULL or the set fails. */
static bool
s_put (json_t *object, const char *key, json_t *value)
{
    return value && json_object_set_new (object, key, value) == 0;
}

bool
incentive_plan_internal_terms_json (const incentive_plan_t *self, json_t *root)
{
    assert (self && root);
    if (self->has_draw) {
        char amount[SP_MONEY_TEXT_SIZE];
        json_t *draw = json_object ();
        bool ok = s_put (root, "draw", draw) &&
                  sp_money_format (self->draw.amount, self->currency, amount, sizeof amount) ==
                      SP_MONEY_OK &&
                  s_put (draw, "amount", json_string (amount)) &&
                  s_put (draw, "recoverable", json_boolean (self->draw.recoverable)) &&
                  (self->draw.periods == INCENTIVE_DRAW_OPEN_END ||
                   s_put (draw, "periods", json_integer (self->draw.periods))) &&
                  s_put (draw, "recovery_start", json_integer (self->draw.recovery_start));
        if (!ok)
            return false;
    }
    json_t *clawback = json_object ();
    return s_put (root, "clawback", clawback) &&
           s_put (clawback, "reverse", json_string (s_reverse_names[self->reverse])) &&
           s_put (clawback, "attainment_drops", json_boolean (self->attainment_drops)) &&
           (!self->has_true_up ||
            s_put (root, "true_up",
                   json_string (s_true_up_names[self->true_up == INCENTIVE_PLAN_QUARTER ? 0 : 1])));
}

/* The path of the first component or SPIFF of self measuring margin
   into path (SP_JSON_PATH_SIZE), "" when none does. */
static void
s_margin_path (const incentive_plan_t *self, char *path)
{
    path[0] = '\0';
    for (size_t index = 0; index < self->component_count && !path[0]; index++)
        if (self->components[index].measure == INCENTIVE_PLAN_MARGIN)
            sp_json_path_index (path, SP_JSON_PATH_SIZE, "components", index);
    for (size_t index = 0; index < self->spiff_count && !path[0]; index++)
        if (self->spiffs[index].measure == INCENTIVE_PLAN_MARGIN)
            sp_json_path_index (path, SP_JSON_PATH_SIZE, "spiffs", index);
}

/* True when id names an org node a manager is paid as. */
static bool
s_is_node (const char *id)
{
    if (strcmp (id, S_COMPANY) == 0)
        return true;
    for (size_t index = 0; index < S_COUNT (s_node_prefixes); index++) {
        size_t length = strlen (s_node_prefixes[index]);
        if (strncmp (id, s_node_prefixes[index], length) == 0 && id[length] != '\0')
            return true;
    }
    return false;
}

int
incentive_plan_internal_read_rollup (sp_json_reader_t *reader, incentive_plan_t *self,
                                     const json_t *value)
{
    assert (reader && self);
    if (!value)
        return 0;
    if (sp_json_read_object (reader, value, "rollup") != 0 ||
        sp_json_check_keys (reader, value, "rollup", s_rollup_keys) != 0)
        return -1;
    json_int_t levels = 1;
    const json_t *given = json_object_get (value, "levels");
    if (given && sp_json_read_integer (reader, given, "rollup.levels", 1,
                                       INCENTIVE_CREDIT_DEPTH_MAX, &levels) != 0)
        return -1;
    int mode = INCENTIVE_CREDIT_ROLLUP_SHARES;
    given = json_object_get (value, "mode");
    if (given &&
        sp_json_read_choice (reader, given, "rollup.mode", "roll-up mode", "\"shares\" or \"full\"",
                             s_rollup_mode_names, S_COUNT (s_rollup_mode_names), &mode) != 0)
        return -1;
    if (self->role[0])
        return sp_json_fail (reader, "rollup",
                             "a roll-up plan names the org nodes it pays in \"assign.reps\" "
                             "(\"team:<id>\", \"region:<id>\" or \"company\"), not a role");
    for (size_t index = 0; index < self->rep_count; index++)
        if (!s_is_node (self->reps[index].id)) {
            char path[SP_JSON_PATH_SIZE];
            char parent[SP_JSON_PATH_SIZE];
            sp_json_path_index (parent, sizeof parent, "assign.reps", index);
            sp_json_path (path, sizeof path, parent, "id");
            return sp_json_fail (reader, path,
                                 "\"%s\" is not an org node: a roll-up plan pays "
                                 "\"team:<id>\", \"region:<id>\" or \"company\"",
                                 self->reps[index].id);
        }
    if (mode == INCENTIVE_CREDIT_ROLLUP_FULL) {
        /* a credit keeps its rep's share of the margin, never the deal's */
        char path[SP_JSON_PATH_SIZE];
        s_margin_path (self, path);
        if (path[0])
            return sp_json_fail (reader, "rollup.mode",
                                 "\"full\" credits the whole deal, but only each rep's share of "
                                 "a deal's margin is kept: %s measures margin (use \"shares\")",
                                 path);
    }
    self->has_rollup = true;
    self->rollup.levels = (int) levels;
    self->rollup.mode = (incentive_credit_rollup_mode_t) mode;
    return 0;
}

bool
incentive_plan_internal_rollup_json (const incentive_plan_t *self, json_t *root)
{
    assert (self && root);
    if (!self->has_rollup)
        return true;
    json_t *rollup = json_object ();
    return s_put (root, "rollup", rollup) &&
           s_put (rollup, "levels", json_integer (self->rollup.levels)) &&
           s_put (rollup, "mode", json_string (s_rollup_mode_names[self->rollup.mode]));
}

/* Reads overlays[index] into self->overlays[index]. */
static int
s_read_overlay (sp_json_reader_t *reader, incentive_plan_t *self, size_t index,
                const json_t *object)
{
    char parent[SP_JSON_PATH_SIZE];
    char path[SP_JSON_PATH_SIZE];
    sp_json_path_index (parent, sizeof parent, "overlays", index);
    if (sp_json_read_object (reader, object, parent) != 0 ||
        sp_json_check_keys (reader, object, parent, s_overlay_keys) != 0)
        return -1;
    const char *rep;
    sp_json_path (path, sizeof path, parent, "rep");
    if (sp_json_read_text (reader, json_object_get (object, "rep"), path, INCENTIVE_PLAN_REP_MAX,
                           &rep) != 0)
        return -1;
    for (size_t earlier = 0; earlier < index; earlier++)
        if (strcmp (self->overlays[earlier].rep, rep) == 0)
            return sp_json_fail (reader, path, "duplicate rep: overlays[%zu] has it", earlier);
    for (size_t named = 0; named < self->rep_count; named++)
        if (strcmp (self->reps[named].id, rep) == 0)
            return sp_json_fail (reader, path,
                                 "\"%s\" is assign.reps[%zu]: the plan names the reps whose "
                                 "deals are overlaid, and an overlay rep is not paid on its own "
                                 "deals",
                                 rep, named);
    const json_t *percent = json_object_get (object, "percent");
    const char *text;
    sp_json_path (path, sizeof path, parent, "percent");
    if (sp_json_read_string (reader, percent, path, &text) != 0)
        return -1;
    int64_t share = 0;
    sp_money_status_t status = sp_money_parse_decimal (text, S_PERCENT_DECIMALS, &share);
    char quoted[SP_JSON_PATH_SIZE];
    if (status != SP_MONEY_OK)
        return sp_json_fail (reader, path, "invalid percent \"%s\": %s",
                             sp_json_quote (percent, quoted, sizeof quoted),
                             sp_money_status_text (status));
    if (share < 1 || share > INCENTIVE_CREDIT_OVERLAY_SHARE_MAX)
        return sp_json_fail (reader, path, "\"%s\" is not in " S_PERCENT_MIN ".." S_PERCENT_MAX,
                             sp_json_quote (percent, quoted, sizeof quoted));
    incentive_plan_overlay_t *overlay = &self->overlays[index];
    memcpy (overlay->rep, rep, strlen (rep) + 1);
    overlay->share_bp = (int32_t) share;
    self->overlay_count = index + 1;
    return 0;
}

int
incentive_plan_internal_read_overlays (sp_json_reader_t *reader, incentive_plan_t *self,
                                       const json_t *value)
{
    assert (reader && self);
    if (!value)
        return 0;
    if (sp_json_read_array (reader, value, "overlays") != 0)
        return -1;
    size_t count = json_array_size (value);
    if (count == 0 || count > INCENTIVE_PLAN_OVERLAYS_MAX)
        return sp_json_fail (reader, "overlays", "name 1 to %d overlay reps, not %zu",
                             INCENTIVE_PLAN_OVERLAYS_MAX, count);
    if (self->role[0])
        return sp_json_fail (reader, "overlays",
                             "an overlay plan names the reps whose deals it overlays in "
                             "\"assign.reps\", not a role");
    if (self->has_rollup)
        return sp_json_fail (reader, "overlays",
                             "a roll-up plan pays org nodes on their reps' deals: not with "
                             "overlays");
    if (self->has_draw)
        return sp_json_fail (reader, "overlays",
                             "an overlay plan pays its overlay reps, not the reps it names: not "
                             "with a draw");
    /* a credit keeps its rep's share of the margin, never the deal's */
    char path[SP_JSON_PATH_SIZE];
    s_margin_path (self, path);
    if (path[0])
        return sp_json_fail (reader, "overlays",
                             "an overlay is a share of the whole deal, but only each rep's share "
                             "of a deal's margin is kept: %s measures margin",
                             path);
    for (size_t index = 0; index < count; index++)
        if (s_read_overlay (reader, self, index, json_array_get (value, index)) != 0)
            return -1;
    return 0;
}

bool
incentive_plan_internal_overlays_json (const incentive_plan_t *self, json_t *root)
{
    assert (self && root);
    if (self->overlay_count == 0)
        return true;
    json_t *overlays = json_array ();
    bool ok = s_put (root, "overlays", overlays);
    for (size_t index = 0; ok && index < self->overlay_count; index++) {
        char percent[SP_MONEY_TEXT_SIZE];
        json_t *object = json_object ();
        ok = object && json_array_append_new (overlays, object) == 0 &&
             s_put (object, "rep", json_string (self->overlays[index].rep)) &&
             sp_money_format_decimal (self->overlays[index].share_bp, S_PERCENT_DECIMALS, percent,
                                      sizeof percent) == SP_MONEY_OK &&
             s_put (object, "percent", json_string (percent));
    }
    return ok;
}

/* ---------------------------------------------------------------- accessors */

size_t
incentive_plan_overlay_count (const incentive_plan_t *self)
{
    assert (self);
    return self->overlay_count;
}

const incentive_plan_overlay_t *
incentive_plan_overlay (const incentive_plan_t *self, size_t index)
{
    assert (self && index < self->overlay_count);
    return &self->overlays[index];
}

bool
incentive_plan_overlay_share (const incentive_plan_t *self, const char *rep_id, int32_t *share_bp)
{
    assert (self && rep_id);
    for (size_t index = 0; index < self->overlay_count; index++)
        if (strcmp (self->overlays[index].rep, rep_id) == 0) {
            if (share_bp)
                *share_bp = self->overlays[index].share_bp;
            return true;
        }
    return false;
}

bool
incentive_plan_pays (const incentive_plan_t *self, const char *rep_id, const char *role)
{
    assert (self && rep_id);
    if (self->overlay_count > 0)
        return incentive_plan_overlay_share (self, rep_id, NULL);
    return incentive_plan_assigned (self, rep_id, role);
}

bool
incentive_plan_rollup (const incentive_plan_t *self, incentive_plan_rollup_t *rollup)
{
    assert (self);
    if (self->has_rollup && rollup)
        *rollup = self->rollup;
    return self->has_rollup;
}

bool
incentive_plan_true_up (const incentive_plan_t *self, incentive_plan_period_t *window)
{
    assert (self);
    if (self->has_true_up && window)
        *window = self->true_up;
    return self->has_true_up;
}

bool
incentive_plan_draw (const incentive_plan_t *self, incentive_draw_terms_t *terms)
{
    assert (self && terms);
    if (self->has_draw)
        *terms = self->draw;
    return self->has_draw;
}

incentive_plan_reverse_t
incentive_plan_clawback_reverse (const incentive_plan_t *self)
{
    assert (self);
    return self->reverse;
}

bool
incentive_plan_attainment_drops (const incentive_plan_t *self)
{
    assert (self);
    return self->attainment_drops;
}
