// libFuzzer target: a Slack Socket Mode frame: decode_frame, then translate_event / translate_command /
// translate_interaction on its payload, readable_text and channel_name, then the engine's decision.
// The body is shared with the regression test (tests/fuzz/regressions_test.cpp): see targets.hpp.
#include "fuzz/targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return firebreak::fuzz::slack_envelope(data, size);
}
