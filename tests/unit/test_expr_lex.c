/* The expression tokenizer: token kinds, character (not byte) positions,
 * Spark's string escapes and number forms, and every lexical error with
 * its message and position. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "expr_priv.h"

struct lexed {
    struct sluice_arena *arena;
    struct expr_token *t;
    int n;
};

static struct lexed lex_ok(const char *text)
{
    struct lexed l = { .arena = sluice_arena_new(0) };
    struct sluice_error err = { 0 };
    if (sluice_expr_lex(text, l.arena, &l.t, &l.n, &err)) fail_msg("'%s': %s", text, err.message);
    return l;
}

static void lex_error(const char *text, const char *message, int position)
{
    struct sluice_arena *arena = sluice_arena_new(0);
    struct expr_token *t;
    int n;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_expr_lex(text, arena, &t, &n, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, message);
    assert_int_equal(err.position, position);
    assert_string_equal(err.excerpt, text);
    sluice_arena_unref(arena);
}

static void test_expr_lex_splits_words_operators_and_literals_with_positions(void **state)
{
    struct lexed l = lex_ok("lower(data.text) <= 'x' AND n>=2");
    int kinds[] = { TOK_WORD, TOK_OP, TOK_WORD, TOK_OP, TOK_WORD, TOK_OP, TOK_OP, TOK_STRING,
                    TOK_WORD, TOK_WORD, TOK_OP, TOK_INT, TOK_EOF };
    int pos[] = { 1, 6, 7, 11, 12, 16, 18, 21, 25, 29, 30, 32, 33 };
    assert_int_equal(l.n, 13);
    for (int i = 0; i < l.n; i++) {
        assert_int_equal(l.t[i].kind, kinds[i]);
        assert_int_equal(l.t[i].pos, pos[i]);
    }
    assert_string_equal(l.t[0].str, "lower");
    assert_int_equal(l.t[6].op, OP_LE);
    assert_int_equal(l.t[10].op, OP_GE);
    assert_int_equal(l.t[11].ival, 2);
    sluice_arena_unref(l.arena);
}

static void test_expr_lex_counts_positions_in_characters_not_bytes(void **state)
{
    struct lexed l = lex_ok("'héllo' = x");
    assert_int_equal(l.t[1].pos, 9);  /* '=' is the 9th character, the 10th byte */
    assert_int_equal(l.t[2].pos, 11);
    assert_int_equal(l.t[1].off, 9);
    sluice_arena_unref(l.arena);
}

static void test_expr_lex_reads_every_multi_character_operator(void **state)
{
    struct lexed l = lex_ok("== != <> <=> || <= >= ! = < >");
    int ops[] = { OP_EQEQ, OP_NE, OP_LTGT, OP_NSEQ, OP_CONCAT, OP_LE, OP_GE, OP_BANG, OP_EQ, OP_LT, OP_GT };
    for (int i = 0; i < 11; i++) assert_int_equal(l.t[i].op, ops[i]);
    assert_int_equal(l.t[11].kind, TOK_EOF);
    sluice_arena_unref(l.arena);
}

static void test_expr_lex_unescapes_strings_as_spark_does(void **state)
{
    struct lexed l = lex_ok("'it''s' 'a\\nb\\tc' 'a\\_b\\%' '\\u0041\\101' \"dq\\\"\" '\\d\\\\'");
    assert_string_equal(l.t[0].str, "it's");
    assert_string_equal(l.t[1].str, "a\nb\tc");
    /* Spark keeps the backslash before % and _ so LIKE still sees the escape. */
    assert_string_equal(l.t[2].str, "a\\_b\\%");
    assert_string_equal(l.t[3].str, "AA");
    assert_string_equal(l.t[4].str, "dq\"");
    assert_string_equal(l.t[5].str, "d\\");
    sluice_arena_unref(l.arena);
}

static void test_expr_lex_keeps_a_nul_escape_inside_the_string_length(void **state)
{
    struct lexed l = lex_ok("'a\\0b'");
    assert_int_equal(l.t[0].str_len, 3);
    assert_memory_equal(l.t[0].str, "a\0b", 3);
    sluice_arena_unref(l.arena);
}

static void test_expr_lex_reads_integers_decimals_and_suffixes(void **state)
{
    struct lexed l = lex_ok("42 1.5 .5 1e3 2.5E-2 7L 3D 9223372036854775808 99999999999999999999");
    assert_int_equal(l.t[0].kind, TOK_INT);
    assert_int_equal(l.t[0].ival, 42);
    assert_int_equal(l.t[1].kind, TOK_DEC);
    assert_true(l.t[1].dval == 1.5);
    assert_true(l.t[2].dval == 0.5);
    assert_int_equal(l.t[3].kind, TOK_DEC);
    assert_true(l.t[3].dval == 1000);
    assert_true(l.t[4].dval == 0.025);
    assert_int_equal(l.t[5].kind, TOK_INT);
    assert_int_equal(l.t[5].ival, 7);
    assert_int_equal(l.t[6].kind, TOK_DEC);
    assert_true(l.t[6].dval == 3);
    assert_int_equal(l.t[7].kind, TOK_INT);
    assert_false(l.t[7].overflow); /* 2^63 fits as the magnitude of -2^63 */
    assert_true(l.t[8].overflow);
    sluice_arena_unref(l.arena);
}

