#pragma once
// Looking inside a rendered Markdown document: one "## " section at a time.
#include <string>

namespace firebreak::testing {

/// The text of one "## " section, up to the next one; empty when there is none.
inline std::string section_text(const std::string& md, const std::string& title) {
    auto start = md.find("\n## " + title + "\n");
    if (start == std::string::npos) return {};
    auto end = md.find("\n## ", start + 4);
    return md.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace firebreak::testing
