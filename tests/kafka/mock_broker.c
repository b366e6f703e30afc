/* A Kafka cluster on loopback for the tests: librdkafka's mock cluster,
 * which speaks the Kafka protocol on real TCP ports, so sluice and kcat
 * connect to it as to any broker.
 *
 *   mock_broker [--brokers N] [--topic NAME:PARTITIONS]...
 *
 * Prints the bootstrap servers on the first line of stdout, then reads
 * commands from stdin, one per line, answering "ok" or "error: ..." on
 * stdout:
 *   topic NAME PARTITIONS   create a topic
 *   down ID | up ID         take broker ID (1..N) down or bring it back
 *   quit                    stop
 * It stops at "quit", at the end of stdin (so a test that dies takes it
 * with it) and on SIGTERM/SIGINT.
 *
 * Known behaviour of the mock (librdkafka 2.0): each partition keeps about
 * 5 MiB (older messages are deleted, as retention would); no transactions;
 * the first consumer group assignment can take a few seconds. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int create_topic(rd_kafka_mock_cluster_t *m, const char *name, int partitions)
{
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(m, name, partitions, 1);
    if (e) fprintf(stderr, "mock_broker: cannot create topic '%s': %s\n", name, rd_kafka_err2str(e));
    return e ? -1 : 0;
}

/* NAME:PARTITIONS */
static int topic_arg(rd_kafka_mock_cluster_t *m, const char *arg)
{
    const char *colon = strrchr(arg, ':');
    int parts = colon ? atoi(colon + 1) : 1;
    if (!colon || parts < 1) {
        fprintf(stderr, "mock_broker: --topic takes NAME:PARTITIONS, got '%s'\n", arg);
        return -1;
    }
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)(colon - arg), arg);
    return create_topic(m, name, parts);
}

static void command(rd_kafka_mock_cluster_t *m, int brokers, char *line, int *quit)
{
    char verb[32] = "", a[256] = "";
    int n = 0;
    int got = sscanf(line, "%31s %255s %d", verb, a, &n);
    int id = atoi(a);
    if (got >= 1 && strcmp(verb, "quit") == 0) {
        *quit = 1;
        puts("ok");
    } else if (got == 3 && strcmp(verb, "topic") == 0) {
        puts(create_topic(m, a, n) ? "error: cannot create the topic" : "ok");
    } else if (got == 2 && (strcmp(verb, "down") == 0 || strcmp(verb, "up") == 0) && id >= 1 && id <= brokers) {
        rd_kafka_resp_err_t e = strcmp(verb, "down") == 0 ? rd_kafka_mock_broker_set_down(m, id)
                                                          : rd_kafka_mock_broker_set_up(m, id);
        if (e) printf("error: %s\n", rd_kafka_err2str(e));
        else puts("ok");
    } else {
        printf("error: unknown command '%s'\n", line);
    }
    fflush(stdout);
}

int main(int argc, char **argv)
{
    int brokers = 3;
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--brokers") == 0) brokers = atoi(argv[++i]);
    if (brokers < 1) brokers = 1;
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "mock_broker: %s\n", err);
        return 1;
    }
    rd_kafka_mock_cluster_t *m = rd_kafka_mock_cluster_new(rk, brokers);
    if (!m) {
        fprintf(stderr, "mock_broker: cannot start the mock cluster\n");
        rd_kafka_destroy(rk);
        return 1;
    }
    int rc = 0;
    for (int i = 1; i + 1 < argc && !rc; i++)
        if (strcmp(argv[i], "--topic") == 0) rc = topic_arg(m, argv[++i]);
    if (!rc) {
        printf("%s\n", rd_kafka_mock_cluster_bootstraps(m));
        fflush(stdout);
        /* SIGTERM and SIGINT end the read below, like the end of stdin. */
        struct sigaction sa = { .sa_handler = SIG_DFL };
        sigaction(SIGTERM, &sa, NULL);
        char line[512];
        int quit = 0;
        while (!quit && fgets(line, sizeof line, stdin)) {
            line[strcspn(line, "\r\n")] = '\0';
            if (line[0]) command(m, brokers, line, &quit);
        }
    }
    rd_kafka_mock_cluster_destroy(m);
    rd_kafka_destroy(rk);
    return rc ? 1 : 0;
}
