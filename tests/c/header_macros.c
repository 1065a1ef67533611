/* Compiles rike.h as strict C11 (-Wall -Wextra -Werror -pedantic) and
 * checks the header's version macros against the library's runtime
 * functions, and the result strings of every result code.
 *
 * SPDX-License-Identifier: MIT OR Apache-2.0 */

#include "rike.h"
#include "rike.h" /* the include guard makes a second inclusion harmless */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                             \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond);  \
            failures++;                                                         \
        }                                                                       \
    } while (0)

/* The macros are usable in preprocessor conditions. */
#if !defined(RIKE_VERSION_MAJOR) || !defined(RIKE_VERSION_MINOR) ||                         \
    !defined(RIKE_VERSION_PATCH) || !defined(RIKE_VERSION_NUMBER) ||                        \
    !defined(RIKE_VERSION_STRING) || !defined(RIKE_ABI_VERSION)
#error "rike.h lacks a version macro"
#endif
#if RIKE_VERSION_NUMBER != ((RIKE_VERSION_MAJOR << 16) | (RIKE_VERSION_MINOR << 8) | RIKE_VERSION_PATCH)
#error "RIKE_VERSION_NUMBER is not MAJOR << 16 | MINOR << 8 | PATCH"
#endif
#if RIKE_VERSION_MINOR > 255 || RIKE_VERSION_PATCH > 255
#error "a version part does not fit its 8 bits"
#endif

/* And in constant expressions. */
_Static_assert(RIKE_VERSION_NUMBER ==
                   ((RIKE_VERSION_MAJOR << 16) | (RIKE_VERSION_MINOR << 8) | RIKE_VERSION_PATCH),
               "packed version");
_Static_assert(RIKE_ABI_VERSION >= 1, "ABI version");
_Static_assert(RIKE_RESULT_OK == 0, "RIKE_RESULT_OK is 0");
_Static_assert(sizeof(rike_result) == 4 && sizeof(rike_carrier) == 4, "32-bit enums");
_Static_assert(sizeof(rike_pdu_info) == 24, "rike_pdu_info layout");
_Static_assert(offsetof(rike_pdu_info, time_ns) == 8 && offsetof(rike_pdu_info, reported_len) == 20,
               "rike_pdu_info layout");
/* The same layout as Wireshark's range_string (4.0 and later). */
_Static_assert(sizeof(rike_range_name) == 24 && offsetof(rike_range_name, name) == 16,
               "rike_range_name layout");
_Static_assert(sizeof(rike_expert_group) == 4 && RIKE_EXPERT_GROUP_REASSEMBLE == 5,
               "rike_expert_group");
_Static_assert(offsetof(rike_record, value) == 16 && offsetof(rike_record, text) == 32,
               "rike_record layout");

/* Every value of enum rike_result in the header. */
static const unsigned all_results[] = {
    RIKE_RESULT_OK,          RIKE_RESULT_DONE,          RIKE_RESULT_NULL_PARAMETER,
    RIKE_RESULT_INVALID_PARAMETER, RIKE_RESULT_INSUFFICIENT_SIZE, RIKE_RESULT_ALREADY_USED,
    RIKE_RESULT_WRONG_STATE, RIKE_RESULT_REENTRANT,     RIKE_RESULT_MALFORMED,
    RIKE_RESULT_TRUNCATED,   RIKE_RESULT_PANIC,         RIKE_RESULT_POISONED,
    RIKE_RESULT_UNKNOWN_SA,  RIKE_RESULT_UNKNOWN_CHILD, RIKE_RESULT_UNKNOWN_REQUEST,
    RIKE_RESULT_UNKNOWN_NAME, RIKE_RESULT_LIMIT,        RIKE_RESULT_CRYPTO,
    RIKE_RESULT_UNSUPPORTED,
};

int main(void) {
    const char *v = rike_version();
    size_t i, j;
    const size_t n = sizeof all_results / sizeof all_results[0];
    char buf[64];

    printf("header %s (0x%06x, ABI %d), library %s (0x%06x, ABI %u)\n", RIKE_VERSION_STRING,
           (unsigned)RIKE_VERSION_NUMBER, RIKE_ABI_VERSION, v ? v : "(null)",
           (unsigned)rike_version_number(), (unsigned)rike_abi_version());

    CHECK(v != NULL);
    CHECK(v && strcmp(RIKE_VERSION_STRING, v) == 0);
    CHECK(RIKE_VERSION_NUMBER == rike_version_number());
    CHECK(RIKE_ABI_VERSION == rike_abi_version());
    CHECK(rike_version_number() == (((uint32_t)RIKE_VERSION_MAJOR << 16) |
                                    ((uint32_t)RIKE_VERSION_MINOR << 8) |
                                    (uint32_t)RIKE_VERSION_PATCH));
    /* The string is exactly the three macros. */
    snprintf(buf, sizeof buf, "%d.%d.%d", RIKE_VERSION_MAJOR, RIKE_VERSION_MINOR,
             RIKE_VERSION_PATCH);
    CHECK(strcmp(buf, RIKE_VERSION_STRING) == 0);
    /* Static: the same pointer every time. */
    CHECK(rike_version() == v);

    for (i = 0; i < n; i++) {
        const char *s = rike_result_str(all_results[i]);
        CHECK(s != NULL);
        if (!s) {
            continue;
        }
        CHECK(s[0] != '\0');
        CHECK(strcmp(s, "unknown result") != 0);
        for (j = 0; j < i; j++) {
            CHECK(strcmp(s, rike_result_str(all_results[j])) != 0);
        }
    }
    {
        static const unsigned unknown[] = {2, 99, 102 + 50, 199, 202, 301, 402, 899, 902, 12345,
                                           0x7fffffffu, 0xffffffffu};
        for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
            const char *s = rike_result_str(unknown[i]);
            CHECK(s != NULL && strcmp(s, "unknown result") == 0);
        }
    }
    if (failures) {
        fprintf(stderr, "header_macros (C): %d checks FAILED\n", failures);
        return 1;
    }
    printf("header_macros (C): ok\n");
    return 0;
}
