#pragma once
// The one place that names the concrete platform adapters: each platform firebreak can
// join, keyed by its name (which is also its config section), with how to tell whether
// it is enabled, how check-config describes it, and how to build it.
#include "bot/core/ports.hpp"
#include "bot/runtime/config.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace firebreak {

/// What building an adapter takes.
struct adapter_context {
    boost::asio::any_io_executor ex;
    const firebreak_config& cfg;
    const clock& clk;
    adapter_memory& memory;  ///< where the adapter keeps its own state between runs
    /// Where its backoff timers come from; none = steady timers on `ex`.
    delay_timers delays = {};

    /// A delay timer from `delays`, or a steady one.
    std::unique_ptr<delay_timer> delay() const;
};

/// One platform.
struct platform_entry {
    std::string name;  ///< "slack": the adapter's platform() and its config section
    std::function<bool(const firebreak_config&)> enabled;
    /// check-config's summary of the section: where it connects, secrets only by origin.
    std::function<std::string(const firebreak_config&)> describe;
    std::function<std::unique_ptr<chat_adapter>(const adapter_context&)> make;
};

/// Every platform, in the order they are started.
const std::vector<platform_entry>& platforms();

/// The enabled platforms' adapters, built in platforms() order.
std::vector<std::unique_ptr<chat_adapter>> build_adapters(const adapter_context& cx);

/// adapter_memory over the store's cursors.
class store_memory final : public adapter_memory {
public:
    explicit store_memory(incident_store& store) : store_(store) {}
    std::optional<std::string> recall(const std::string& key) override { return store_.cursor(key); }
    void keep(const std::string& key, const std::string& value) override { store_.put_cursor(key, value); }

private:
    incident_store& store_;
};

/// adapter_memory that forgets everything when it goes (check-config builds adapters
/// only to ask about their credentials).
class scratch_memory final : public adapter_memory {
public:
    std::optional<std::string> recall(const std::string& key) override {
        auto it = kept_.find(key);
        return it == kept_.end() ? std::nullopt : std::optional<std::string>(it->second);
    }
    void keep(const std::string& key, const std::string& value) override { kept_[key] = value; }

private:
    std::map<std::string, std::string> kept_;
};

}  // namespace firebreak
