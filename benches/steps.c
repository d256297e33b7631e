// steps PROGRAM ARGS...: run PROGRAM under ptrace single-stepping, on this CPU, and print
// the address of every instruction it executes until it execs another program (or exits).
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: steps PROGRAM ARGS...\n"); return 2; }
    pid_t pid = fork();
    if (pid == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        execvp(argv[1], argv + 1);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0); // stopped at its exec
    ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL);
    for (;;) {
        struct user_regs_struct regs;
        ptrace(PTRACE_GETREGS, pid, 0, &regs);
        printf("%llx\n", regs.rip);
        ptrace(PTRACE_SINGLESTEP, pid, 0, 0);
        if (waitpid(pid, &st, 0) < 0 || WIFEXITED(st) || WIFSIGNALED(st)) break;
        if (st >> 8 == (SIGTRAP | (PTRACE_EVENT_EXEC << 8))) break; // it exec'd the real tool
    }
    kill(pid, SIGKILL);
    return 0;
}
