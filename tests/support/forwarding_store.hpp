#pragma once
// An incident_store that hands every call to another one. Tests and benchmarks derive
// from it and override only the calls they count, time or make fail.
#include "bot/core/ports.hpp"

namespace firebreak::testing {

class forwarding_store : public incident_store {
public:
    explicit forwarding_store(incident_store& inner) : inner_(inner) {}

    restored_state load(std::size_t tail) override { return inner_.load(tail); }
    bool processed(const std::string& id) override { return inner_.processed(id); }
    bool commit(change& c, const std::string& id, instant now,
                const std::optional<std::pair<std::string, std::string>>& cursor) override {
        return inner_.commit(c, id, now, cursor);
    }
    bool commit_lazily(change& c, const std::string& id, instant now) override {
        return inner_.commit_lazily(c, id, now);
    }
    std::vector<outbox_row> pending_outbox(std::size_t limit) override { return inner_.pending_outbox(limit); }
    void mark_sent(std::int64_t id, const message_id& platform_id, instant at) override {
        inner_.mark_sent(id, platform_id, at);
    }
    void sync() override { inner_.sync(); }
    void begin_group() override { inner_.begin_group(); }
    void end_group() override { inner_.end_group(); }
    void abandon_group() noexcept override { inner_.abandon_group(); }
    void mark_failed(std::int64_t id, const std::string& detail, bool give_up,
                     std::optional<instant> not_before) override {
        inner_.mark_failed(id, detail, give_up, not_before);
    }
    std::vector<timeline_entry> timeline(incident_id inc, std::size_t limit) override {
        return inner_.timeline(inc, limit);
    }
    std::vector<std::pair<instant, std::string>> edit_history(std::int64_t seq) override {
        return inner_.edit_history(seq);
    }
    std::optional<std::string> bot_post(incident_id inc, const message_id& id) override {
        return inner_.bot_post(inc, id);
    }
    std::optional<std::string> cursor(const std::string& key) override { return inner_.cursor(key); }
    void put_cursor(const std::string& key, const std::string& value) override { inner_.put_cursor(key, value); }
    void put_document(incident_id inc, const std::string& format, const std::string& body, instant at) override {
        inner_.put_document(inc, format, body, at);
    }
    std::optional<std::string> document(incident_id inc, const std::string& format) override {
        return inner_.document(inc, format);
    }
    void put_display_name(const std::string& platform, const user_ref& user, const std::string& name,
                          instant at) override {
        inner_.put_display_name(platform, user, name, at);
    }
    std::map<std::string, std::string> display_names(const std::string& platform) override {
        return inner_.display_names(platform);
    }
    std::vector<alert_card> cards_of(incident_id inc) override { return inner_.cards_of(inc); }

protected:
    incident_store& inner_;
};

}  // namespace firebreak::testing
