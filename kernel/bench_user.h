/* bench_user.h - bench=user's counts, for its programs and its C side. */
#ifndef PVK_BENCH_USER_H
#define PVK_BENCH_USER_H

#define BENCH_SYSCALLS 10000   /* getpid round trips in one run */
#define BENCH_FAULTS   256     /* demand-zero page faults in one run */

#endif
