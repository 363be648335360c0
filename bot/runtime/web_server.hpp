#pragma once
// The read-only web view (issue: managers' page): its own listener on a thread of its own,
// so slow or many readers never hold up the engine. It keeps a copy of every incident,
// brought up to date from the engine's committed changes (publish()), and reads timelines
// and documents through a read-only connection to the store. Live pages hear of changes
// through Server-Sent Events and fetch themselves again.
#include "bot/core/ports.hpp"
#include "web/access.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace firebreak {

/// How the web view is served.
struct web_options {
    std::string listen = "127.0.0.1:9110";
    web::access_settings access;
    std::string database;                      ///< the store's file, opened read-only
    std::chrono::milliseconds timeout{5000};   ///< to read a request, and to write each part of an answer
    std::size_t max_connections = 2048;        ///< open at once, live pages included
};

class web_server {
public:
    /// Binds the listener; throws std::runtime_error naming the address when it cannot.
    web_server(web_options o, const clock& clk);
    ~web_server();
    web_server(const web_server&) = delete;
    web_server& operator=(const web_server&) = delete;

    /// Takes a copy of every incident and starts serving on the view's own thread.
    void start(const engine_state& state);
    /// Hands the incidents a committed change touched to the view (from the engine's strand).
    void publish(const change& c);
    /// Ends live pages, stops accepting and joins the thread.
    void stop();
    /// The bound port (useful with port 0).
    unsigned short port() const;
    /// Live pages connected now.
    std::size_t live_viewers() const;

private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace firebreak
