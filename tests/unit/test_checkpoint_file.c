/* Checkpoint files (core/runtime/state/checkpoint_file.c): what is written reads back,
 * and every kind of damage is an error naming the file, never data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint_file.h"

static char dir[64];

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/sluice-test-ckfile.XXXXXX");
    if (!mkdtemp(dir)) return -1;
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static char *path_of(const char *name)
{
    static char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static void write_raw(const char *name, const char *bytes, size_t n)
{
    FILE *f = fopen(path_of(name), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, n, f), n);
    fclose(f);
}

static char *read_raw(const char *name, size_t *n)
{
    FILE *f = fopen(path_of(name), "rb");
    assert_non_null(f);
    static char buf[4096];
    *n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return buf;
}

static void test_file_written_reads_back_byte_for_byte_with_a_readable_header(void **state)
{
    struct sluice_error err = { 0 };
    const char payload[] = "{\"batchId\":3}\n\0binary\xff";
    assert_int_equal(sluice_checkpoint_file_write(dir, "3", "offsets", payload, sizeof payload, &err), SLUICE_OK);
    size_t n;
    char *raw = read_raw("3", &n);
    const char *nl = memchr(raw, '\n', n);
    assert_non_null(nl);
    char prefix[64];
    int pn = snprintf(prefix, sizeof prefix, "SLUICE-CKPT 1 offsets %zu ", sizeof payload);
    assert_memory_equal(raw, prefix, (size_t)pn);
    assert_int_equal(nl - raw, pn + 16);
    struct sluice_buf out = { 0 };
    assert_int_equal(sluice_checkpoint_file_read(path_of("3"), "offsets", &out, &err), SLUICE_OK);
    assert_int_equal(out.len, sizeof payload);
    assert_memory_equal(out.data, payload, sizeof payload);
    assert_int_equal(out.data[out.len], '\0');
    char kind[SLUICE_CHECKPOINT_KIND_MAX + 1];
    uint64_t len;
    assert_int_equal(sluice_checkpoint_file_peek(path_of("3"), kind, &len, &err), SLUICE_OK);
    assert_string_equal(kind, "offsets");
    assert_int_equal(len, sizeof payload);
    /* No temporary file is left behind. */
    assert_int_equal(access(path_of(".3.tmp"), F_OK), -1);
    sluice_buf_free(&out);
}

static void test_file_rewrite_replaces_the_old_contents_whole(void **state)
{
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_checkpoint_file_write(dir, "m", "metadata", "a much longer first version", 27, &err), 0);
    assert_int_equal(sluice_checkpoint_file_write(dir, "m", "metadata", "v2", 2, &err), 0);
    struct sluice_buf out = { 0 };
    assert_int_equal(sluice_checkpoint_file_read(path_of("m"), "metadata", &out, &err), SLUICE_OK);
    assert_string_equal(out.data, "v2");
    sluice_buf_free(&out);
}

/* Write a good file, damage it with `damage`, and expect `message`. */
static void expect_damage(void (*damage)(void), const char *message)
{
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_checkpoint_file_write(dir, "7", "commit", "{\"batchId\":7}", 13, &err), SLUICE_OK);
    damage();
    struct sluice_buf out = { 0 };
    assert_int_equal(sluice_checkpoint_file_read(path_of("7"), "commit", &out, &err), SLUICE_EDATA);
    char want[512];
    snprintf(want, sizeof want, "checkpoint file '%s' is damaged: %s", path_of("7"), message);
    assert_string_equal(err.message, want);
    assert_non_null(strstr(err.hint, "restore it from a backup"));
    assert_null(out.data);
}

static void truncate_it(void)
{
    assert_int_equal(truncate(path_of("7"), 46), 0); /* a header of 41 bytes, then 5 of 13 */
}
static void garbage(void) { write_raw("7", "\x7f" "ELF garbage\n", 12); }
static void empty(void) { write_raw("7", "", 0); }
static void flip_a_bit(void)
{
    size_t n;
    char *raw = read_raw("7", &n);
    raw[n - 2] ^= 0x04;
    write_raw("7", raw, n);
}
static void append_bytes(void)
{
    size_t n;
    char *raw = read_raw("7", &n);
    memcpy(raw + n, "{}", 2);
    write_raw("7", raw, n + 2);
}
static void wrong_kind(void)
{
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_checkpoint_file_write(dir, "7", "offsets", "{\"batchId\":7}", 13, &err), SLUICE_OK);
}

