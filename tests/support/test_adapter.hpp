#pragma once
// A chat adapter for engine tests on the platform "test": every outbound call is
// turned into one `adapter_call` and handed to on_call(), where a test decides when
// and how it completes.
#include "bot/core/ports.hpp"

#include <string>
#include <utility>
#include <vector>

namespace firebreak::testing {

/// One thing the engine asked the platform to do.
struct adapter_call {
    std::string what;      ///< open, post, ephemeral, topic, invite, edit, file, react
    std::string text;      ///< room name, plain body, topic or file name
    std::string content;   ///< file content
    std::string comment;   ///< file comment, plain
    chat_adapter::done cb;
    rich_text body;        ///< the body of a post or ephemeral as delivered
};

/// Routes every call to on_call(); `caps` says what the platform can do.
class test_adapter : public chat_adapter {
public:
    capabilities caps_;
    std::vector<room_ref> posted_in;  ///< the room of every post(), in order

    std::string platform() const override { return "test"; }
    void start(event_sink) override {}
    void stop() override {}
    void display_name(const user_ref& u, std::function<void(std::optional<std::string>)> cb) override { cb(u.id); }
    capabilities caps() const override { return caps_; }
    void open_room(const room_request& req, done cb) override { on_call({"open", req.name, {}, {}, std::move(cb), {}}); }
    void post(const room_ref& room, const rich_text& body, const message_id&, const std::string&, done cb) override {
        posted_in.push_back(room);
        on_call({"post", body.plain(), {}, {}, std::move(cb), body});
    }
    void post_ephemeral(const room_ref&, const user_ref&, const rich_text& body, done cb) override {
        on_call({"ephemeral", body.plain(), {}, {}, std::move(cb), body});
    }
    void set_topic(const room_ref&, const std::string& topic, done cb) override {
        on_call({"topic", topic, {}, {}, std::move(cb), {}});
    }
    void react(const room_ref&, const message_id& msg, const std::string& emoji, done cb) override {
        on_call({"react", emoji + " " + msg.id, {}, {}, std::move(cb), {}});
    }
    void invite(const room_ref&, const std::vector<user_ref>&, done cb) override {
        on_call({"invite", "", {}, {}, std::move(cb), {}});
    }
    void edit(const room_ref&, const message_id&, const rich_text& body, done cb) override {
        on_call({"edit", body.plain(), {}, {}, std::move(cb), {}});
    }
    void post_file(const room_ref&, const std::string& name, const std::string& content, const rich_text& comment,
                   done cb) override {
        on_call({"file", name, content, comment.plain(), std::move(cb), {}});
    }

protected:
    virtual void on_call(adapter_call c) = 0;
};

}  // namespace firebreak::testing
