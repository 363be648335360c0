// libFuzzer target: a Matrix /sync body: decode_sync and readable_body, then the engine's decision on its events.
// The body is shared with the regression test (tests/fuzz/regressions_test.cpp): see targets.hpp.
#include "fuzz/targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return firebreak::fuzz::matrix_sync(data, size);
}
