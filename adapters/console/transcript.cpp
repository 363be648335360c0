#include "adapters/console/transcript.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace firebreak {

namespace {

constexpr std::size_t max_line = 64 * 1024;

std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

// Optional string field; sets `error` when present with another type.
std::optional<std::string> str_field(const boost::json::object& o, std::string_view key, std::string& error) {
    auto it = o.find(key);
    if (it == o.end() || it->value().is_null()) return {};
    if (!it->value().is_string()) {
        error = fmt::format("\"{}\" must be a string", key);
        return {};
    }
    return std::string(it->value().get_string());
}

std::optional<std::int64_t> incident_room(std::string_view room) {
    if (room.size() < 5 || (room.substr(0, 4) != "INC-" && room.substr(0, 4) != "inc-")) return {};
    std::int64_t n = 0;
    for (char c : room.substr(4)) {
        if (c < '0' || c > '9' || n > 1'000'000'000) return {};
        n = n * 10 + (c - '0');
    }
    return n > 0 ? std::optional<std::int64_t>(n) : std::nullopt;
}

// Room and user names are printed in terminals and exports: no spaces, no controls.
bool plain_name(std::string_view s) {
    if (s.empty() || s.size() > 200) return false;
    for (unsigned char c : s)
        if (c <= 0x20 || c == 0x7F) return false;
    return true;
}

}  // namespace

bool console_highlight(std::string_view r) {
    return r == "pushpin" || r == ":pushpin:" || r == "round_pushpin" || r == ":round_pushpin:" || r == "📌" ||
           r == "📍";
}

transcript read_transcript(std::istream& in, std::string_view platform) {
    transcript out;
    std::string line;
    std::size_t no = 0;
    while (std::getline(in, line)) {
        ++no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        auto fail = [&](std::string msg) { out.errors.push_back({no, std::move(msg)}); };
        if (line.size() > max_line) {
            fail(fmt::format("line is {} bytes; at most {} are read", line.size(), max_line));
            continue;
        }
        boost::system::error_code ec;
        auto value = boost::json::parse(line, ec);
        if (ec) {
            fail("not JSON: " + ec.message());
            continue;
        }
        if (!value.is_object()) {
            fail("not a JSON object");
            continue;
        }
        const auto& o = value.get_object();
        std::string err;
        auto time = str_field(o, "time", err);
        auto room = str_field(o, "room", err);
        auto user = str_field(o, "user", err);
        auto text = str_field(o, "text", err);
        auto id = str_field(o, "id", err);
        auto thread = str_field(o, "thread", err);
        auto react = str_field(o, "react", err);
        auto target = str_field(o, "target", err);
        auto edit = str_field(o, "edit", err);
        auto del = str_field(o, "delete", err);
        auto unreact = str_field(o, "unreact", err);
        if (!err.empty()) {
            fail(err);
            continue;
        }
        if (!time || !room || !user) {
            fail("needs \"time\", \"room\" and \"user\"");
            continue;
        }
        auto at = parse_iso(*time);
        if (!at) {
            fail(fmt::format("\"time\" is not an ISO 8601 time with offset: {}", time->substr(0, 40)));
            continue;
        }
        if (!plain_name(*room) || !plain_name(*user)) {
            fail("\"room\" and \"user\" must be 1-200 characters without spaces or control characters");
            continue;
        }
        transcript_line tl;
        tl.line_no = no;
        tl.incident = incident_room(*room);
        auto& ev = tl.event;
        ev.event_id = fmt::format("replay:{}:{:016x}", no, fnv1a(line));
        ev.room = room_ref{std::string(platform), *room};
        ev.user = user_ref{*user};
        ev.at = *at;
        if (react || unreact) {
            if (!target) {
                fail("a reaction needs \"target\" (the id of the message reacted to)");
                continue;
            }
            ev.kind = event_kind::reaction;
            ev.reaction = react ? *react : *unreact;
            ev.reaction_added = react.has_value();
            ev.highlight = console_highlight(ev.reaction);
            ev.msg = message_id{*target};
        } else if (edit) {
            if (!text) {
                fail("an edit needs \"text\"");
                continue;
            }
            ev.kind = event_kind::edit;
            ev.msg = message_id{*edit};
            ev.text = *text;
        } else if (del) {
            ev.kind = event_kind::remove;
            ev.msg = message_id{*del};
        } else {
            if (!text) {
                fail("a message needs \"text\"");
                continue;
            }
            ev.kind = event_kind::message;
            ev.text = *text;
            ev.msg = message_id{id ? *id : fmt::format("L{}", no)};
            if (thread) ev.thread_parent = message_id{*thread};
        }
        out.lines.push_back(std::move(tl));
    }
    return out;
}

}  // namespace firebreak
