/* riked configuration file reader (format in conf.h).
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0 */

#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *path;
    char *text;
    size_t pos, len;
    int line;
    char *err;
    size_t errlen;
} lexer;

/* The next token: a word, a quoted string, "{" or "}". Returns 0 at the
 * end, 1 with a token in `tok`, -1 on error. `*newline` tells whether a
 * line ended before the token. */
static int next(lexer *lx, char *tok, size_t toklen, int *newline) {
    *newline = 0;
    for (;;) {
        if (lx->pos >= lx->len) {
            return 0;
        }
        char ch = lx->text[lx->pos];
        if (ch == '\n') {
            lx->line++;
            *newline = 1;
            lx->pos++;
        } else if (ch == '#') {
            while (lx->pos < lx->len && lx->text[lx->pos] != '\n') {
                lx->pos++;
            }
        } else if (isspace((unsigned char)ch)) {
            lx->pos++;
        } else {
            break;
        }
    }
    size_t n = 0;
    char ch = lx->text[lx->pos];
    if (ch == '{' || ch == '}') {
        tok[0] = ch;
        tok[1] = '\0';
        lx->pos++;
        return 1;
    }
    if (ch == '"') {
        lx->pos++;
        while (lx->pos < lx->len && lx->text[lx->pos] != '"' && lx->text[lx->pos] != '\n') {
            if (n + 1 >= toklen) {
                snprintf(lx->err, lx->errlen, "%s:%d: string too long", lx->path, lx->line);
                return -1;
            }
            tok[n++] = lx->text[lx->pos++];
        }
        if (lx->pos >= lx->len || lx->text[lx->pos] != '"') {
            snprintf(lx->err, lx->errlen, "%s:%d: unterminated string", lx->path, lx->line);
            return -1;
        }
        lx->pos++;
        tok[n] = '\0';
        return 1;
    }
    while (lx->pos < lx->len) {
        ch = lx->text[lx->pos];
        if (isspace((unsigned char)ch) || ch == '{' || ch == '}' || ch == '#' || ch == '"') {
            break;
        }
        if (n + 1 >= toklen) {
            snprintf(lx->err, lx->errlen, "%s:%d: word too long", lx->path, lx->line);
            return -1;
        }
        tok[n++] = ch;
        lx->pos++;
    }
    tok[n] = '\0';
    return 1;
}

static int fail(lexer *lx, const char *fmt, ...) {
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(lx->err, lx->errlen, "%s:%d: %s", lx->path, lx->line, msg);
    return -1;
}

/* The value after a key, on the same line. */
static int value(lexer *lx, const char *key, char *out, size_t outlen) {
    int nl;
    int r = next(lx, out, outlen, &nl);
    if (r < 0) {
        return -1;
    }
    if (r == 0 || nl || strcmp(out, "{") == 0 || strcmp(out, "}") == 0) {
        return fail(lx, "'%s' needs a value", key);
    }
    return 0;
}

static int yesno(lexer *lx, const char *key, int *out) {
    char v[16];
    if (value(lx, key, v, sizeof v) < 0) {
        return -1;
    }
    if (strcmp(v, "yes") == 0) {
        *out = 1;
    } else if (strcmp(v, "no") == 0) {
        *out = 0;
    } else {
        return fail(lx, "'%s' is yes or no, not '%s'", key, v);
    }
    return 0;
}

/* "90", "90s", "5m", "4h", "1500ms" -> milliseconds. */
static int duration(lexer *lx, const char *key, uint64_t *ms) {
    char v[32];
    if (value(lx, key, v, sizeof v) < 0) {
        return -1;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || end == v) {
        return fail(lx, "'%s': '%s' is not a duration", key, v);
    }
    uint64_t mul;
    if (strcmp(end, "") == 0 || strcmp(end, "s") == 0) {
        mul = 1000;
    } else if (strcmp(end, "ms") == 0) {
        mul = 1;
    } else if (strcmp(end, "m") == 0) {
        mul = 60000;
    } else if (strcmp(end, "h") == 0) {
        mul = 3600000;
    } else {
        return fail(lx, "'%s': unknown unit in '%s'", key, v);
    }
    *ms = (uint64_t)n * mul;
    return 0;
}

static int expect_open(lexer *lx, const char *what) {
    char tok[8];
    int nl;
    if (next(lx, tok, sizeof tok, &nl) != 1 || strcmp(tok, "{") != 0) {
        return fail(lx, "'%s' needs a name and '{'", what);
    }
    return 0;
}

