/* Ways around an exec filter, each reporting what the kernel answered.
 * escapes int80 PATH ARG   execve through the 32-bit table (int $0x80)
 * escapes untraced         clone(CLONE_UNTRACED)
 * escapes clone3           clone3
 * escapes memfd FILE ARGV0 ARG...   copy FILE into a memfd, execveat(fd, "", AT_EMPTY_PATH)
 * Prints "refused: ERRNO" or runs; exits 0 when the call was refused. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char path32[4096], arg32[256];
static uint32_t av32[3];

int main(int argc, char **argv) {
    if (argc < 2) return 64;
    if (!strcmp(argv[1], "int80") && argc >= 4) {
        strncpy(path32, argv[2], sizeof path32 - 1);
        strncpy(arg32, argv[3], sizeof arg32 - 1);
        av32[0] = (uint32_t)(uintptr_t)path32;
        av32[1] = (uint32_t)(uintptr_t)arg32;
        av32[2] = 0;
        long ret;
        __asm__ volatile("int $0x80" : "=a"(ret) : "a"(11), "b"(path32), "c"(av32), "d"(0) : "memory");
        printf("refused: %ld\n", -ret);
        return ret < 0 ? 0 : 1;
    }
    if (!strcmp(argv[1], "untraced")) {
        long r = syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0);
        if (r == 0) _exit(0);
        if (r > 0) { waitpid(r, NULL, 0); printf("cloned\n"); return 1; }
        printf("refused: %d\n", errno);
        return 0;
    }
    if (!strcmp(argv[1], "clone3")) {
        long r = syscall(435, NULL, 0);
        printf("refused: %d\n", errno);
        return r < 0 && errno == ENOSYS ? 0 : 1;
    }
    if (!strcmp(argv[1], "memfd") && argc >= 4) {
        int src = open(argv[2], O_RDONLY);
        int fd = memfd_create("tool", 0);
        char buf[65536];
        ssize_t n;
        while ((n = read(src, buf, sizeof buf)) > 0) write(fd, buf, n);
        syscall(SYS_execveat, fd, "", argv + 3, (char *[]){NULL}, AT_EMPTY_PATH);
        printf("refused: %d\n", errno);
        return 0;
    }
    return 64;
}
