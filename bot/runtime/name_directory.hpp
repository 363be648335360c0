#pragma once
// The display names the engine knows, per platform: read from the store once, learnt from
// the adapters as people come into the record, and used where mentions cannot be shown.
#include "bot/core/ports.hpp"

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace firebreak {

/// People's display names by platform. Use from the engine's strand.
class name_directory {
public:
    name_directory(incident_store& store, const clock& clk) : store_(store), clock_(clk) {}

    /// Asks `adapter` for the names of `people` not known yet, each at most once per run;
    /// the answers are kept in the store as they come.
    void learn(chat_adapter& adapter, const std::vector<user_ref>& people);
    /// Keeps a name the platform told (an answer, or a rename): cleaned to one line, and
    /// written to the store only when it differs from what is known.
    void remember(const std::string& platform, const user_ref& user, const std::optional<std::string>& answer);
    /// The names known on a platform, user id -> name (read from the store the first
    /// time); null when the store cannot say.
    const std::map<std::string, std::string>* on(const std::string& platform);
    /// A body for a place that shows no mentions (a topic): people by display name, with
    /// their id only where two share a name.
    std::string without_mentions(const rich_text& body, const std::string& platform);

private:
    incident_store& store_;
    const clock& clock_;
    // Those known by platform (from the store and learnt since), and the (platform, user
    // id) pairs asked about since start or whose name the store already had: each person
    // is asked about at most once per run, and never when a name is known.
    std::map<std::string, std::map<std::string, std::string>> names_;
    std::set<std::pair<std::string, std::string>> asked_;
    // Expires with the directory: an adapter answering after it is gone (a test tearing
    // down, an HTTP answer in flight) finds it expired and does nothing.
    std::shared_ptr<const bool> alive_ = std::make_shared<const bool>(true);
};

}  // namespace firebreak
