#include "bot/runtime/allocator.hpp"

#include <malloc.h>

namespace firebreak {

void tune_allocator() {
    constexpr int trim_threshold = 4 * 1024 * 1024;
    // Setting it fixes the mmap threshold at its 128 KiB default too (glibc stops adapting
    // it), so large one-off buffers such as a rendered postmortem still go back at once.
    mallopt(M_TRIM_THRESHOLD, trim_threshold);
}

}  // namespace firebreak
