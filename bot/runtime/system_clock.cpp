#include "bot/runtime/system_clock.hpp"

namespace firebreak {

instant system_clock::now() const {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()) + offset_;
}

}  // namespace firebreak
