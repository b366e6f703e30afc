/* plugins/file/s3_store.h — the S3 store's state, shared by s3_store.c
 * (listing, sizes, reading) and s3_clean.c (clean_source: archiving and
 * deleting objects). Private to the file source. */
#ifndef SLUICE_PLUGIN_S3_STORE_H
#define SLUICE_PLUGIN_S3_STORE_H

#include <pthread.h>

#include "file_store.h"
#include "s3_client.h"

/* Connections kept for reuse (one per worker in practice). */
#define CONN_POOL_MAX 64

struct s3_conn {
    CURLM *multi;
    CURL *easy;
};

struct size_slot {
    char *name;
    int64_t size;
};

struct s3_store {
    struct file_store base;
    struct s3_client client;
    char bucket[64];
    char *prefix;       /* "" or ending in '/' */
    char *dir;          /* how the source names the folder: conf->path without trailing '/' */
    char *archive;      /* clean_source = "archive": the key prefix archived objects go under, no final '/' */
    int64_t poll_interval_us;
    CURL *main;         /* lists and HEADs, on the main thread */
    pthread_mutex_t lock;
    struct s3_conn *pool[CONN_POOL_MAX];
    size_t pool_n;
    /* Sizes the listings gave, by name: planning needs no HEAD per object. */
    struct size_slot *sizes;
    size_t sizes_n, sizes_slots;
};

/* `s` (n bytes) without its trailing slashes, allocated (NULL: out of memory). */
char *s3_dup_trimmed(const char *s, size_t n);

/* The store's set_archive and clean (file_store.h). */
int s3_store_set_archive(struct file_store *base, const char *dir, struct sluice_error *err);
int s3_store_clean(struct file_store *base, const char *path, const char *abs, struct sluice_error *err);

#endif
