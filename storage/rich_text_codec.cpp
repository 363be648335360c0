#include "storage/rich_text_codec.hpp"

#include <charconv>

namespace firebreak {

namespace {
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

std::string encode_rich_text(const rich_text& t) {
    std::string out;
    for (const auto& s : t.spans()) {
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
    for (const auto& a : t.actions()) {
        out += 'a';
        for (const auto* part : {&a.label, &a.command}) {
            out += std::to_string(part->size());
            out += ':';
            out += *part;
        }
    }
    return out;
}

rich_text decode_rich_text(std::string_view in) {
    std::vector<span> spans;
    std::vector<action> actions;
    auto malformed = [&] {
        rich_text whole;
        whole.assign({span{span::style::plain, std::string(in)}});
        return whole;
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
                actions.push_back(std::move(a));
                continue;
            }
            default: return malformed();
        }
        ++pos;
        std::string text, ref;
        if (!field(text)) return malformed();
        if (look == span::style::room && !field(ref)) return malformed();
        spans.push_back(span{look, std::move(text), std::move(ref)});
    }
    rich_text r;
    r.assign(std::move(spans), std::move(actions));
    return r;
}

}  // namespace firebreak