static int child_block(lexer *lx, riked_child_conf *c) {
    if (expect_open(lx, "child") < 0) {
        return -1;
    }
    char key[64];
    int nl, r;
    while ((r = next(lx, key, sizeof key, &nl)) == 1) {
        if (strcmp(key, "}") == 0) {
            return 0;
        } else if (strcmp(key, "local_ts") == 0) {
            r = value(lx, key, c->local_ts, sizeof c->local_ts);
        } else if (strcmp(key, "remote_ts") == 0) {
            r = value(lx, key, c->remote_ts, sizeof c->remote_ts);
        } else if (strcmp(key, "esp") == 0) {
            r = value(lx, key, c->esp, sizeof c->esp);
        } else if (strcmp(key, "mode") == 0) {
            char v[16];
            r = value(lx, key, v, sizeof v);
            if (r == 0) {
                if (strcmp(v, "tunnel") == 0) {
                    c->transport_mode = 0;
                } else if (strcmp(v, "transport") == 0) {
                    c->transport_mode = 1;
                } else {
                    return fail(lx, "mode is tunnel or transport");
                }
            }
        } else if (strcmp(key, "rekey") == 0) {
            r = duration(lx, key, &c->rekey_ms);
        } else if (strcmp(key, "lifetime") == 0) {
            r = duration(lx, key, &c->lifetime_ms);
        } else {
            return fail(lx, "unknown child setting '%s'", key);
        }
        if (r < 0) {
            return -1;
        }
    }
    return r < 0 ? -1 : fail(lx, "child block not closed");
}

static int add_path(lexer *lx, const char *key, char list[][RIKED_STR], size_t *n) {
    if (*n >= RIKED_MAX_LIST) {
        return fail(lx, "too many '%s' entries", key);
    }
    if (value(lx, key, list[*n], RIKED_STR) < 0) {
        return -1;
    }
    (*n)++;
    return 0;
}

static int peer_block(lexer *lx, riked_peer_conf *p) {
    if (expect_open(lx, "peer") < 0) {
        return -1;
    }
    char key[64];
    int nl, r;
    while ((r = next(lx, key, sizeof key, &nl)) == 1) {
        if (strcmp(key, "}") == 0) {
            if (p->local_id[0] == '\0') {
                return fail(lx, "peer '%s' has no local_id", p->name);
            }
            if (p->aggressive && !p->ikev1) {
                return fail(lx, "peer '%s': aggressive needs ikev1 yes", p->name);
            }
            return 0;
        } else if (strcmp(key, "remote") == 0) {
            r = value(lx, key, p->remote, sizeof p->remote);
        } else if (strcmp(key, "local_id") == 0) {
            r = value(lx, key, p->local_id, sizeof p->local_id);
        } else if (strcmp(key, "remote_id") == 0) {
            r = value(lx, key, p->remote_id, sizeof p->remote_id);
        } else if (strcmp(key, "psk") == 0) {
            r = value(lx, key, p->psk, sizeof p->psk);
            p->has_psk = 1;
        } else if (strcmp(key, "key") == 0) {
            r = value(lx, key, p->key, sizeof p->key);
        } else if (strcmp(key, "external_key") == 0) {
            r = yesno(lx, key, &p->external_key);
        } else if (strcmp(key, "cert") == 0) {
            r = add_path(lx, key, p->certs, &p->ncerts);
        } else if (strcmp(key, "ca") == 0) {
            r = add_path(lx, key, p->cas, &p->ncas);
        } else if (strcmp(key, "psk_lookup") == 0) {
            r = yesno(lx, key, &p->psk_lookup);
        } else if (strcmp(key, "ike") == 0) {
            r = value(lx, key, p->ike, sizeof p->ike);
        } else if (strcmp(key, "auto") == 0) {
            char v[16];
            r = value(lx, key, v, sizeof v);
            if (r == 0) {
                if (strcmp(v, "start") == 0) {
                    p->auto_start = 1;
                } else if (strcmp(v, "add") == 0) {
                    p->auto_start = 0;
                } else {
                    return fail(lx, "auto is start or add");
                }
            }
        } else if (strcmp(key, "transport") == 0) {
            char v[16];
            r = value(lx, key, v, sizeof v);
            if (r == 0) {
                if (strcmp(v, "tcp") == 0) {
                    p->tcp = 1;
                } else if (strcmp(v, "udp") == 0) {
                    p->tcp = 0;
                } else {
                    return fail(lx, "transport is udp or tcp");
                }
            }
        } else if (strcmp(key, "encap") == 0) {
            r = yesno(lx, key, &p->encap);
        } else if (strcmp(key, "rekey") == 0) {
            r = duration(lx, key, &p->rekey_ms);
        } else if (strcmp(key, "dpd") == 0) {
            r = duration(lx, key, &p->dpd_ms);
        } else if (strcmp(key, "ikev1") == 0) {
            r = yesno(lx, key, &p->ikev1);
        } else if (strcmp(key, "aggressive") == 0) {
            r = yesno(lx, key, &p->aggressive);
        } else if (strcmp(key, "child") == 0) {
            if (p->nchildren >= RIKED_MAX_CHILDREN) {
                return fail(lx, "too many children");
            }
            riked_child_conf *c = &p->children[p->nchildren++];
            r = value(lx, key, c->name, sizeof c->name);
            if (r == 0) {
                r = child_block(lx, c);
            }
        } else {
            return fail(lx, "unknown peer setting '%s'", key);
        }
        if (r < 0) {
            return -1;
        }
    }
    return r < 0 ? -1 : fail(lx, "peer block not closed");
}

