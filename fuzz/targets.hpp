#pragma once
// The body of each libFuzzer target, shared by the fuzz mains in fuzz/*_fuzz.cpp and by
// tests/fuzz/regressions_test.cpp, which replays every seed (fuzz/corpus/<target>/) and
// every crash kept (fuzz/regressions/<target>/) in the normal build. Header-only, so the
// test needs no source of its own besides the test file.
//
// Each target decodes its bytes the way the product does, then runs what it decoded
// through the pure core — apply(), fold(), the nudges that fall due — on a small world
// holding one incident, and renders the outbound messages the way the adapter would.
// A crash anywhere on the path from bytes to wire is found, not only in the decoder.
// Nothing here reads a clock, the environment or the network.
#include "adapters/console/transcript.hpp"
#include "adapters/matrix/matrix_wire.hpp"
#include "adapters/slack/slack_errors.hpp"
#include "adapters/slack/slack_events.hpp"
#include "adapters/slack/slack_forms.hpp"
#include "adapters/slack/slack_frames.hpp"
#include "adapters/slack/slack_render.hpp"
#include "bot/core/engine_state.hpp"
#include "bot/runtime/config.hpp"
#include "commands/dispatcher.hpp"
#include "commands/parser.hpp"
#include "commands/update_fields.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace firebreak::fuzz {

/// One fuzz target: its name (the folder under fuzz/corpus and fuzz/regressions) and body.
struct target {
    std::string_view name;
    int (*run)(const std::uint8_t* data, std::size_t size);
};

