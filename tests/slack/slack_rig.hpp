#pragma once
// The Slack tests' rig: a fake Slack whose every Web API call is checked against Slack's
// method definitions, and the real `firebreak run` service (store in a temp file,
// engine, Slack adapter, ops endpoint) pointed at it, on a manual clock.
#include "adapters/slack/slack_adapter.hpp"
#include "bot/runtime/service.hpp"
#include "tests/support/fake_slack.hpp"
#include "tests/support/service_rig.hpp"
#include "tests/support/spec_check.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_tls.hpp"

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <mutex>
#include <string>
#include <vector>

namespace firebreak::testing {

namespace json = boost::json;

inline const std::string maya = "U0MAYA";
inline const std::string dana = "U0DANA";

// Every Web API call the fake answered fits Slack's method definitions.
class slack_conformance {
public:
    explicit slack_conformance(fake_slack& s) {
        s.on_call([this](const slack_call& c) {
            if (c.method.empty() || c.method == "apps.connections.open") {
                std::lock_guard<std::mutex> l(m_);
                ++checked_;
                return;
            }
            auto found = slack_api::get().check_call(c.method, c.verb, c.args);
            std::lock_guard<std::mutex> l(m_);
            ++checked_;
            for (auto& p : found) problems_.push_back(c.method + ": " + p);
        });
    }
    std::vector<std::string> problems() const {
        std::lock_guard<std::mutex> l(m_);
        return problems_;
    }
    std::size_t checked() const {
        std::lock_guard<std::mutex> l(m_);
        return checked_;
    }

private:
    mutable std::mutex m_;
    std::vector<std::string> problems_;
    std::size_t checked_ = 0;
};

#define CHECK_SLACK_CONFORMS(spec)                      \
    do {                                                \
        auto problems_ = (spec).problems();             \
        for (auto& p_ : problems_) UNSCOPED_INFO(p_);   \
        CHECK(problems_.empty());                       \
    } while (0)

// The service as `firebreak run` builds it, pointed at a fake Slack.
struct slack_rig : service_rig {
    fake_slack& slack;

    explicit slack_rig(fake_slack& s, const std::string& announcements = "") : slack(s) {
        cfg.slack.enabled = true;
        cfg.slack.api_base_url = slack.api_base_url();
        cfg.slack.bot_token = secret{"xoxb-test-bot", "test"};
        cfg.slack.app_token = secret{"xapp-1-test-app", "test"};
        cfg.slack.retry_initial = std::chrono::milliseconds{10};
        cfg.slack.retry_jitter = std::chrono::milliseconds{0};
        if (!slack.ca_pem().empty()) cfg.slack.ca_file = write_temp_file("slack-ca.pem", slack.ca_pem());
        if (!announcements.empty()) {
            cfg.slack.announcement_channel = announcements;
            cfg.settings.announcement_rooms["slack"] = room_ref{"slack", announcements};
        }
    }

    /// The running service's Slack adapter.
    slack::slack_adapter* link() { return dynamic_cast<slack::slack_adapter*>(svc->adapter("slack")); }
    bool connected() { return link()->state() == link_state::connected; }
    std::string channel_of(std::int64_t n) { return room_on("slack", n); }
    bool bot_said(const std::string& channel, const std::string& needle, bool ephemeral = false) {
        for (auto& m : slack.messages(channel))
            if (m.ephemeral == ephemeral && m.text.find(needle) != std::string::npos) return true;
        return false;
    }
    // Lets every rate-limit wait the outbox was told about pass on the engine's clock.
    void pass_waits() {
        auto head = eng().store().pending_outbox(1);
        if (!head.empty() && head.front().not_before && *head.front().not_before > clk.now()) {
            clk.set(*head.front().not_before);
            eng().deliver();
        }
    }
};

// A fake Slack with Maya and Dana (display names "Maya", "Dana") in #general, and the
// service running against it, connected. Tests take its parts with
// `auto& [slack, spec, general, rig] = world;`.
struct slack_world {
    fake_slack slack;
    slack_conformance spec{slack};
    std::string general;
    slack_rig rig{slack};
    slack_world() {
        slack.add_user(maya, "maya", "Maya");
        slack.add_user(dana, "dana", "Dana");
        general = slack.create_channel("general", {maya, dana, "UFBBOT"});
        rig.boot();
        REQUIRE(rig.until([&] { return rig.connected(); }));
    }
};

// Declares INC-1 from #general with a slash command and waits for its channel.
inline std::string declare(slack_rig& rig, const std::string& general, const std::string& title = "Search is timing out") {
    rig.slack.push_slash_command(general, maya, "declare " + title + " --sev 1");
    REQUIRE(rig.until([&] { return !rig.channel_of(1).empty(); }));
    return rig.channel_of(1);
}

inline json::object reaction(const std::string& type, const std::string& user, const std::string& channel, const std::string& ts) {
    return json::object{{"type", type},
                        {"user", user},
                        {"reaction", "pushpin"},
                        {"event_ts", "1767225700.000100"},
                        {"item", json::object{{"type", "message"}, {"channel", channel}, {"ts", ts}}}};
}


}  // namespace firebreak::testing