int riked_conf_load(const char *path, riked_conf *c, char *err, size_t errlen) {
    memset(c, 0, sizeof *c);
    c->xfrm = 1;
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    lexer lx;
    memset(&lx, 0, sizeof lx);
    lx.path = path;
    lx.line = 1;
    lx.err = err;
    lx.errlen = errlen;
    size_t cap = 4096;
    lx.text = (char *)malloc(cap);
    size_t got;
    while (lx.text && (got = fread(lx.text + lx.len, 1, cap - lx.len, f)) > 0) {
        lx.len += got;
        if (lx.len == cap) {
            if (cap >= (1u << 20)) {
                break;
            }
            char *nt = (char *)realloc(lx.text, cap * 2);
            if (!nt) {
                break;
            }
            lx.text = nt;
            cap *= 2;
        }
    }
    fclose(f);
    if (!lx.text) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char key[64];
    int nl, r;
    int rc = 0;
    while ((r = next(&lx, key, sizeof key, &nl)) == 1) {
        if (strcmp(key, "listen") == 0) {
            rc = value(&lx, key, c->listen, sizeof c->listen);
        } else if (strcmp(key, "keys") == 0) {
            rc = value(&lx, key, c->keys, sizeof c->keys);
        } else if (strcmp(key, "tcp") == 0) {
            rc = yesno(&lx, key, &c->tcp);
        } else if (strcmp(key, "xfrm") == 0) {
            rc = yesno(&lx, key, &c->xfrm);
        } else if (strcmp(key, "peer") == 0) {
            if (c->npeers >= RIKED_MAX_PEERS) {
                rc = fail(&lx, "too many peers");
            } else {
                riked_peer_conf *p = &c->peers[c->npeers++];
                rc = value(&lx, key, p->name, sizeof p->name);
                if (rc == 0) {
                    rc = peer_block(&lx, p);
                }
                /* riked holds one signing key for the engine's sign
                 * requests, which do not name the peer. */
                for (size_t i = 0; rc == 0 && p->external_key && i + 1 < c->npeers; i++) {
                    if (c->peers[i].external_key) {
                        rc = fail(&lx, "peer '%s': only one peer may use external_key (peer '%s' does)",
                                  p->name, c->peers[i].name);
                    }
                }
            }
        } else if (strcmp(key, "secret") == 0) {
            if (c->nsecrets >= RIKED_MAX_SECRETS) {
                rc = fail(&lx, "too many secrets");
            } else {
                riked_secret *s = &c->secrets[c->nsecrets++];
                rc = value(&lx, key, s->id, sizeof s->id);
                if (rc == 0) {
                    rc = value(&lx, key, s->psk, sizeof s->psk);
                }
            }
        } else {
            rc = fail(&lx, "unknown setting '%s'", key);
        }
        if (rc < 0) {
            break;
        }
    }
    free(lx.text);
    if (r < 0 || rc < 0) {
        return -1;
    }
    if (c->listen[0] == '\0') {
        snprintf(err, errlen, "%s: no 'listen' address", path);
        return -1;
    }
    if (c->npeers == 0) {
        snprintf(err, errlen, "%s: no peer", path);
        return -1;
    }
    return 0;
}
