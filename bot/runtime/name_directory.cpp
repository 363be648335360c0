#include "bot/runtime/name_directory.hpp"

#include "bot/core/text.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace firebreak {

namespace {

// Display names longer than this are cut: Slack allows 80 characters, Matrix any length.
constexpr std::size_t max_display_name_bytes = 128;

}  // namespace

void name_directory::learn(chat_adapter& adapter, const std::vector<user_ref>& people) {
    if (people.empty()) return;
    const auto platform = adapter.platform();
    try {
        // Without the names already known nobody is asked: they may all be known.
        if (!on(platform)) return;
        for (const auto& u : people) {
            if (!asked_.emplace(platform, u.id).second) continue;
            std::weak_ptr<const bool> alive = alive_;
            adapter.display_name(u, [this, alive, platform, u](std::optional<std::string> name) {
                if (alive.expired()) return;
                remember(platform, u, name);
            });
        }
    } catch (const std::exception& e) {
        spdlog::warn("display names on {}: {}; people are shown by id", platform, e.what());
    }
}

void name_directory::remember(const std::string& platform, const user_ref& user,
                              const std::optional<std::string>& answer) {
    // No answer is not retried this run: the postmortem shows the id, as before.
    if (!answer) return;
    std::string name = clean_line(*answer, max_display_name_bytes);
    if (name.empty() || name == user.id) return;  // nothing a reader would gain
    try {
        if (const auto* known = on(platform))
            if (auto it = known->find(user.id); it != known->end() && it->second == name) return;
        store_.put_display_name(platform, user, name, clock_.now());
        names_[platform][user.id] = name;
        asked_.emplace(platform, user.id);
        spdlog::debug("{} on {} is {}", user, platform, name);
    } catch (const std::exception& e) {
        // Runs inside an adapter's completion handler: nothing may escape it.
        spdlog::warn("cannot store the display name of {} on {}: {}", user, platform, e.what());
    }
}

const std::map<std::string, std::string>* name_directory::on(const std::string& platform) {
    auto [it, fresh] = names_.try_emplace(platform);
    if (fresh) {
        try {
            it->second = store_.display_names(platform);
            for (const auto& [id, name] : it->second) asked_.emplace(platform, id);
        } catch (const std::exception& e) {
            // Asked again next time; until then people are shown by id.
            names_.erase(it);
            spdlog::warn("display names on {}: {}; people are shown by id", platform, e.what());
            return nullptr;
        }
    }
    return &it->second;
}

std::string name_directory::without_mentions(const rich_text& body, const std::string& platform) {
    const auto* names = on(platform);
    return body.plain([names](const std::string& id) {
        if (!names) return "@" + id;
        auto it = names->find(id);
        if (it == names->end()) return "@" + id;
        auto shared = std::count_if(names->begin(), names->end(), [&](const auto& kv) { return kv.second == it->second; });
        return shared > 1 ? fmt::format("{} (@{})", it->second, id) : it->second;
    });
}

}  // namespace firebreak
