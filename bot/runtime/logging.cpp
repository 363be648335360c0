#include "bot/runtime/logging.hpp"

#include <algorithm>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <iostream>
#include <mutex>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

namespace firebreak {

namespace {

bool token_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '~' || c == '+' || c == '/' || c == '=';
}

// Replaces the token-shaped run of characters starting at each `prefix`.
void redact_shaped(std::string& s, std::string_view prefix, bool keep_prefix) {
    for (std::size_t pos = s.find(prefix); pos != std::string::npos; pos = s.find(prefix, pos + 1)) {
        std::size_t start = pos + prefix.size();
        std::size_t end = start;
        while (end < s.size() && token_char(s[end])) ++end;
        if (end == start) continue;
        std::size_t from = keep_prefix ? start : pos;
        s.replace(from, end - from, "[redacted]");
        pos = from;
    }
}

std::string json_escape(std::string_view in) {
    std::string out;
    out.reserve(in.size() + 8);
    for (unsigned char c : in) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) out += fmt::format("\\u{:04x}", c);
                else out += char(c);
        }
    }
    return out;
}

class redacting_sink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    redacting_sink(std::ostream& out, log_format f, redactor r) : out_(out), format_(f), redact_(std::move(r)) {}

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        auto text = redact_(std::string_view(msg.payload.data(), msg.payload.size()));
        auto ms = std::chrono::time_point_cast<std::chrono::milliseconds>(msg.time);
        auto ts = fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", fmt::gmtime(std::chrono::system_clock::to_time_t(ms)),
                              ms.time_since_epoch().count() % 1000);
        auto level = spdlog::level::to_string_view(msg.level);
        std::string line;
        if (format_ == log_format::json)
            line = fmt::format("{{\"ts\":\"{}\",\"level\":\"{}\",\"msg\":\"{}\"}}\n", ts,
                               std::string_view(level.data(), level.size()), json_escape(text));
        else
            line = fmt::format("{} {} {}\n", ts, std::string_view(level.data(), level.size()), text);
        out_ << line;
    }
    void flush_() override { out_.flush(); }

private:
    std::ostream& out_;
    log_format format_;
    redactor redact_;
};

}  // namespace

redactor::redactor(std::vector<std::string> secrets) : secrets_(std::move(secrets)) {
    // Longest first, so a secret containing another is replaced whole.
    secrets_.erase(std::remove_if(secrets_.begin(), secrets_.end(), [](const std::string& s) { return s.size() < 4; }),
                   secrets_.end());
    std::sort(secrets_.begin(), secrets_.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

std::string redactor::operator()(std::string_view text) const {
    std::string s(text);
    for (const auto& secret : secrets_)
        for (auto pos = s.find(secret); pos != std::string::npos; pos = s.find(secret, pos))
            s.replace(pos, secret.size(), "[redacted]");
    // Shapes of credentials even when the value was never configured (a token pasted
    // into a message, one from another workspace).
    for (auto p : {"xoxb-", "xoxp-", "xoxa-", "xoxr-", "xapp-", "xoxe-"}) redact_shaped(s, p, false);
    for (auto p : {"Bearer ", "bearer ", "access_token="}) redact_shaped(s, p, true);
    return s;
}

std::shared_ptr<spdlog::logger> make_logger(std::ostream& out, log_format format, redactor r) {
    auto sink = std::make_shared<redacting_sink>(out, format, std::move(r));
    return std::make_shared<spdlog::logger>("firebreak", std::move(sink));
}

void install_logging(const std::string& level, log_format format, redactor r) {
    auto logger = make_logger(std::cerr, format, std::move(r));
    logger->set_level(spdlog::level::from_str(level));
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace firebreak
