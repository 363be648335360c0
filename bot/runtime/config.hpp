#pragma once
// The configuration of `firebreak run`: one TOML file, validated completely before
// anything connects. Secrets come only from environment variables or files named
// in it, and are kept apart so logs can redact them.
#include "alerts/receivers.hpp"
#include "alerts/routing.hpp"
#include "bot/core/engine_state.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace firebreak {

/// A secret value and where it came from ("environment variable X", "file Y").
struct secret {
    std::string value;
    std::string origin;
    bool empty() const { return value.empty(); }
};

/// The Slack section.
struct slack_config {
    bool enabled = false;
    secret bot_token;                 ///< xoxb-…, Web API
    secret app_token;                 ///< xapp-…, Socket Mode
    std::string api_base_url = "https://slack.com/api";
    std::string announcement_channel; ///< channel id, e.g. C0123456
    std::string ca_file;              ///< extra CA certificates (PEM), added to the system's
    std::string slash_command = "/incident";  ///< the app's slash command, as hints on Slack spell it
    // Timings, not read from the file: tests shorten them.
    std::chrono::milliseconds retry_initial{1000};  ///< first reconnect wait (×1.75 each time, capped at 60 s)
    std::chrono::milliseconds retry_jitter{3000};   ///< random extra wait, 0 to this
    std::chrono::milliseconds idle_timeout{30000};  ///< a silent Socket Mode connection is pinged, then dropped
};

/// The Matrix section.
struct matrix_config {
    bool enabled = false;
    std::string homeserver;           ///< base URL, e.g. https://matrix.example.org
    std::string user_id;              ///< @firebreak:example.org
    secret access_token;
    std::string announcement_room;    ///< room id, e.g. !abc:example.org
    std::string ca_file;
    // Timings, not read from the file: tests shorten them.
    std::chrono::milliseconds sync_timeout{30000};  ///< how long a /sync long-poll parks
    std::chrono::milliseconds retry_initial{1000};  ///< first reconnect wait (×1.75 each time, capped at 60 s)
    std::chrono::milliseconds retry_jitter{3000};   ///< random extra wait, 0 to this
};

/// One alert sender: what its payloads are and how it proves who it is (a bearer token, or
/// an HMAC-SHA256 signature of the body in a header).
struct alert_source_config {
    std::string name;                  ///< its key in [alerts.sources]; the path /alerts/<name>
    std::string kind;                  ///< alertmanager, grafana or generic
    secret token;                      ///< "Authorization: Bearer <token>"
    secret hmac_secret;                ///< or the HMAC-SHA256 key of the body
    std::string signature_header = "X-Firebreak-Signature";
    alerts::generic_mapping fields;    ///< where a generic sender's fields are
    std::vector<std::string> group_by; ///< labels that group its alerts (not for Alertmanager)
};

/// The [alerts] section: the receivers' listener, the senders, the routing rules.
struct alerts_config {
    bool enabled = false;
    /// Its own listener, apart from the ops endpoint: senders reach it from elsewhere in the
    /// network, while the ops endpoint stays on the loopback for scrapers.
    std::string listen = "127.0.0.1:9109";
    room_ref room;                     ///< where cards go when no rule names a room
    duration group_window = std::chrono::hours{1};
    std::vector<alert_source_config> sources;
    std::vector<alerts::routing_rule> rules;
};

/// One viewer token of the web view.
struct web_viewer_config {
    std::string name;                  ///< its key in [web.viewers]
    secret token;
    std::set<std::string> people;      ///< chat users it reads for (their private incidents)
    bool every_incident = false;       ///< every private incident too, as an admin
    std::set<std::string> proxy_users; ///< what the trusted proxy's header says for this viewer
};

/// The [web] section: the read-only web view.
struct web_config {
    bool enabled = false;
    std::string listen = "127.0.0.1:9110";
    bool secure_cookie = false;        ///< served behind TLS (a proxy): the session cookie is Secure
    duration session_ttl = std::chrono::hours{12};
    std::string trusted_header;        ///< set by a reverse proxy after its own sign-in
    std::set<std::string> trusted_proxies;
    std::vector<web_viewer_config> viewers;
};

/// Everything `firebreak run` is told.
struct firebreak_config {
    std::string database = "/var/lib/firebreak/firebreak.sqlite";
    std::string documents_dir;        ///< defaults to "documents" beside the database
    std::string ops_listen = "127.0.0.1:9108";
    std::string log_level = "info";
    std::string log_format = "text";  ///< text or json
    engine_settings settings;
    slack_config slack;
    matrix_config matrix;
    alerts_config alerts;
    web_config web;

    /// Every secret value, for redaction.
    std::vector<std::string> secrets() const;
};

/// One problem found in a config file: "nudges.sev1.update_every: expected …, found …".
struct config_problem {
    std::string key;                  ///< dotted key path, or "" for the whole file
    std::string message;
};

/// A config that cannot be used; what() lists every problem, one per line.
class config_error : public std::runtime_error {
public:
    config_error(std::string source, std::vector<config_problem> problems);
    const std::vector<config_problem>& problems() const { return problems_; }
private:
    std::vector<config_problem> problems_;
};

/// Reads environment variables (injectable for tests).
using env_lookup = std::function<std::optional<std::string>(const std::string&)>;
/// The process environment.
env_lookup process_env();

/// Parses and validates a config document. `source` names it in errors. Throws
/// config_error listing every problem found.
firebreak_config parse_config(std::string_view text, const std::string& source, const env_lookup& env);

/// Reads and parses a config file.
firebreak_config load_config_file(const std::string& path, const env_lookup& env);

}  // namespace firebreak
