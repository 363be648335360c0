#pragma once
// Instants for tests, built from civil UTC fields without going through the
// parsers under test.
#include "bot/core/time.hpp"

#include <chrono>

namespace firebreak::test {

/// The UTC instant y-mo-d h:mi:s.ms.
inline instant utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0, int ms = 0) {
    using namespace std::chrono;
    return instant{sys_days{year{y} / month{mo} / day{d}}.time_since_epoch()} + hours{h} + minutes{mi} +
           seconds{s} + milliseconds{ms};
}

}  // namespace firebreak::test
