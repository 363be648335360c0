// libFuzzer target: a firebreak.toml: parse_config (config_error is an answer, anything else a crash), then
// the engine's decision with the settings it gave.
// The body is shared with the regression test (tests/fuzz/regressions_test.cpp): see targets.hpp.
#include "fuzz/targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return firebreak::fuzz::config(data, size);
}
