/* Leak detection while the service runs (HikariCP's leakDetectionThreshold):
 * a connection borrowed for longer than leak_detection_s is logged once per
 * borrow with its age, backend pid, what acquired it and the last statement
 * it ran. A housekeeping thread checks at a quarter of the threshold; it
 * exists only when the threshold is set. */
#include <errno.h>
#include <string.h>

#include "internal.h"

static void report_locked(sc_pool *p, sc_conn *c, double age)
{
    c->leak_reported_at = c->acquired_at;
    sc_log(p, SC_LOG_WARN,
           "connection held for %.3f s (leak_detection_s %.3f): backend pid %d, acquired by "
           "%s, last statement %s",
           age, p->cfg.leak_detection_s, c->backend_pid, c->tag ? c->tag : "(untagged)",
           c->last_stmt ? c->last_stmt : "(none)");
}

int sc_pool_check_leaks(sc_pool *p)
{
    if (!p || p->cfg.leak_detection_s <= 0)
        return 0;
    int reported = 0;
    pthread_mutex_lock(&p->mu);
    double now = sc_now();
    for (sc_conn *c = p->borrowed; c; c = c->next) {
        double age = now - c->acquired_at;
        if (c->acquired_at > 0 && age > p->cfg.leak_detection_s &&
            c->leak_reported_at != c->acquired_at) {
            report_locked(p, c, age);
            reported++;
        }
    }
    pthread_mutex_unlock(&p->mu);
    return reported;
}

static void *housekeeper(void *arg)
{
    sc_pool *p = arg;
    double period = p->cfg.leak_detection_s / 4;
    pthread_mutex_lock(&p->leak_mu);
    while (!p->leak_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        double at = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + period;
        ts.tv_sec = (time_t)at;
        ts.tv_nsec = (long)((at - (double)ts.tv_sec) * 1e9);
        int rc = pthread_cond_timedwait(&p->leak_wake, &p->leak_mu, &ts);
        if (rc == ETIMEDOUT && !p->leak_stop) {
            pthread_mutex_unlock(&p->leak_mu);
            sc_pool_check_leaks(p);
            pthread_mutex_lock(&p->leak_mu);
        }
    }
    pthread_mutex_unlock(&p->leak_mu);
    return NULL;
}

int sc_leak_start(sc_pool *p)
{
    if (p->cfg.leak_detection_s <= 0)
        return SC_OK;
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return SC_NO_MEMORY;
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&p->leak_wake, &attr);
    pthread_condattr_destroy(&attr);
    if (rc != 0)
        return SC_NO_MEMORY;
    if (pthread_mutex_init(&p->leak_mu, NULL) != 0) {
        pthread_cond_destroy(&p->leak_wake);
        return SC_NO_MEMORY;
    }
    p->leak_stop = false;
    if (pthread_create(&p->leak_thread, NULL, housekeeper, p) != 0) {
        pthread_mutex_destroy(&p->leak_mu);
        pthread_cond_destroy(&p->leak_wake);
        return SC_NO_MEMORY;
    }
    p->leak_running = true;
    return SC_OK;
}

void sc_leak_stop(sc_pool *p)
{
    if (!p->leak_running)
        return;
    pthread_mutex_lock(&p->leak_mu);
    p->leak_stop = true;
    pthread_cond_signal(&p->leak_wake);
    pthread_mutex_unlock(&p->leak_mu);
    pthread_join(p->leak_thread, NULL);
    pthread_mutex_destroy(&p->leak_mu);
    pthread_cond_destroy(&p->leak_wake);
    p->leak_running = false;
}

int sc_pool_acquire_tagged(sc_pool *p, const char *tag, sc_conn **out, sc_error *err)
{
    int rc = sc_pool_acquire(p, out, err);
    if (rc == SC_OK)
        (*out)->tag = tag;
    return rc;
}
