/*
 * pvops/errno.h - the error numbers libpvops returns (negated), with the
 * Linux values, so the freestanding build needs no libc.
 */
#ifndef PVOPS_ERRNO_H
#define PVOPS_ERRNO_H

#ifndef E2BIG
#define E2BIG 7
#endif
#ifndef EIO
#define EIO 5
#endif
#ifndef ENOMEM
#define ENOMEM 12
#endif
#ifndef EFAULT
#define EFAULT 14
#endif
#ifndef EINVAL
#define EINVAL 22
#endif
#ifndef ENOSPC
#define ENOSPC 28
#endif
#ifndef ERANGE
#define ERANGE 34
#endif

#endif /* PVOPS_ERRNO_H */
