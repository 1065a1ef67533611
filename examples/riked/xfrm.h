/* Child SAs into the Linux kernel through XFRM netlink: two ESP states
 * (inbound and outbound) and the policies of their traffic selectors.
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0 */

#ifndef RIKED_XFRM_H
#define RIKED_XFRM_H

#include "rike.h"

#include <stddef.h>
#include <stdint.h>

#define XFRM_MAX_TS 4

/* What was installed for one Child SA (copied from the event, whose data
 * is borrowed), enough to remove it again. */
typedef struct {
    uint64_t child;
    uint32_t reqid;
    uint32_t spi_in, spi_out;
    uint8_t mode; /* rike_ipsec_mode */
    rike_addr local, remote;
    rike_ts local_ts[XFRM_MAX_TS], remote_ts[XFRM_MAX_TS];
    size_t nlocal, nremote;
    int sa_in, sa_out; /* installed */
    int policies;      /* installed */
} xfrm_child;

typedef struct {
    int fd;
    uint32_t seq;
} xfrm_t;

/* Opens the XFRM netlink socket; -errno on failure. */
int xfrm_open(xfrm_t *x);
void xfrm_close(xfrm_t *x);

/* Installs the states and policies of Child SA `c` (borrowed event data)
 * and fills `*out`. Returns 0, or -errno of the first request the kernel
 * refused (everything installed so far is removed again); `err` then
 * says which request and why. */
int xfrm_install(xfrm_t *x, uint64_t child, const rike_child_sa *c, uint32_t reqid, xfrm_child *out,
                 char *err, size_t errlen);

/* Removes what `xfrm_install` installed (policies first). Returns 0 or
 * the first -errno. */
int xfrm_remove(xfrm_t *x, xfrm_child *ic);

/* True for the errors a kernel without ESP (or without the algorithm)
 * gives: ENOSYS, EPROTONOSUPPORT, ENOENT, EINVAL... */
int xfrm_is_unsupported(int neg_errno);

#endif
