/* Progress records (core/runtime/engine/progress.c) and the status line
 * (core/cli/status_line.c): Spark's StreamingQueryProgress fields from known
 * inputs, event-time statistics, the ring, the progress log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder.h"
#include "progress.h"
#include "schema.h"
#include "status_line.h"
#include "watermark.h"

#define SEC 1000000LL
/* 2021-05-03T07:55:40Z */
#define T0 (1620028540LL * SEC)

static const struct sluice_progress_state states[] = {
    { .stage = "counts", .rows_total = 7, .rows_updated = 3, .rows_removed = 2, .rows_dropped = 1,
      .memory_bytes = 4096, .partitions = 5, .commit_us = 2500 },
};

static struct sluice_progress_batch known(void)
{
    return (struct sluice_progress_batch){
        .query = "windows", .source = "file[tweets]", .batch_id = 4, .duration_us = 250000, .sink_rows = 2,
        .malformed = 1, .invalid_utf8 = 3, .end_offset = "{\"logOffset\":5}", .id = "00000000-0000-4000-8000-000000000001",
        .run_id = "00000000-0000-4000-8000-000000000002", .start_wall_us = T0, .since_previous_us = 2 * SEC,
        .input_rows = 100, .start_offset = "{\"logOffset\":4}", .latest_offset = "{\"logOffset\":6}",
        .sink = "file[out]", .latest_offset_us = 1000, .get_batch_us = 2000, .wal_commit_us = 3999,
        .add_batch_us = 200000, .commit_us = 40000,
        .work = { .read_us = 150000, .transform_us = 20999, .aggregate_us = 30000, .sink_us = 1000 },
        .has_watermark = true, .watermark = T0 - 5 * SEC,
        .event_time = { .count = 4, .min = T0 - 3 * SEC, .max = T0, .sum = 4 * (__int128)T0 - 6 * SEC },
        .state = states, .n_state = 1,
    };
}

static void test_progress_record_has_sparks_fields_from_known_inputs(void **state)
{
    struct sluice_progress_batch b = known();
    struct sluice_buf out = { 0 };
    sluice_progress_format(&b, &out);
    assert_string_equal(
        out.data,
        "{\"id\":\"00000000-0000-4000-8000-000000000001\",\"runId\":\"00000000-0000-4000-8000-000000000002\","
        "\"name\":\"windows\",\"timestamp\":\"2021-05-03T07:55:40.000Z\",\"batchId\":4,\"numInputRows\":100,"
        "\"inputRowsPerSecond\":50.0,\"processedRowsPerSecond\":400.0,"
        "\"durationMs\":{\"latestOffset\":1,\"getBatch\":2,\"walCommit\":3,\"addBatch\":200,\"commitOffsets\":40,"
        "\"triggerExecution\":250},"
        "\"workMs\":{\"read\":150,\"transform\":20,\"aggregate\":30,\"sink\":1},"
        "\"eventTime\":{\"avg\":\"2021-05-03T07:55:38.500Z\",\"max\":\"2021-05-03T07:55:40.000Z\","
        "\"min\":\"2021-05-03T07:55:37.000Z\",\"watermark\":\"2021-05-03T07:55:35.000Z\"},"
        "\"stateOperators\":[{\"operatorName\":\"stateStoreSave\",\"stage\":\"counts\",\"numRowsTotal\":7,"
        "\"numRowsUpdated\":3,\"numRowsRemoved\":2,\"numRowsDroppedByWatermark\":1,\"commitTimeMs\":2,"
        "\"memoryUsedBytes\":4096,\"numShufflePartitions\":5}],"
        "\"sources\":[{\"description\":\"file[tweets]\",\"startOffset\":{\"logOffset\":4},"
        "\"endOffset\":{\"logOffset\":5},\"latestOffset\":{\"logOffset\":6},\"numInputRows\":100,"
        "\"numMalformedRows\":1,\"numInvalidUtf8Replaced\":3,\"inputRowsPerSecond\":50.0,\"processedRowsPerSecond\":400.0}],"
        "\"sink\":{\"description\":\"file[out]\",\"numOutputRows\":2}}");
    sluice_buf_free(&out);
}

static void test_progress_first_batch_and_no_time_follow_spark(void **state)
{
    /* The first batch has no previous trigger (input rate 0), a batch of no
     * measurable time has no processing rate, and before any event time
     * only the watermark is shown, at the epoch as Spark starts it. */
    struct sluice_progress_batch b = known();
    b.since_previous_us = 0;
    b.duration_us = 0;
    b.event_time = (struct sluice_progress_event_time){ 0 };
    b.watermark = SLUICE_WATERMARK_NONE;
    b.start_offset = NULL;
    b.end_offset = "not json";
    struct sluice_buf out = { 0 };
    sluice_progress_format(&b, &out);
    assert_non_null(strstr(out.data, "\"numInputRows\":100,\"inputRowsPerSecond\":0.0,\"durationMs\""));
    assert_null(strstr(out.data, "processedRowsPerSecond"));
    assert_non_null(strstr(out.data, "\"eventTime\":{\"watermark\":\"1970-01-01T00:00:00.000Z\"}"));
    assert_non_null(strstr(out.data, "\"startOffset\":null,\"endOffset\":\"not json\""));
    sluice_buf_free(&out);
    /* Without a watermark there is no eventTime at all. */
    b.has_watermark = false;
    sluice_progress_format(&b, &out);
    assert_null(strstr(out.data, "eventTime"));
    sluice_buf_free(&out);
}

