/* The argv-rewrite race: a second thread rewrites an argument while the exec is under way,
 * after guard's gate may have read it. Usage: race TARGET SAFE EVIL N [vfork]
 * fork mode: each child starts a flipper thread and execs TARGET SAFE.
 * vfork mode: a multi-threaded parent vforks; its flipper thread rewrites the argument the
 * vfork child (sharing the parent's memory) is exec'ing. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char arg[64];
static const char *evil;
static volatile long delay_ns;
static volatile int go;

static void *flip(void *unused) {
    (void)unused;
    while (!go) { }
    struct timespec t = {0, delay_ns};
    nanosleep(&t, NULL);
    memcpy(arg, evil, strlen(evil) + 1);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 5) return 64;
    const char *target = argv[1], *safe = argv[2];
    evil = argv[3];
    int n = atoi(argv[4]), use_vfork = argc > 5;
    for (int i = 0; i < n; i++) {
        delay_ns = (i * 7919L) % 400000; /* 0 to 400 us, spread */
        strcpy(arg, safe);
        go = 0;
        char *av[] = {(char *)target, arg, NULL};
        if (use_vfork) {
            pthread_t th;
            pthread_create(&th, NULL, flip, NULL);
            go = 1;
            pid_t p = vfork();
            if (p == 0) { execv(target, av); _exit(127); }
            int st;
            waitpid(p, &st, 0);
            pthread_join(th, NULL);
        } else {
            pid_t p = fork();
            if (p == 0) {
                pthread_t th;
                pthread_create(&th, NULL, flip, NULL);
                go = 1;
                execv(target, av);
                _exit(127);
            }
            int st;
            waitpid(p, &st, 0);
        }
    }
    return 0;
}
