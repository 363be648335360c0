#include "bot/core/visibility.hpp"

#include <fmt/format.h>

namespace firebreak {

bool may_see(const incident& inc, const viewer& who, const std::set<std::string>& admins) {
    if (!inc.is_private) return true;
    if (who.user.empty()) return true;
    if (admins.count(who.user.id) > 0) return true;
    if (inc.members.count(who.user) > 0) return true;
    return !who.room.empty() && inc.owns_room(who.room);
}

bool room_may_read(const incident& inc, const room_ref& room, bool direct) {
    if (!inc.is_private) return true;
    return direct || inc.owns_room(room);
}

std::string not_visible_line(std::int64_t number) {
    return fmt::format("There is no INC-{} you can see.", number);
}

}  // namespace firebreak
