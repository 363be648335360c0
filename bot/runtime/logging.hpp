#pragma once
// Logging for `firebreak run`: text or JSON lines through spdlog, with every secret
// redacted on the way out, whatever message it hides in (an error that echoes a
// request, a URL with a token in it).
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace spdlog {
class logger;
}

namespace firebreak {

/// Replaces known secrets, and anything shaped like a Slack token or a bearer
/// credential, with "[redacted]".
class redactor {
public:
    explicit redactor(std::vector<std::string> secrets = {});
    /// The text with every secret replaced.
    std::string operator()(std::string_view text) const;
private:
    std::vector<std::string> secrets_;
};

/// How log lines look.
enum class log_format { text, json };

/// A logger writing redacted lines to `out` ("2026-11-03T14:32:05.123Z info msg", or
/// one JSON object per line with ts, level and msg).
std::shared_ptr<spdlog::logger> make_logger(std::ostream& out, log_format format, redactor r);

/// Installs a redacting logger on stderr as spdlog's default, at `level`.
void install_logging(const std::string& level, log_format format, redactor r);

}  // namespace firebreak
