#pragma once
// What the runtime tests share: the bundled example, one engine over a store file
// with a buffered console adapter, and the events a person types.
#include "adapters/console/console_adapter.hpp"
#include "bot/runtime/engine.hpp"
#include "bot/runtime/example_transcript.hpp"
#include "bot/runtime/local_runs.hpp"
#include "storage/sqlite_store.hpp"

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

namespace firebreak::testing {

/// The bundled example transcript.
inline transcript example() {
    std::istringstream in{std::string(example_transcript)};
    return read_transcript(in);
}

/// The settings of the demo: an announcement room on the console.
inline engine_settings demo_settings() {
    engine_settings s;
    s.announcement_rooms["console"] = room_ref{"console", "announcements"};
    return s;
}

/// maya says `text` in #general at `at` (a command when it starts with "!incident").
inline chat_event said_in_general(const std::string& event_id, const std::string& text, instant at) {
    chat_event ev;
    ev.kind = event_kind::message;
    ev.event_id = event_id;
    ev.room = room_ref{"console", "general"};
    ev.user = user_ref{"maya"};
    ev.text = text;
    ev.at = at;
    return ev;
}

/// One engine over one store file with a buffered console adapter, as a process would
/// hold them; a second rig on the same file is a restart. Drafts are a stub.
struct console_rig {
    sqlite_store store;
    manual_clock clk;
    std::ostringstream out;
    console_adapter adapter;
    engine eng;
    console_rig(const std::string& db, const std::filesystem::path& files, instant start = from_unix_ms(0))
        : store(db), clk(start), adapter(out, clk, files, true), eng(store, demo_settings(), clk) {
        eng.add_adapter(adapter);
        eng.set_renderer([](const incident& inc, incident_store&) {
            rendered_document d;
            d.filename = inc.id.str() + ".md";
            d.format = "md";
            d.content = "# " + inc.id.str();
            d.summary.text("draft");
            return d;
        });
        // Rooms of incidents from before the restart exist again.
        for (const auto& [n, inc] : eng.state().incidents)
            if (auto r = inc.room_on("console")) adapter.ensure_room(r->id);
        adapter.ensure_room("announcements");
    }
    /// Everything the bot posted, one line each: time, room, text.
    std::vector<std::string> said() const {
        std::vector<std::string> r;
        for (const auto& p : adapter.posts()) r.push_back(format_utc(p.at) + " #" + p.room + " " + p.text);
        return r;
    }
};

}  // namespace firebreak::testing
