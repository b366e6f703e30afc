/* Schemas built by hand for the builder and render tests, without the
 * schema module (tested on its own): S(format, name, n, child...) takes
 * nodes from static pools that reset_schemas (a cmocka setup) empties.
 * Header-only: each test is its own binary. */
#ifndef SLUICE_TESTS_SCHEMA_TESTUTIL_H
#define SLUICE_TESTS_SCHEMA_TESTUTIL_H

#include <stdarg.h>
#include <string.h>

#include <sluice/arrow.h>

static struct ArrowSchema schema_nodes[64];
static struct ArrowSchema *schema_ptrs[128];
static int n_schema_nodes, n_schema_ptrs;

static int reset_schemas(void **state)
{
    (void)state;
    n_schema_nodes = n_schema_ptrs = 0;
    return 0;
}

/* A nullable node named `name` whose n children follow. */
static struct ArrowSchema *S(const char *format, const char *name, int n, ...)
{
    struct ArrowSchema *s = &schema_nodes[n_schema_nodes++];
    memset(s, 0, sizeof *s);
    s->format = format;
    s->name = name;
    s->flags = ARROW_FLAG_NULLABLE;
    s->n_children = n;
    s->children = &schema_ptrs[n_schema_ptrs];
    n_schema_ptrs += n;
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) s->children[i] = va_arg(ap, struct ArrowSchema *);
    va_end(ap);
    return s;
}

#endif