static void test_progress_event_time_skips_nulls_and_merges_exactly(void **state)
{
    struct ArrowSchema s;
    struct sluice_error err;
    assert_int_equal(sluice_schema_parse("t TIMESTAMP", &s, &err), SLUICE_OK);
    struct sluice_builder *b = sluice_builder_new(&s);
    int64_t values[] = { INT64_MAX - 1, 0, INT64_MAX - 3 };
    for (int i = 0; i < 4; i++) {
        sluice_builder_append_struct(b);
        if (i == 1) sluice_builder_append_null(&b->children[0]);
        else sluice_builder_append_timestamp(&b->children[0], values[i ? i - 1 : 0]);
    }
    struct sluice_batch batch;
    sluice_builder_finish(b, &batch);
    struct sluice_progress_event_time one = { 0 }, two = { 0 };
    struct ArrowArray a = *batch.array.children[0];
    sluice_progress_event_time_observe(&one, &a, 2); /* the first value and the null */
    assert_int_equal(one.count, 1);
    a.offset += 2;
    sluice_progress_event_time_observe(&two, &a, 2);
    sluice_progress_event_time_merge(&one, &two);
    assert_int_equal(one.count, 3);
    assert_int_equal(one.min, 0);
    assert_int_equal(one.max, INT64_MAX - 1);
    /* A sum of values near INT64_MAX stays exact. */
    assert_true(one.sum == (__int128)(INT64_MAX - 1) + (INT64_MAX - 3));
    sluice_batch_release(&batch);
    sluice_builder_free(b);
    sluice_schema_release(&s);
}

static void test_progress_log_gets_one_line_per_record(void **state)
{
    char path[] = "/tmp/sluice-test-progress.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct sluice_error err = { 0 };
    struct sluice_progress *p = sluice_progress_new();
    assert_int_equal(sluice_progress_log_open(p, path, &err), SLUICE_OK);
    struct sluice_progress_batch b = known();
    sluice_progress_record(p, &b);
    b.batch_id = 5;
    sluice_progress_record(p, &b);
    sluice_progress_log_close(p);
    b.batch_id = 6;
    sluice_progress_record(p, &b); /* not logged: closed */
    FILE *f = fopen(path, "r");
    char line[4096];
    int lines = 0;
    while (fgets(line, sizeof line, f)) {
        char want[32];
        snprintf(want, sizeof want, "\"batchId\":%d,", 4 + lines);
        assert_non_null(strstr(line, want));
        assert_int_equal(line[strlen(line) - 1], '\n');
        assert_int_equal(line[strlen(line) - 2], '}');
        lines++;
    }
    fclose(f);
    unlink(path);
    assert_int_equal(lines, 2);
    struct sluice_buf all = { 0 };
    sluice_progress_json(p, &all);
    assert_non_null(strstr(all.data, "\"batchId\":6,"));
    sluice_buf_free(&all);
    assert_int_equal(sluice_progress_log_open(p, "/nonexistent-dir/p.log", &err), SLUICE_EIO);
    assert_string_equal(err.message, "cannot open progress log '/nonexistent-dir/p.log': No such file or directory");
    sluice_progress_free(p);
}

static void test_status_line_says_batch_rate_watermark_and_state_rows(void **state)
{
    struct sluice_progress_batch b = known();
    b.input_rows = 2469135;
    struct sluice_buf out = { 0 };
    sluice_status_line_format(&b, &out);
    assert_string_equal(out.data, "sluice: batch 4 | 1,234,568 rows/s | watermark 2021-05-03 07:55:35 | 7 state rows");
    sluice_buf_free(&out);
    b.has_watermark = false;
    b.n_state = 0;
    b.since_previous_us = 0; /* the first batch: its own duration */
    b.input_rows = 100;
    sluice_status_line_format(&b, &out);
    assert_string_equal(out.data, "sluice: batch 4 | 400 rows/s");
    sluice_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_progress_record_has_sparks_fields_from_known_inputs),
        cmocka_unit_test(test_progress_first_batch_and_no_time_follow_spark),
        cmocka_unit_test(test_progress_event_time_skips_nulls_and_merges_exactly),
        cmocka_unit_test(test_progress_log_gets_one_line_per_record),
        cmocka_unit_test(test_status_line_says_batch_rate_watermark_and_state_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
