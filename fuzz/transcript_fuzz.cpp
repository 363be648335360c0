// libFuzzer target: a JSONL transcript for `firebreak replay`: read_transcript, then each line through the
// engine's decision as the replay runs it.
// The body is shared with the regression test (tests/fuzz/regressions_test.cpp): see targets.hpp.
#include "fuzz/targets.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    return firebreak::fuzz::transcript(data, size);
}
