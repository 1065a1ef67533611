// Compiles rike.h as strict C++17 (-Wall -Wextra -Werror -pedantic) and
// checks the header's version macros against the library's runtime
// functions, the result strings, and that the C API is usable from C++
// (extern "C" linkage, typed enums, opaque handles).
//
// SPDX-License-Identifier: MIT OR Apache-2.0

#include "rike.h"
#include "rike.h"  // the include guard makes a second inclusion harmless

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <type_traits>

static int failures;

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            std::fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__,    \
                         #cond);                                               \
            failures++;                                                        \
        }                                                                      \
    } while (0)

static_assert(RIKE_VERSION_NUMBER ==
                  ((RIKE_VERSION_MAJOR << 16) | (RIKE_VERSION_MINOR << 8) |
                   RIKE_VERSION_PATCH),
              "RIKE_VERSION_NUMBER is MAJOR << 16 | MINOR << 8 | PATCH");
static_assert(RIKE_VERSION_MINOR <= 255 && RIKE_VERSION_PATCH <= 255,
              "version parts fit 8 bits");
static_assert(RIKE_ABI_VERSION >= 1, "ABI version");
// In C++ the enums are real enums with a 32-bit underlying type.
static_assert(std::is_enum<rike_result>::value, "rike_result is an enum");
static_assert(std::is_same<std::underlying_type<rike_result>::type,
                           std::uint32_t>::value,
              "rike_result is 32 bits");
static_assert(std::is_same<std::underlying_type<rike_carrier>::type,
                           std::uint32_t>::value,
              "rike_carrier is 32 bits");
static_assert(sizeof(rike_pdu_info) == 24, "rike_pdu_info layout");
static_assert(offsetof(rike_record, text) == 32, "rike_record layout");
static_assert(std::is_same<decltype(&rike_version), const char *(*)()>::value,
              "rike_version signature");
static_assert(std::is_same<decltype(&rike_capture_dissect),
                           rike_result (*)(rike_capture *, const rike_pdu_info *,
                                           const std::uint8_t *, std::size_t,
                                           rike_dissection **)>::value,
              "rike_capture_dissect signature");

int main() {
    const char *v = rike_version();
    std::printf("header %s, library %s\n", RIKE_VERSION_STRING,
                v ? v : "(null)");
    CHECK(v != nullptr);
    CHECK(v && std::strcmp(RIKE_VERSION_STRING, v) == 0);
    CHECK(RIKE_VERSION_NUMBER == rike_version_number());
    CHECK(RIKE_ABI_VERSION == rike_abi_version());
    CHECK(rike_version_number() ==
          ((std::uint32_t(RIKE_VERSION_MAJOR) << 16) |
           (std::uint32_t(RIKE_VERSION_MINOR) << 8) |
           std::uint32_t(RIKE_VERSION_PATCH)));
    CHECK(std::to_string(RIKE_VERSION_MAJOR) + "." +
              std::to_string(RIKE_VERSION_MINOR) + "." +
              std::to_string(RIKE_VERSION_PATCH) ==
          RIKE_VERSION_STRING);

    const rike_result all[] = {
        RIKE_RESULT_OK,          RIKE_RESULT_DONE,
        RIKE_RESULT_NULL_PARAMETER, RIKE_RESULT_INVALID_PARAMETER,
        RIKE_RESULT_INSUFFICIENT_SIZE, RIKE_RESULT_ALREADY_USED,
        RIKE_RESULT_WRONG_STATE, RIKE_RESULT_REENTRANT,
        RIKE_RESULT_MALFORMED,   RIKE_RESULT_TRUNCATED,
        RIKE_RESULT_PANIC,       RIKE_RESULT_POISONED,
        RIKE_RESULT_UNKNOWN_SA,  RIKE_RESULT_UNKNOWN_CHILD,
        RIKE_RESULT_UNKNOWN_REQUEST, RIKE_RESULT_UNKNOWN_NAME,
        RIKE_RESULT_LIMIT,       RIKE_RESULT_CRYPTO,
        RIKE_RESULT_UNSUPPORTED,
    };
    const std::size_t n = sizeof all / sizeof all[0];
    for (std::size_t i = 0; i < n; i++) {
        const char *s = rike_result_str(all[i]);
        CHECK(s != nullptr);
        if (!s) continue;
        CHECK(s[0] != '\0');
        CHECK(std::strcmp(s, "unknown result") != 0);
        for (std::size_t j = 0; j < i; j++) {
            CHECK(std::strcmp(s, rike_result_str(all[j])) != 0);
        }
    }
    for (std::uint32_t u : {2u, 99u, 199u, 202u, 899u, 902u, 0xffffffffu}) {
        const char *s = rike_result_str(u);
        CHECK(s != nullptr && std::strcmp(s, "unknown result") == 0);
    }

    // A round trip through the handles from C++.
    rike_capture *cap = nullptr;
    CHECK(rike_capture_new(&cap) == RIKE_RESULT_OK);
    const std::uint8_t keepalive[] = {0xff};
    rike_pdu_info info{};
    info.frame = 1;
    info.carrier = RIKE_CARRIER_UDP_ENCAP;
    rike_dissection *d = nullptr;
    CHECK(rike_capture_dissect(cap, &info, keepalive, sizeof keepalive, &d) ==
          RIKE_RESULT_OK);
    std::size_t nrec = 0;
    const rike_record *rec = rike_dissection_records(d, &nrec);
    CHECK(rec != nullptr && nrec == 1);
    if (rec && nrec == 1) {
        const rike_field_info *f = rike_field_get(rec[0].field);
        CHECK(f != nullptr && std::strcmp(f->abbrev, "rike.nat_keepalive") == 0);
        CHECK(f != nullptr && f->kind == RIKE_FIELD_KIND_UINT8);
    }
    rike_dissection_free(d);
    rike_capture_free(cap);
    CHECK(rike_capture_new(nullptr) == RIKE_RESULT_NULL_PARAMETER);

    if (failures) {
        std::fprintf(stderr, "header_macros (C++): %d checks FAILED\n", failures);
        return 1;
    }
    std::printf("header_macros (C++): ok\n");
    return 0;
}
