#include "web/access.hpp"

#include "bot/core/visibility.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <vector>
#include <stdexcept>

namespace firebreak::web {

namespace {

std::string random_bytes_hex(std::size_t n) {
    std::vector<unsigned char> raw(n);
    if (RAND_bytes(raw.data(), int(raw.size())) != 1) throw std::runtime_error("no random bytes for a secret");
    std::string out;
    out.reserve(raw.size() * 2);
    for (auto b : raw) out += fmt::format("{:02x}", b);
    return out;
}

}  // namespace

std::string random_token() { return random_bytes_hex(24); }

bool may_read(const incident& inc, const reader& who, const std::set<std::string>& admins) {
    if (!inc.is_private || who.every_incident) return true;
    for (const auto& p : who.people)
        if (may_see(inc, viewer{user_ref{p}, {}, false}, admins)) return true;
    return false;
}

bool same_secret(std::string_view a, std::string_view b) {
    // Length is not hidden; content is.
    if (a.size() != b.size() || a.empty()) return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string cookie_value(std::string_view header, std::string_view name) {
    while (!header.empty()) {
        auto semi = header.find(';');
        auto part = header.substr(0, semi);
        header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
        while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
        auto eq = part.find('=');
        if (eq == std::string_view::npos) continue;
        if (part.substr(0, eq) == name) return std::string(part.substr(eq + 1));
    }
    return {};
}

access_gate::access_gate(access_settings s) : s_(std::move(s)) {}

std::string access_gate::cookie_attributes() const {
    return fmt::format("; Path=/; HttpOnly; SameSite=Strict{}", s_.secure_cookie ? "; Secure" : "");
}

std::optional<reader> access_gate::who(std::string_view peer, std::string_view header_value, std::string_view cookie_header,
                                  instant now) const {
    if (!s_.trusted_header.empty() && !header_value.empty() && s_.trusted_proxies.count(std::string(peer)) > 0) {
        reader r;
        r.name = std::string(header_value);
        r.by_proxy = true;
        for (const auto& v : s_.viewers) {
            if (v.proxy_users.count(r.name) == 0) continue;
            r.people.insert(v.people.begin(), v.people.end());
            r.every_incident = r.every_incident || v.every_incident;
        }
        // Someone the proxy signed in but no viewer names: public incidents only.
        return r;
    }
    auto id = cookie_value(cookie_header, session_cookie);
    if (id.empty()) return std::nullopt;
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return std::nullopt;
    if (now >= it->second.expires) {
        sessions_.erase(it);
        return std::nullopt;
    }
    const auto& v = s_.viewers.at(it->second.viewer);
    return reader{v.name, v.people, v.every_incident, false};
}

std::optional<std::string> access_gate::login(std::string_view token, instant now) {
    // Every token is compared, so the time taken does not say which one came close.
    std::optional<std::size_t> match;
    for (std::size_t i = 0; i < s_.viewers.size(); ++i)
        if (same_secret(token, s_.viewers[i].token) && !match) match = i;
    if (!match) return std::nullopt;
    for (auto it = sessions_.begin(); it != sessions_.end();)
        it = now >= it->second.expires ? sessions_.erase(it) : std::next(it);
    while (sessions_.size() >= s_.max_sessions && !sessions_.empty()) {
        auto oldest = sessions_.begin();
        for (auto it = sessions_.begin(); it != sessions_.end(); ++it)
            if (it->second.created < oldest->second.created) oldest = it;
        sessions_.erase(oldest);
    }
    auto id = random_bytes_hex(32);
    sessions_[id] = session{*match, now + s_.session_ttl, now};
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(s_.session_ttl).count();
    return fmt::format("{}={}; Max-Age={}{}", session_cookie, id, seconds, cookie_attributes());
}

std::string access_gate::logout(std::string_view cookie_header) {
    auto id = cookie_value(cookie_header, session_cookie);
    if (!id.empty()) sessions_.erase(id);
    return fmt::format("{}=; Max-Age=0{}", session_cookie, cookie_attributes());
}

}  // namespace firebreak::web
