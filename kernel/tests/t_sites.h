/*
 * t_sites.h - what the site tests share (t_patch.c defines it).
 */
#ifndef PVK_T_SITES_H
#define PVK_T_SITES_H

#include <types.h>

/* all_nops - is p[0..len) a whole number of the recommended NOPs (Intel
 * SDM Vol. 2B, "NOP"), decoded from byte literals? */
bool all_nops(const u8 *p, size_t len);

#endif /* PVK_T_SITES_H */
