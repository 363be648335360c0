#include "adapters/console/console_adapter.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <fstream>
#include <system_error>

namespace firebreak {

console_adapter::console_adapter(std::ostream& out, const clock& clk, std::filesystem::path files_dir, bool buffer)
    : out_(out), clock_(clk), files_dir_(std::move(files_dir)), buffer_(buffer) {}

capabilities console_adapter::caps() const {
    capabilities c;
    c.ephemeral = true;
    c.threads = true;
    c.files = true;
    c.topics = true;
    c.rich_text = false;
    c.forms = false;
    c.reactions = true;
    c.create_rooms = true;
    // The console prints names on one line.
    c.room_name_limit = 80;
    return c;
}

std::string console_adapter::render(const rich_text& body) {
    std::string out = body.plain();
    // Indent continuation lines so a multi-line message reads as one block.
    std::string indented;
    for (char c : out) {
        indented += c;
        if (c == '\n') indented += "    ";
    }
    return indented;
}

void console_adapter::emit(const std::string& room, const std::string& text) {
    console_post p{clock_.now(), room, text};
    if (buffer_) {
        posts_.push_back(std::move(p));
        return;
    }
    out_ << fmt::format("[{}] [#{}] {}\n", format_hhmm(p.at), room, text);
    out_.flush();
}

bool console_adapter::inject(const chat_event& ev) {
    if (!sink_) return false;
    sink_(inbound{ev, std::nullopt}, [] {});  // nothing to acknowledge locally
    return true;
}

void console_adapter::ensure_room(const std::string& id) { topics_.emplace(id, std::string{}); }

void console_adapter::open_room(const room_request& req, done cb) {
    if (!req.idempotency_key.empty()) {
        if (auto it = keys_.find(req.idempotency_key); it != keys_.end()) {
            delivery again;
            again.room = room_ref{"console", it->second};
            return cb(again);  // the room this request already created
        }
    }
    std::string name = req.name.empty() ? "incident" : req.name;
    // Collisions get a numeric suffix, as a real platform's name rules would force.
    std::string id = name;
    for (int k = 2; topics_.count(id); ++k) id = fmt::format("{}-{}", name, k);
    topics_[id] = req.topic;
    if (!req.idempotency_key.empty()) keys_[req.idempotency_key] = id;
    std::string who;
    for (const auto& u : req.invite) {
        members_[id].insert(u.id);
        who += (who.empty() ? "@" : ", @") + u.id;
    }
    emit(id, fmt::format("* room #{} created{}{}", id, req.is_private ? " (private)" : "",
                         who.empty() ? "" : "; invited " + who));
    delivery d;
    d.room = room_ref{"console", id};
    cb(d);
}

void console_adapter::post(const room_ref& room, const rich_text& body, const message_id& thread,
                           const std::string& key, done cb) {
    delivery d;
    if (!key.empty()) {
        if (auto it = keys_.find(key); it != keys_.end()) {
            d.id = message_id{it->second};
            return cb(d);  // already posted: the same key never posts twice
        }
    }
    ensure_room(room.id);
    d.id = message_id{fmt::format("bot-{}", next_id_++)};
    if (!key.empty()) keys_[key] = d.id.id;
    emit(room.id, fmt::format("firebreak{}: {}", thread.empty() ? "" : " (in thread)", render(body)));
    cb(d);
}

void console_adapter::post_ephemeral(const room_ref& room, const user_ref& user, const rich_text& body, done cb) {
    ensure_room(room.id);
    delivery d;
    d.id = message_id{fmt::format("bot-{}", next_id_++)};
    emit(room.id, fmt::format("firebreak (only @{} sees this): {}", user.id, render(body)));
    cb(d);
}

void console_adapter::react(const room_ref& room, const message_id& msg, const std::string& emoji, done cb) {
    ensure_room(room.id);
    // Message ids are "<session>.m3"; the room shows them as typed ("m3").
    auto dot = msg.id.rfind('.');
    std::string shown = dot == std::string::npos ? msg.id : msg.id.substr(dot + 1);
    emit(room.id, fmt::format("* firebreak reacted {} to {}", emoji == "white_check_mark" ? "✅" : ":" + emoji + ":", shown));
    cb(delivery{});
}

void console_adapter::invite(const room_ref& room, const std::vector<user_ref>& users, done cb) {
    ensure_room(room.id);
    std::string who;
    for (const auto& u : users) {
        if (!members_[room.id].insert(u.id).second) continue;  // already in the room
        who += (who.empty() ? "@" : ", @") + u.id;
    }
    if (!who.empty()) emit(room.id, "* invited " + who);
    cb(delivery{});
}

void console_adapter::edit(const room_ref& room, const message_id& id, const rich_text& body, done cb) {
    ensure_room(room.id);
    delivery d;
    d.id = id;
    emit(room.id, fmt::format("firebreak (edited {}): {}", id.id, render(body)));
    cb(d);
}

void console_adapter::set_topic(const room_ref& room, const std::string& topic, done cb) {
    ensure_room(room.id);
    auto& t = topics_[room.id];
    delivery d;
    if (t != topic) {
        t = topic;
        emit(room.id, "* topic: " + topic);
    }
    cb(d);
}

void console_adapter::post_file(const room_ref& room, const std::string& filename, const std::string& content,
                                const rich_text& comment, done cb) {
    delivery d;
    std::error_code ec;
    std::filesystem::create_directories(files_dir_, ec);
    ensure_room(room.id);
    auto path = files_dir_ / std::filesystem::path(filename).filename();
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << content;
    f.close();
    if (!f) {
        d.error = error_kind::invalid;
        d.detail = "cannot write " + path.string();
        return cb(d);
    }
    d.id = message_id{fmt::format("bot-{}", next_id_++)};
    emit(room.id, fmt::format("firebreak: {}\n    📎 {} ({} bytes)", render(comment), path.string(), content.size()));
    cb(d);
}

std::vector<std::pair<std::string, std::vector<console_post>>> console_adapter::posts_by_room() const {
    std::vector<std::pair<std::string, std::vector<console_post>>> out;
    for (const auto& p : posts_) {
        auto it = std::find_if(out.begin(), out.end(), [&](const auto& g) { return g.first == p.room; });
        if (it == out.end()) {
            out.emplace_back(p.room, std::vector<console_post>{});
            it = std::prev(out.end());
        }
        it->second.push_back(p);
    }
    return out;
}

}  // namespace firebreak
