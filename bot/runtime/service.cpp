#include "bot/runtime/service.hpp"

#include <fmt/format.h>
#include <ostream>

namespace firebreak {

int run_check_config(const std::string& path, const env_lookup& env, std::ostream& out, std::ostream& err) {
    firebreak_config c;
    try {
        c = load_config_file(path, env);
    } catch (const config_error& e) {
        err << e.what() << "\n";
        return 2;
    }
    out << fmt::format("{}: OK\n", path);
    out << fmt::format("  database      {}\n  documents     {}\n  ops endpoint  http://{}/\n  log           {} ({})\n",
                       c.database, c.documents_dir, c.ops_listen, c.log_level, c.log_format);
    if (c.slack.enabled)
        out << fmt::format("  slack         {} · bot token from {} · app token from {}{}\n", c.slack.api_base_url,
                           c.slack.bot_token.origin, c.slack.app_token.origin,
                           c.slack.announcement_channel.empty() ? "" : " · announcements in " + c.slack.announcement_channel);
    else
        out << "  slack         disabled\n";
    if (c.matrix.enabled)
        out << fmt::format("  matrix        {} as {} · token from {}{}\n", c.matrix.homeserver, c.matrix.user_id,
                           c.matrix.access_token.origin,
                           c.matrix.announcement_room.empty() ? "" : " · announcements in " + c.matrix.announcement_room);
    else
        out << "  matrix        disabled\n";
    for (int i = 0; i < 4; ++i) {
        const auto& t = c.settings.nudges[std::size_t(i)];
        auto show = [](duration d) { return d.count() > 0 ? format_span(d) : std::string("off"); };
        out << fmt::format("  SEV{} nudges   update every {} · rotation after {} · no commander after {}\n", i + 1,
                           show(t.update_every), show(t.rotation_after), show(t.no_commander_after));
    }
    return 0;
}

}  // namespace firebreak
