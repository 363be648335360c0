#include "bot/core/rich_text.hpp"

namespace firebreak {

namespace {
void push(std::vector<span>& spans, span::style look, std::string_view s) {
    if (s.empty()) return;
    // Merge adjacent runs of one style so renderers see fewer spans.
    if (!spans.empty() && spans.back().look == look && look != span::style::mention && look != span::style::room &&
        spans.back().text != "\n" && s != "\n") {
        spans.back().text.append(s);
        return;
    }
    spans.push_back(span{look, std::string(s)});
}
}  // namespace

rich_text& rich_text::text(std::string_view s) { push(spans_, span::style::plain, s); return *this; }
rich_text& rich_text::bold(std::string_view s) { push(spans_, span::style::bold, s); return *this; }
rich_text& rich_text::italic(std::string_view s) { push(spans_, span::style::italic, s); return *this; }
rich_text& rich_text::code(std::string_view s) { push(spans_, span::style::code, s); return *this; }
rich_text& rich_text::mention(std::string_view id) {
    spans_.push_back(span{span::style::mention, std::string(id)});
    return *this;
}
rich_text& rich_text::room_link(std::string_view name, std::string_view room_id) {
    spans_.push_back(span{span::style::room, std::string(name), std::string(room_id)});
    return *this;
}
rich_text& rich_text::line() { spans_.push_back(span{span::style::plain, "\n"}); return *this; }

rich_text& rich_text::bullet() {
    if (!spans_.empty() && spans_.back().text != "\n") line();
    return text("• ");
}

rich_text& rich_text::button(std::string_view label, std::string_view command) {
    actions_.push_back(action{std::string(label), std::string(command)});
    return *this;
}

rich_text& rich_text::append(const rich_text& other) {
    actions_.insert(actions_.end(), other.actions_.begin(), other.actions_.end());
    for (const auto& s : other.spans_) {
        if (s.text == "\n")
            line();
        else if (s.look == span::style::mention)
            mention(s.text);
        else if (s.look == span::style::room)
            spans_.push_back(s);
        else
            push(spans_, s.look, s.text);
    }
    return *this;
}

std::string rich_text::plain() const {
    return plain([](const std::string& id) { return "@" + id; });
}

std::string rich_text::plain(const std::function<std::string(const std::string& user_id)>& person) const {
    std::string out;
    for (const auto& s : spans_) {
        if (s.look == span::style::mention) {
            out += person(s.text);
            continue;
        }
        if (s.look == span::style::room) out += '#';
        out += s.text;
    }
    return out;
}

}  // namespace firebreak