static void test_file_truncated_is_reported_with_how_much_is_left(void **state)
{
    expect_damage(truncate_it, "it is truncated (5 of 13 bytes)");
}

static void test_file_of_garbage_is_reported_as_not_a_checkpoint_file(void **state)
{
    expect_damage(garbage, "it does not start with a sluice checkpoint header");
}

static void test_file_emptied_is_reported_as_empty(void **state)
{
    expect_damage(empty, "it is empty");
}

static void test_file_with_a_flipped_bit_fails_its_checksum(void **state)
{
    expect_damage(flip_a_bit, "its checksum does not match its contents");
}

static void test_file_with_bytes_appended_is_reported(void **state)
{
    expect_damage(append_bytes, "it has 2 bytes after its end");
}

static void test_file_of_another_kind_is_reported(void **state)
{
    expect_damage(wrong_kind, "it holds offsets, not commit");
}

static void test_file_missing_is_an_io_error_naming_it(void **state)
{
    struct sluice_error err = { 0 };
    struct sluice_buf out = { 0 };
    assert_int_equal(sluice_checkpoint_file_read(path_of("nope"), "commit", &out, &err), SLUICE_EIO);
    char want[256];
    snprintf(want, sizeof want, "checkpoint file '%s' is missing", path_of("nope"));
    assert_string_equal(err.message, want);
}

static void test_list_ids_sorts_numbers_and_skips_other_names(void **state)
{
    struct sluice_error err = { 0 };
    char sub[128];
    snprintf(sub, sizeof sub, "%s/a/b", dir);
    assert_int_equal(sluice_checkpoint_mkdirs(sub, &err), SLUICE_OK);
    assert_int_equal(sluice_checkpoint_mkdirs(sub, &err), SLUICE_OK); /* exists: fine */
    const char *names[] = { "10", "9", "100", ".11.tmp", "007", "12x", "3.delta", "4.snapshot", "x" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char p[256];
        snprintf(p, sizeof p, "%s/%s", sub, names[i]);
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        fclose(f);
    }
    int64_t *ids;
    size_t n;
    assert_int_equal(sluice_checkpoint_list_ids(sub, "", &ids, &n, &err), SLUICE_OK);
    assert_int_equal(n, 3);
    assert_int_equal(ids[0], 9);
    assert_int_equal(ids[1], 10);
    assert_int_equal(ids[2], 100);
    free(ids);
    assert_int_equal(sluice_checkpoint_list_ids(sub, ".delta", &ids, &n, &err), SLUICE_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], 3);
    free(ids);
    snprintf(sub, sizeof sub, "%s/absent", dir);
    assert_int_equal(sluice_checkpoint_list_ids(sub, "", &ids, &n, &err), SLUICE_OK);
    assert_int_equal(n, 0);
}

static void test_mkdirs_refuses_a_path_that_is_a_file(void **state)
{
    struct sluice_error err = { 0 };
    write_raw("plain", "x", 1);
    assert_int_equal(sluice_checkpoint_mkdirs(path_of("plain"), &err), SLUICE_EIO);
    assert_non_null(strstr(err.message, "exists and is not a directory"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_written_reads_back_byte_for_byte_with_a_readable_header),
        cmocka_unit_test(test_file_rewrite_replaces_the_old_contents_whole),
        cmocka_unit_test(test_file_truncated_is_reported_with_how_much_is_left),
        cmocka_unit_test(test_file_of_garbage_is_reported_as_not_a_checkpoint_file),
        cmocka_unit_test(test_file_emptied_is_reported_as_empty),
        cmocka_unit_test(test_file_with_a_flipped_bit_fails_its_checksum),
        cmocka_unit_test(test_file_with_bytes_appended_is_reported),
        cmocka_unit_test(test_file_of_another_kind_is_reported),
        cmocka_unit_test(test_file_missing_is_an_io_error_naming_it),
        cmocka_unit_test(test_list_ids_sorts_numbers_and_skips_other_names),
        cmocka_unit_test(test_mkdirs_refuses_a_path_that_is_a_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