namespace detail {

// Bounds that keep one input cheap: the fuzzer should spend its time on new inputs.
constexpr std::size_t max_events = 32;   // decoded events run through the core per input
constexpr std::size_t max_lines = 16;    // command lines run one by one
constexpr std::size_t max_nudges = 64;   // nudges sent per input

/// 2026-11-22 14:00:00 UTC: the engine's "now" in every target.
inline instant fixed_now() { return from_unix_ms(1'795'356'000'000); }

/// A broken promise of a documented contract: reported like a crash.
[[noreturn]] inline void broken(const char* what, std::string_view detail) {
    std::fprintf(stderr, "fuzz: %s: %.*s\n", what, int(std::min<std::size_t>(detail.size(), 200)), detail.data());
    std::abort();
}

/// The engine's view of one platform, holding one incident with its room bound.
struct world {
    engine_state state;
    engine_settings settings;
    std::string platform;
    room_ref general;        ///< where people talk outside incidents
    room_ref incident_room;  ///< the room of the incident, once bound
    std::vector<std::string> people;  ///< commander first
    int seq = 0;             ///< for event ids the world makes up
};

/// Renders an outbound message the way the platform's adapter would, and checks the
/// documented limits of what it produced.
inline void render(const world& w, const outbound& o) {
    (void)o.body.plain();
    if (w.platform == "slack") {
        auto blocks = slack::blocks_for(o.body);
        if (blocks.size() > 50) broken("slack::blocks_for: more than 50 blocks", o.body.plain());
        for (const auto& b : blocks) {
            const auto& bo = b.as_object();
            if (bo.at("type").as_string() != "section") continue;
            if (bo.at("text").as_object().at("text").as_string().size() > 3000)
                broken("slack::blocks_for: a section over 3,000 characters", o.body.plain());
        }
        if (o.op == outbound_op::open_room) {
            for (int attempt = 0; attempt < 3; ++attempt) {
                auto name = slack::channel_name(o.room_name, attempt);
                bool ok = !name.empty() && name.size() <= 80;
                for (unsigned char c : name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_');
                if (!ok) broken("slack::channel_name: not a Slack channel name", name);
            }
        }
    } else if (w.platform == "matrix") {
        (void)matrix::notice_content(o.body, o.thread.id);
        if (o.op == outbound_op::open_room) {
            auto alias = matrix::alias_localpart(o.room_name);
            if (alias.empty() || alias.size() > 80) broken("matrix::alias_localpart: empty or too long", alias);
        }
    }
}

/// The room id a platform gives the room opened for incident `n` named `name`.
inline std::string room_id_for(const world& w, std::int64_t n, const std::string& name) {
    if (w.platform == "slack") return "C0INC" + std::to_string(n);
    if (w.platform == "matrix") return "!inc" + std::to_string(n) + ":example.org";
    return name.empty() ? "incident" : name;
}

/// What the engine does with one event: apply, then fold (as after a commit), then
/// render; a room the change asks for is opened and bound, as delivery does.
inline void decide(world& w, const chat_event& ev, instant now) {
    change c = apply(w.state, ev, now, w.settings);
    fold(w.state, c, w.settings);
    std::vector<chat_event> bound;
    for (const auto& o : c.outbox) {
        render(w, o);
        if (o.op != outbound_op::open_room || !o.incident.n) continue;
        auto& b = bound.emplace_back();
        b.kind = event_kind::room_bound;
        b.event_id = "fuzz:bound:" + std::to_string(++w.seq);
        b.room = room_ref{w.platform, room_id_for(w, o.incident.n, o.room_name)};
        b.incident = o.incident;
        b.at = now;
    }
    for (const auto& b : bound) {
        c = apply(w.state, b, now, w.settings);
        fold(w.state, c, w.settings);
        for (const auto& o : c.outbox) render(w, o);
    }
}

/// Sends the nudges due at `now`, as the engine's tick does.
inline void tick(world& w, instant now) {
    std::size_t sent = 0;
    for (const auto& n : due_nudges(w.state, now, w.settings)) {
        if (++sent > max_nudges) break;
        change c = apply_nudge(w.state, n, now, w.settings);
        if (c.empty()) continue;
        fold(w.state, c, w.settings);
        for (const auto& o : c.outbox) render(w, o);
    }
    (void)next_nudge_at(w.state, w.settings);
}

/// A person says `text` in `room`.
inline chat_event message(world& w, const room_ref& room, const std::string& user, std::string text, instant at) {
    chat_event ev;
    ev.kind = event_kind::message;
    ev.event_id = "fuzz:" + std::to_string(++w.seq);
    ev.room = room;
    ev.user = user_ref{user};
    ev.at = at;
    ev.text = std::move(text);
    ev.msg = message_id{"fm" + std::to_string(w.seq)};
    return ev;
}

/// Runs a decoded event, and when it happened outside the incident room, the same event
/// once more as if it happened in it: the core's richest paths are in incident rooms,
/// and a fuzzer cannot guess the room id the world made up.
inline void decide_here_and_in_incident(world& w, chat_event ev, instant now) {
    decide(w, ev, now);
    if (ev.room == w.incident_room || w.incident_room.empty() || ev.kind == event_kind::room_bound) return;
    ev.room = w.incident_room;
    ev.event_id += ":in-incident";
    decide(w, ev, now);
}

/// A world on `platform` whose commander declared INC-1, a SEV1, in `general`; its room
/// is bound, and it has an update, a hypothesis and a scribe, so most commands have
/// something to act on.
inline world make_world(std::string platform, std::string general_room, std::vector<std::string> people,
                        engine_settings settings = {}) {
    world w;
    w.platform = std::move(platform);
    w.settings = std::move(settings);
    w.general = room_ref{w.platform, std::move(general_room)};
    w.people = std::move(people);
    auto now = fixed_now() - std::chrono::minutes{30};
    const auto& prefix = w.settings.command_prefix;
    decide(w, message(w, w.general, w.people[0], prefix + " declare Checkout API 5xx --sev 1", now), now);
    if (const incident* inc = w.state.find(1))
        if (auto r = inc->room_on(w.platform)) w.incident_room = *r;
    if (w.incident_room.empty()) return w;  // a config whose settings refuse the declaration
    for (const std::string& text : {std::string("update impact: checkout fails for 8% of users; next: 30m"),
                                    std::string("hypothesis connection pool exhausted after 2026.11.3"),
                                    "scribe @" + w.people[1]}) {
        now += std::chrono::minutes{1};
        decide(w, message(w, w.incident_room, w.people[0], prefix + " " + text, now), now);
    }
    return w;
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

}  // namespace detail

/// commands/parser.hpp and commands/update_fields.hpp on arbitrary text; then the text as
/// a command in the incident room and as a slash command elsewhere, the whole of it and
/// line by line (so one input can be a sequence of commands), by people with and
/// without a role.
inline int command_parser(const std::uint8_t* data, std::size_t size) {
    using namespace detail;
    auto text = as_text(data, size);
    auto now = fixed_now();
    auto parsed = parse_command(text);
    if (parsed.command && !parsed.command->spec) broken("parse_command: a command without a spec", text);
    (void)parse_update_fields(text, now);
    for (const auto& word : split_words(text)) {
        (void)parse_incident_ref(word);
        (void)parse_user_mention(word);
    }
    (void)is_command_text(text, "!incident");

    static const world start = make_world("console", "general", {"maya", "dev", "admin"},
                                          [] {
                                              engine_settings s;
                                              s.admins = {"admin"};
                                              s.announcement_rooms["console"] = room_ref{"console", "incidents"};
                                              return s;
                                          }());
    world w = start;
    const auto& prefix = w.settings.command_prefix;
    decide(w, message(w, w.incident_room, "maya", prefix + " " + std::string(text), now), now);
    chat_event slash = message(w, w.general, "dev", std::string(text), now);
    slash.kind = event_kind::command;
    slash.msg = {};
    decide(w, slash, now);
    std::size_t lines = 0;
    bool several = text.find('\n') != std::string_view::npos;
    for (std::size_t pos = 0; several && pos < text.size() && lines < max_lines; ++lines) {
        auto end = std::min(text.find('\n', pos), text.size());
        auto line = std::string(text.substr(pos, end - pos));
        pos = end + 1;
        now += std::chrono::minutes{3};
        const auto& who = w.people[lines % w.people.size()];
        decide(w, message(w, w.incident_room, who, prefix + " " + line, now), now);
    }
    tick(w, now + std::chrono::hours{3});
    return 0;
}

/// adapters/slack/slack_frames.hpp, slack_events.hpp, slack_forms.hpp, slack_render.hpp and
/// slack_errors.hpp: a Socket Mode frame decoded, its payload translated as an event, a slash
/// command and an interaction, and each result run through the core on a Slack world; the
/// text helpers on the raw bytes.
inline int slack_envelope(const std::uint8_t* data, std::size_t size) {
    using namespace detail;
    auto text = as_text(data, size);
    auto now = fixed_now();
    (void)slack::readable_text(text);
    (void)slack::form_for(text);
    (void)slack::classify(text);
    for (int attempt = 0; attempt < 2; ++attempt) {
        auto name = slack::channel_name(text, attempt);
        if (name.empty() || name.size() > 80) broken("slack::channel_name: empty or over 80 characters", name);
    }

    std::string error;
    auto f = slack::decode_frame(text, error);
    if (!f) return 0;
    (void)slack::ack_frame(f->envelope_id);
    static const world start = make_world("slack", "C0GENERAL", {"U0MAYA", "U0DEV", "U0ADMIN"}, [] {
        engine_settings s;
        s.admins = {"U0ADMIN"};
        s.announcement_rooms["slack"] = room_ref{"slack", "C0ANNOUNCE"};
        return s;
    }());
    world w = start;
    if (auto ev = slack::translate_event(f->payload, "U0BOT")) decide_here_and_in_incident(w, *ev, now);
    if (auto ev = slack::translate_command(f->payload, now)) decide_here_and_in_incident(w, *ev, now);
    (void)slack::form_request(f->payload);
    std::string why;
    if (auto ev = slack::translate_interaction(f->payload, now, &why)) decide_here_and_in_incident(w, *ev, now);
    if (auto view = f->payload.find("view"); view != f->payload.end() && view->value().is_object())
        (void)slack::submission_command(view->value().get_object(), error);
    tick(w, now + std::chrono::hours{3});
    return 0;
}

/// adapters/matrix/matrix_wire.hpp: a /sync body decoded and its events run through the
/// core on a Matrix world; readable_body on the bytes read as a message's content; the
/// error body helpers.
inline int matrix_sync(const std::uint8_t* data, std::size_t size) {
    using namespace detail;
    auto text = as_text(data, size);
    auto now = fixed_now();
    (void)matrix::errcode_of(text);
    (void)matrix::failure(429, text, std::string(text.substr(0, 16)), "fuzz");
    (void)matrix::server_of(text);
    auto alias = matrix::alias_localpart(text);
    if (alias.empty() || alias.size() > 80) broken("matrix::alias_localpart: empty or over 80 bytes", alias);

    boost::system::error_code ec;
    boost::json::parse_options lenient;
    lenient.allow_invalid_utf8 = true;
    auto v = boost::json::parse(text, ec, {}, lenient);
    if (!ec && v.is_object()) (void)matrix::readable_body(v.get_object());

    static const world start =
        make_world("matrix", "!general:example.org", {"maya:example.org", "dev:example.org", "admin:example.org"}, [] {
                       engine_settings s;
                       s.admins = {"admin:example.org"};
                       s.announcement_rooms["matrix"] = room_ref{"matrix", "!announce:example.org"};
                       return s;
                   }());
    const matrix::reaction_index known{{"$r0", {"$m0", "\xF0\x9F\x93\x8C"}}};
    std::string error;
    auto batch = matrix::decode_sync(text, "@firebreak:example.org", known, error);
    if (!batch) return 0;
    world w = start;
    std::size_t n = 0;
    for (const auto& ev : batch->events) {
        if (++n > max_events) break;
        decide_here_and_in_incident(w, ev, now);
    }
    tick(w, now + std::chrono::hours{3});
    return 0;
}

/// adapters/console/transcript.hpp: a JSONL transcript read, and its lines replayed
/// through the core the way `firebreak replay` does: on a clock that follows the lines,
/// "INC-n" rooms mapped to the incident's room, nudges sent as time passes.
inline int transcript(const std::uint8_t* data, std::size_t size) {
    using namespace detail;
    std::istringstream in{std::string(as_text(data, size))};
    auto t = read_transcript(in, "console");
    for (const auto& line : t.lines) {
        for (const auto& name : {line.event.room.id, line.event.user.id}) {
            bool plain = !name.empty() && name.size() <= 200;
            for (unsigned char c : name) plain = plain && c > 0x20 && c != 0x7F;
            if (!plain) broken("read_transcript: a room or user name with spaces or controls", name);
        }
    }
    static const world start = make_world("console", "general", {"maya", "dev", "admin"}, [] {
        engine_settings s;
        s.admins = {"admin"};
        s.announcement_rooms["console"] = room_ref{"console", "announcements"};
        return s;
    }());
    world w = start;
    std::optional<instant> previous;
    std::size_t n = 0;
    for (const auto& line : t.lines) {
        if (++n > max_events) break;
        chat_event ev = line.event;
        // As the replay does: time never goes back nor jumps more than 30 days.
        if (previous && (ev.at < *previous || ev.at - *previous > std::chrono::days{30})) continue;
        previous = ev.at;
        tick(w, ev.at);
        if (line.incident) {
            const incident* inc = w.state.find(*line.incident);
            auto room = inc ? inc->room_on("console") : std::nullopt;
            if (!room) continue;
            ev.room = *room;
        } else if (!ev.room.id.empty() && ev.room.id[0] == '#') {
            ev.room.id.erase(0, 1);
        }
        decide(w, ev, ev.at);
    }
    return 0;
}

/// bot/runtime/config.hpp: a TOML document parsed and validated with an environment that
/// answers every variable with a fixed token; a config_error is an answer, anything else
/// escaping is a crash. A config that passes runs a declaration, commands and a day of
/// nudges with its settings.
inline int config(const std::uint8_t* data, std::size_t size) {
    using namespace detail;
    const env_lookup env = [](const std::string& name) -> std::optional<std::string> {
        return name.find("APP") != std::string::npos ? "xapp-1-fuzz" : "xoxb-1-fuzz";
    };
    firebreak_config c;
    try {
        c = parse_config(as_text(data, size), "fuzz.toml", env);
    } catch (const config_error&) {
        return 0;
    }
    (void)c.secrets();
    world w = c.matrix.enabled
                  ? make_world("matrix", "!general:example.org", {"maya:example.org", "dev:example.org", "admin:example.org"}, c.settings)
                  : make_world("slack", "C0GENERAL", {"U0MAYA", "U0DEV", "U0ADMIN"}, c.settings);
    if (w.incident_room.empty()) return 0;
    auto now = fixed_now();
    const auto& prefix = w.settings.command_prefix;
    for (std::string_view text : {"status mitigated", "sev 2 contained", "update impact: none; next: 2h", "status resolved"}) {
        now += std::chrono::minutes{20};
        tick(w, now);
        decide(w, message(w, w.incident_room, w.people[0], prefix + " " + std::string(text), now), now);
    }
    for (int hours = 1; hours <= 26; hours += 5) tick(w, now + std::chrono::hours{hours});
    return 0;
}

/// Every target, by the name of its folder under fuzz/corpus and fuzz/regressions.
inline const std::array<target, 5>& targets() {
    static const std::array<target, 5> all{{{"command_parser", command_parser},
                                            {"slack_envelope", slack_envelope},
                                            {"matrix_sync", matrix_sync},
                                            {"transcript", transcript},
                                            {"config", config}}};
    return all;
}

}  // namespace firebreak::fuzz
