#pragma once
// The postmortem draft as a format-neutral document: sections of paragraphs, lists and
// tables whose text is kept raw. The Markdown and HTML back-ends escape it for their
// format, so both carry the same content by construction.
#include "postmortem/draft.hpp"

#include <string>
#include <vector>

namespace firebreak {

/// A run of text with one style; the text is raw (back-ends escape it).
struct run {
    enum class style { plain, strong, em };
    style look = style::plain;
    std::string text;
};

/// A sequence of runs: one paragraph, list item or table cell.
using fragment = std::vector<run>;

/// A table row; `marks` name what is special about it ("system", "highlight", "deleted").
struct table_row {
    std::vector<fragment> cells;
    std::vector<std::string> marks;
};

/// One block of a section.
struct block {
    enum class kind {
        paragraph,   ///< `text`
        quote,       ///< `text`, set apart
        heading,     ///< `text`, a sub-heading
        bullets,     ///< `items`
        numbered,    ///< `items`, 1..n
        table,       ///< `headers` and `rows`
        chart,       ///< the timeline chart; only formats that can draw show it
    };
    kind what = kind::paragraph;
    fragment text;
    std::vector<fragment> items;
    std::vector<std::string> headers;
    std::vector<table_row> rows;
};

/// A titled section.
struct doc_section {
    std::string title;
    std::vector<block> blocks;
};

/// The whole draft.
struct draft_document {
    std::string title;                  ///< "INC-1: Checkout errors — postmortem draft"
    std::vector<block> preamble;        ///< the blameless note and the "as of" line
    std::vector<doc_section> sections;  ///< draft_sections, in order
};

/// Builds the document of a draft.
draft_document build_document(const draft_source& src, const draft_facts& facts);

}  // namespace firebreak
