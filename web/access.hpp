#pragma once
// Who may read the web view, and what each reader sees. A reader is known by a viewer
// token (configured, a secret) exchanged once for a session cookie, or by a header a
// trusted reverse proxy sets after its own sign-in (SSO). A private incident is shown only
// to a reader who would see it in chat: one acting for a member, an admin, or a viewer
// configured to see every incident. Pure but for the random session ids: no I/O.
#include "bot/core/incident.hpp"
#include "bot/core/time.hpp"

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace firebreak::web {

/// One configured viewer token.
struct viewer_token {
    std::string name;                  ///< for logs and the page header: "managers"
    std::string token;                 ///< the secret itself
    /// Chat users this reader acts for: private incidents any of them may see are shown.
    std::set<std::string> people;
    bool every_incident = false;       ///< sees private incidents too, as an admin does
    /// Names the trusted proxy may send that mean this viewer ("lee@example.com").
    std::set<std::string> proxy_users;
};

/// How readers are let in.
struct access_settings {
    std::vector<viewer_token> viewers;
    std::string trusted_header;        ///< "X-Forwarded-User"; empty: no proxy sign-in
    std::set<std::string> trusted_proxies;  ///< peer addresses the header is believed from
    duration session_ttl = std::chrono::hours{12};
    bool secure_cookie = false;        ///< served behind TLS: the cookie is Secure
    std::set<std::string> admins;      ///< chat admins (they see every incident)
    std::size_t max_sessions = 10000;  ///< beyond this the oldest session is dropped
};

/// A reader, once known.
struct reader {
    std::string name;
    std::set<std::string> people;
    bool every_incident = false;
    bool by_proxy = false;             ///< signed in by the proxy: no logout here
};

/// Whether `who` may see `inc` at all (its id, its existence).
bool may_read(const incident& inc, const reader& who, const std::set<std::string>& admins);

/// The session cookie's name.
inline constexpr std::string_view session_cookie = "firebreak_session";

/// Viewer sessions, in memory: a restart signs every reader out.
class access_gate {
public:
    explicit access_gate(access_settings s);

    /// The reader a request is from: the trusted header (from a trusted peer), else a live
    /// session cookie; nothing when neither.
    std::optional<reader> who(std::string_view peer, std::string_view header_value, std::string_view cookie_header,
                              instant now) const;
    /// Exchanges a token for a session: the Set-Cookie value, or nothing for a wrong token.
    std::optional<std::string> login(std::string_view token, instant now);
    /// Ends the session a Cookie header names; the Set-Cookie value that clears it.
    std::string logout(std::string_view cookie_header);
    /// Sessions held now (expired ones are dropped as they are met).
    std::size_t sessions() const { return sessions_.size(); }
    const access_settings& settings() const { return s_; }

private:
    struct session {
        std::size_t viewer = 0;
        instant expires{};
        instant created{};
    };
    access_settings s_;
    mutable std::map<std::string, session> sessions_;
    std::string cookie_attributes() const;
};

/// The value of one cookie in a Cookie header; empty when absent.
std::string cookie_value(std::string_view cookie_header, std::string_view name);

/// A new random secret: 48 hex digits (a token, a session id).
std::string random_token();

/// Equal in time independent of where they differ (tokens).
bool same_secret(std::string_view a, std::string_view b);

}  // namespace firebreak::web
