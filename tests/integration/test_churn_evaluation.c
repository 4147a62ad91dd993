/*  test_churn_evaluation - the churn model against the recency baseline
    on the real retail data (issue 12's acceptance): the retail events
    (deploy/demo/retail/retail-events.sh) replayed through churn-alerting's
    scoring and alert code (tests/programs/churn-replay), judged against the
    independent oracle and baseline (tools/churn-eval/oracle.sh). The
    default model's F1 must be above the baseline's at every cutoff
    (churn-replay --check), and the report it writes must equal the
    committed docs/churn-evaluation.md byte for byte, so the document stays
    true when the model changes. No servers.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sp_harness.h"

#define PATH_SIZE 4096
#define COMMAND_SIZE 16384

/* Reads a whole file into a malloc'd string, or NULL. */
static char *
s_read (const char *path)
{
    FILE *file = fopen (path, "rb");
    if (!file)
        return NULL;
    char *text = NULL;
    if (fseek (file, 0, SEEK_END) == 0) {
        long size = ftell (file);
        rewind (file);
        text = size >= 0 ? calloc (1, (size_t) size + 1) : NULL;
        if (text && fread (text, 1, (size_t) size, file) != (size_t) size) {
            free (text);
            text = NULL;
        }
    }
    fclose (file);
    return text;
}

static void
test_model_beats_the_baseline_and_the_report_is_true (void **state)
{
    (void) state;
    char dir[] = "/tmp/test_churn_evaluation.XXXXXX";
    assert_non_null (mkdtemp (dir));
    const char *source = sp_harness_source_dir ();
    char replay[PATH_SIZE], command[COMMAND_SIZE], report[PATH_SIZE], committed[PATH_SIZE];
    sp_harness_program ("churn-replay", replay, sizeof replay);
    snprintf (report, sizeof report, "%s/churn-evaluation.md", dir);
    snprintf (committed, sizeof committed, "%s/docs/churn-evaluation.md", source);
    snprintf (command, sizeof command,
              "'%s/tools/churn-eval/oracle.sh' --out '%s' > '%s/oracle.out' 2>&1 && "
              "'%s/deploy/demo/retail/retail-events.sh' > '%s/events.jsonl' && "
              "'%s' --events '%s/events.jsonl' --oracle '%s/oracle.tsv' --baseline "
              "'%s/baseline.tsv' --out '%s' --check > '%s/replay.out' 2>&1",
              source, dir, dir, source, dir, replay, dir, dir, dir, report, dir);
    int status = system (command);
    if (status != 0) {
        snprintf (command, sizeof command, "cat '%s/oracle.out' '%s/replay.out' >&2", dir, dir);
        assert_int_equal (system (command), 0);
        fail_msg ("the evaluation failed (%d): the model does not beat the baseline, or a step "
                  "failed",
                  status);
    }
    char *written = s_read (report);
    char *expected = s_read (committed);
    assert_non_null (written);
    assert_non_null (expected);
    if (strcmp (written, expected) != 0)
        fail_msg ("docs/churn-evaluation.md is not what tools/churn-eval/evaluate.sh writes now: "
                  "run it and commit the report (%s)",
                  report);
    free (written);
    free (expected);
    snprintf (command, sizeof command, "rm -rf '%s'", dir);
    assert_int_equal (system (command), 0);
}

int
main (void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test (test_model_beats_the_baseline_and_the_report_is_true),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
