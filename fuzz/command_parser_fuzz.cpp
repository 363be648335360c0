// libFuzzer target: commands/parser.hpp parse_command and the update field parser on arbitrary text, then the
// command through the engine's decision.
// The body is shared with the regression test (tests/fuzz/regressions_test.cpp): see targets.hpp.
#include "fuzz/targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return firebreak::fuzz::command_parser(data, size);
}