static void test_expr_lex_reads_a_dot_after_a_name_as_a_path_step(void **state)
{
    struct lexed l = lex_ok("a.b users[0].x");
    assert_int_equal(l.t[1].kind, TOK_OP);
    assert_int_equal(l.t[1].op, OP_DOT);
    assert_int_equal(l.t[7].op, OP_DOT);
    assert_string_equal(l.t[8].str, "x");
    sluice_arena_unref(l.arena);
}

static void test_expr_lex_unquotes_back_quoted_names(void **state)
{
    struct lexed l = lex_ok("`odd name`.`a``b`");
    assert_int_equal(l.t[0].kind, TOK_QWORD);
    assert_string_equal(l.t[0].str, "odd name");
    assert_string_equal(l.t[2].str, "a`b");
    sluice_arena_unref(l.arena);
}

static void test_expr_lex_reports_an_unterminated_string_at_its_quote(void **state)
{
    lex_error("x = 'abc", "unterminated string starting at character 5", 5);
}

static void test_expr_lex_reports_an_unterminated_back_quote(void **state)
{
    lex_error("`abc", "unterminated back-quote starting at character 1", 1);
}

static void test_expr_lex_reports_an_unexpected_character(void **state)
{
    lex_error("a # b", "unexpected character '#' at character 3", 3);
    lex_error("é", "unexpected character 'é' at character 1", 1);
}

static void test_expr_lex_reports_a_malformed_number(void **state)
{
    lex_error("x + 12abc", "malformed number '12a' at character 5", 5);
    lex_error("1.5L", "malformed number '1.5L' at character 1: a fraction cannot be a long", 1);
}

static void test_expr_lex_skips_comments_as_spark_does(void **state)
{
    struct lexed l = lex_ok("a -- b + c\n+ /* d /* nested */ e */ f--");
    int kinds[] = { TOK_WORD, TOK_OP, TOK_WORD, TOK_EOF };
    assert_int_equal(l.n, 4);
    for (int i = 0; i < l.n; i++) assert_int_equal(l.t[i].kind, kinds[i]);
    assert_string_equal(l.t[2].str, "f");
    assert_int_equal(l.t[1].pos, 12);
    sluice_arena_unref(l.arena);
    lex_error("a /* b /* c */", "unterminated comment starting at character 3", 3);
    /* a minus before a minus is two minuses only with a space between */
    l = lex_ok("1 - -2");
    assert_int_equal(l.n, 5);
    sluice_arena_unref(l.arena);
}

/* SQL reads statements with the same lexer (sql.c). */
static void test_expr_tokenize_gives_sql_kinds_and_byte_spans(void **state)
{
    struct sluice_expr_tok *t;
    size_t n;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_expr_tokenize("SELECT `a b`, 'é', 1.5 FROM t;", &t, &n, &err), SLUICE_OK);
    enum sluice_expr_tok_kind kinds[] = { SLUICE_TOK_WORD, SLUICE_TOK_QUOTED, SLUICE_TOK_PUNCT, SLUICE_TOK_STRING,
                                          SLUICE_TOK_PUNCT, SLUICE_TOK_NUMBER, SLUICE_TOK_WORD, SLUICE_TOK_WORD,
                                          SLUICE_TOK_PUNCT };
    assert_int_equal(n, 9);
    for (size_t i = 0; i < n; i++) assert_int_equal(t[i].kind, kinds[i]);
    assert_int_equal(t[3].off, 14);
    assert_int_equal(t[3].len, 4); /* 'é' is four bytes */
    assert_int_equal(t[8].off, 30);
    free(t);
    assert_int_equal(sluice_expr_tokenize("x 'y", &t, &n, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "unterminated string starting at character 3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expr_lex_splits_words_operators_and_literals_with_positions),
        cmocka_unit_test(test_expr_lex_counts_positions_in_characters_not_bytes),
        cmocka_unit_test(test_expr_lex_reads_every_multi_character_operator),
        cmocka_unit_test(test_expr_lex_unescapes_strings_as_spark_does),
        cmocka_unit_test(test_expr_lex_keeps_a_nul_escape_inside_the_string_length),
        cmocka_unit_test(test_expr_lex_reads_integers_decimals_and_suffixes),
        cmocka_unit_test(test_expr_lex_reads_a_dot_after_a_name_as_a_path_step),
        cmocka_unit_test(test_expr_lex_unquotes_back_quoted_names),
        cmocka_unit_test(test_expr_lex_reports_an_unterminated_string_at_its_quote),
        cmocka_unit_test(test_expr_lex_reports_an_unterminated_back_quote),
        cmocka_unit_test(test_expr_lex_reports_an_unexpected_character),
        cmocka_unit_test(test_expr_lex_reports_a_malformed_number),
        cmocka_unit_test(test_expr_lex_skips_comments_as_spark_does),
        cmocka_unit_test(test_expr_tokenize_gives_sql_kinds_and_byte_spans),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
