#pragma once
// The console platform: rooms and users that exist only in this process, for
// trying firebreak without a chat account and for replays. Bot output is printed
// as a person would see it in their chat client.
#include "bot/core/ports.hpp"

#include <filesystem>
#include <map>
#include <set>
#include <ostream>
#include <string>
#include <vector>

namespace firebreak {

/// One line of bot output, as kept for a replay's room-by-room report.
struct console_post {
    instant at{};
    std::string room;
    std::string text;   ///< rendered for a terminal
};

/// The console chat adapter.
class console_adapter final : public chat_adapter {
public:
    /// Output goes to `out` as it happens unless `buffer` is set, in which case it is
    /// kept for posts_by_room(). Files (postmortem drafts) are written under `files_dir`.
    console_adapter(std::ostream& out, const clock& clk, std::filesystem::path files_dir, bool buffer = false);

    std::string platform() const override { return "console"; }
    void start(event_sink sink) override { sink_ = std::move(sink); }
    void stop() override { sink_ = nullptr; }
    void display_name(const user_ref& user, std::function<void(std::optional<std::string>)> cb) override {
        cb(user.id);  // console users are their names
    }
    /// Hands an event typed or replayed locally to the sink given to start(); false when
    /// the adapter is not started.
    bool inject(const chat_event& ev);
    capabilities caps() const override;
    void open_room(const room_request& req, done cb) override;
    void post(const room_ref& room, const rich_text& body, const message_id& thread, const std::string& key,
              done cb) override;
    void post_ephemeral(const room_ref& room, const user_ref& user, const rich_text& body, done cb) override;
    void set_topic(const room_ref& room, const std::string& topic, done cb) override;
    void react(const room_ref& room, const message_id& msg, const std::string& emoji, done cb) override;
    void invite(const room_ref& room, const std::vector<user_ref>& users, done cb) override;
    void edit(const room_ref& room, const message_id& id, const rich_text& body, done cb) override;
    void post_file(const room_ref& room, const std::string& filename, const std::string& content,
                   const rich_text& comment, done cb) override;

    /// Rooms that exist, with their topics.
    const std::map<std::string, std::string>& rooms() const { return topics_; }
    /// Whether a room exists.
    bool has_room(const std::string& id) const { return topics_.count(id) > 0; }
    /// Creates a plain room (e.g. "general") if it does not exist.
    void ensure_room(const std::string& id);
    /// Buffered output, grouped by room in order of first appearance.
    std::vector<std::pair<std::string, std::vector<console_post>>> posts_by_room() const;
    /// Every buffered post in order.
    const std::vector<console_post>& posts() const { return posts_; }

    /// Renders rich text for a terminal: styles dropped, bullets indented.
    static std::string render(const rich_text& body);

private:
    void emit(const std::string& room, const std::string& text);

    event_sink sink_;
    std::ostream& out_;
    const clock& clock_;
    std::filesystem::path files_dir_;
    bool buffer_;
    std::map<std::string, std::string> topics_;
    std::map<std::string, std::set<std::string>> members_;  // room -> invited users
    std::map<std::string, std::string> keys_;    // idempotency key -> message id
    std::vector<console_post> posts_;
    std::int64_t next_id_ = 1;
};

}  // namespace firebreak
