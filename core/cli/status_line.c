/* The live status line on a terminal. See status_line.h. */
#include "status_line.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "progress.h"
#include "timefmt.h"
#include "watermark.h"

static bool enabled;
static bool showing;

void sluice_status_line_enable(bool on)
{
    if (!on) sluice_status_line_clear();
    enabled = on;
}

/* 1234567 as "1,234,567". */
static void put_grouped(struct sluice_buf *out, int64_t v)
{
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? 0 : v));
    for (int i = 0; i < n; i++) {
        if (i && (n - i) % 3 == 0) sluice_buf_putc(out, ',');
        sluice_buf_putc(out, digits[i]);
    }
}

void sluice_status_line_format(const struct sluice_progress_batch *b, struct sluice_buf *out)
{
    sluice_buf_printf(out, "sluice: batch %lld | ", (long long)b->batch_id);
    /* The stream's rate: rows over the time since the previous batch
     * started; the first batch has only its own duration. */
    int64_t us = b->since_previous_us > 0 ? b->since_previous_us : b->duration_us;
    put_grouped(out, us > 0 ? (int64_t)((double)b->input_rows * 1e6 / (double)us + 0.5) : b->input_rows);
    sluice_buf_puts(out, " rows/s");
    if (b->has_watermark) {
        char ts[40];
        if (b->watermark == SLUICE_WATERMARK_NONE) snprintf(ts, sizeof ts, "none yet");
        else sluice_time_format_show(b->watermark, ts);
        sluice_buf_printf(out, " | watermark %s", ts);
    }
    if (b->n_state) {
        int64_t rows = 0;
        for (size_t i = 0; i < b->n_state; i++) rows += b->state[i].rows_total;
        sluice_buf_puts(out, " | ");
        put_grouped(out, rows);
        sluice_buf_puts(out, " state rows");
    }
}

static void put(const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(STDERR_FILENO, s, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

void sluice_status_line_show(const struct sluice_progress_batch *b)
{
    if (!enabled) return;
    struct sluice_buf line = { 0 };
    sluice_buf_puts(&line, "\r\x1b[K");
    size_t start = line.len;
    sluice_status_line_format(b, &line);
    /* A line that wraps cannot be redrawn with \r: keep it inside the terminal. */
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 && line.len - start >= ws.ws_col)
        line.len = start + ws.ws_col - 1;
    put(line.data, line.len);
    sluice_buf_free(&line);
    showing = true;
}

void sluice_status_line_clear(void)
{
    if (!showing) return;
    put("\r\x1b[K", 4);
    showing = false;
}
