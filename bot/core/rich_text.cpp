#include "bot/core/rich_text.hpp"

#include <charconv>

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

char code_of(span::style s) {
    switch (s) {
        case span::style::plain: return 'p';
        case span::style::bold: return 'b';
        case span::style::italic: return 'i';
        case span::style::code: return 'c';
        case span::style::mention: return 'm';
        case span::style::room: return 'r';
    }
    return 'p';
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
    std::string out;
    for (const auto& s : spans_) {
        if (s.look == span::style::mention) out += '@';
        if (s.look == span::style::room) out += '#';
        out += s.text;
    }
    return out;
}

std::string rich_text::encode() const {
    std::string out;
    for (const auto& s : spans_) {
        out += code_of(s.look);
        out += std::to_string(s.text.size());
        out += ':';
        out += s.text;
        if (s.look == span::style::room) {
            out += std::to_string(s.ref.size());
            out += ':';
            out += s.ref;
        }
    }
    for (const auto& a : actions_) {
        out += 'a';
        for (const auto* part : {&a.label, &a.command}) {
            out += std::to_string(part->size());
            out += ':';
            out += *part;
        }
    }
    return out;
}

rich_text rich_text::decode(std::string_view in) {
    rich_text r;
    auto malformed = [&] {
        r.spans_ = {span{span::style::plain, std::string(in)}};
        r.actions_.clear();
        return r;
    };
    std::size_t pos = 0;
    // One "<len>:<text>" at pos; false when it is not there whole.
    auto field = [&](std::string& out) {
        std::size_t len = 0;
        auto [p, ec] = std::from_chars(in.data() + pos, in.data() + in.size(), len);
        if (ec != std::errc{} || p == in.data() + in.size() || *p != ':' ||
            std::size_t(in.data() + in.size() - (p + 1)) < len)
            return false;
        pos = std::size_t(p - in.data()) + 1;
        out.assign(in.substr(pos, len));
        pos += len;
        return true;
    };
    while (pos < in.size()) {
        span::style look;
        switch (in[pos]) {
            case 'p': look = span::style::plain; break;
            case 'b': look = span::style::bold; break;
            case 'i': look = span::style::italic; break;
            case 'c': look = span::style::code; break;
            case 'm': look = span::style::mention; break;
            case 'r': look = span::style::room; break;
            case 'a': {
                ++pos;
                action a;
                if (!field(a.label) || !field(a.command)) return malformed();
                r.actions_.push_back(std::move(a));
                continue;
            }
            default: return malformed();
        }
        ++pos;
        std::string text, ref;
        if (!field(text)) return malformed();
        if (look == span::style::room && !field(ref)) return malformed();
        r.spans_.push_back(span{look, std::move(text), std::move(ref)});
    }
    return r;
}

}  // namespace firebreak
