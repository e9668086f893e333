/* One thread, four connections, many requests in flight: the event-loop form
 * of the generated layer (<function>_send) driven by poll(). Each connection
 * keeps up to DEPTH point reads queued; when one is answered its completion
 * sends the next, so the loop never waits on a single request. `make demo`
 * runs it (it needs a database migrated to head, with DATABASE_URL set).
 *
 * The shape carries over to epoll, libuv or libevent: watch sc_conn_socket
 * for sc_conn_events, wake after sc_conn_poll_timeout_ms at the latest, and
 * call sc_conn_process when it is ready. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "schemac.h"
#include "sm_collections.h"
#include "sm_users.h"

enum { CONNS = 4, DEPTH = 16, REQUESTS = 20000 };

static const char *const COLLECTION = "7c1d2e3f-4a5b-4c6d-8e7f-00000000e001";

typedef struct server {
    sc_conn *conns[CONNS];
    int32_t user;
    int sent, answered, failed;
} server;

/* One request in flight: where its row goes and what it runs on. */
typedef struct slot {
    server *srv;
    sc_conn *conn;
    sc_arena *arena;
    sm_collection row;
} slot;

static void answered(void *ctx, int status, const sc_error *err);

/* Queues the next read on the slot's connection, if any are left. */
static void send_next(slot *s)
{
    server *srv = s->srv;
    if (srv->sent == REQUESTS)
        return;
    sc_error err = {0};
    sc_arena_reset(s->arena);
    int rc = sm_collections_get_by_uuid_with_permission_check_send(
        s->conn, s->arena, COLLECTION, srv->user, &s->row, answered, s, &err);
    if (rc != SC_OK) {
        fprintf(stderr, "event_loop: send: %s\n", err.message);
        srv->failed++;
    }
    srv->sent++;
}

static void answered(void *ctx, int status, const sc_error *err)
{
    slot *s = ctx;
    s->srv->answered++;
    if (status != SC_OK) {
        fprintf(stderr, "event_loop: %s\n", err->message);
        s->srv->failed++;
    }
    send_next(s);
}

/* Waits for any connection with work and processes the ready ones. */
static void turn(server *srv)
{
    struct pollfd fds[CONNS];
    int timeout = -1;
    for (int i = 0; i < CONNS; i++) {
        fds[i] = (struct pollfd){sc_conn_socket(srv->conns[i]), sc_conn_events(srv->conns[i]), 0};
        int t = sc_conn_poll_timeout_ms(srv->conns[i]);
        if (t >= 0 && (timeout < 0 || t < timeout))
            timeout = t;
    }
    if (poll(fds, CONNS, timeout) < 0)
        return;
    for (int i = 0; i < CONNS; i++) {
        sc_error err = {0};
        if (sc_conn_in_flight(srv->conns[i]) && sc_conn_process(srv->conns[i], &err) != SC_OK)
            fprintf(stderr, "event_loop: connection %d: %s\n", i, err.message);
    }
}

static bool busy(const server *srv)
{
    for (int i = 0; i < CONNS; i++)
        if (sc_conn_in_flight(srv->conns[i]))
            return true;
    return false;
}

/* The user and collection the reads look up (blocking calls, before the loop). */
static int seed(sc_conn *c, server *srv, sc_error *err)
{
    sc_arena *a = sc_arena_new(0);
    sm_user u;
    int rc = sm_users_get_by_username(c, a, "event_loop", &u, err);
    if (rc == SC_NOT_FOUND) {
        sc_error_clear(err);
        sm_user_new nu = {.username = "event_loop", .email = "event_loop@example.org",
                          .hashed_password = "x"};
        rc = sm_users_create(c, a, &nu, &u, err);
    }
    sm_collection col;
    if (rc == SC_OK)
        rc = sm_collections_get_by_uuid(c, a, COLLECTION, &col, err);
    if (rc == SC_NOT_FOUND) {
        sc_error_clear(err);
        sm_collection_new nc = {.id = COLLECTION, .name = "event loop", .owner_id = u.id,
                                .vector_store_name = "col_event_loop", .embedding_model = "m"};
        rc = sm_collections_create(c, a, &nc, &col, err);
    }
    srv->user = u.id;
    sc_arena_free(a);
    return rc;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    sc_pool_config cfg;
    sc_error err = {0};
    sc_pool *pool = NULL;
    if (sc_pool_config_from_env(&cfg, &err) != SC_OK)
        return fprintf(stderr, "event_loop: %s\n", err.message), 1;
    cfg.pool_size = CONNS;
    int rc = sc_pool_open(&cfg, &pool, &err);
    sc_pool_config_cleanup(&cfg);
    server srv = {0};
    for (int i = 0; rc == SC_OK && i < CONNS; i++)
        rc = sc_pool_acquire(pool, &srv.conns[i], &err);
    if (rc == SC_OK)
        rc = seed(srv.conns[0], &srv, &err);
    if (rc != SC_OK)
        return fprintf(stderr, "event_loop: %s\n", err.message), 1;
    static slot slots[CONNS * DEPTH];
    for (int i = 0; i < CONNS * DEPTH; i++) {
        slots[i] = (slot){&srv, srv.conns[i % CONNS], sc_arena_new(0), {0}};
        send_next(&slots[i]);
    }
    double t0 = now();
    while (busy(&srv))
        turn(&srv);
    double took = now() - t0;
    printf("event_loop: %d point reads on %d connections from one thread (%d in flight each): "
           "%.0f/s, %d failed\n",
           srv.answered, CONNS, DEPTH, srv.answered / took, srv.failed);
    for (int i = 0; i < CONNS * DEPTH; i++)
        sc_arena_free(slots[i].arena);
    for (int i = 0; i < CONNS; i++)
        sc_pool_release(pool, srv.conns[i]);
    sc_pool_close(pool);
    return srv.failed || srv.answered != REQUESTS ? 1 : 0;
}
