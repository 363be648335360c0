#include "postmortem/chart.hpp"

#include "postmortem/escape.hpp"

#include <algorithm>
#include <array>
#include <fmt/format.h>
#include <map>

namespace firebreak {

namespace {

using namespace std::chrono_literals;

// Geometry, in SVG user units. The plot area sits right of a column of row labels.
constexpr double chart_width = 960;
constexpr double plot_left = 176;
constexpr double plot_right = 944;
constexpr double label_x = 8;
constexpr double char_width = 5.9;  // average advance of the 10–11 px sans-serif used here

constexpr double marks_top = 8;     // milestone labels: three staggered lines
constexpr double status_top = 56;
constexpr double band_height = 20;
constexpr double severity_top = 86;
constexpr double severity_step = 12;
constexpr double updates_top = 142;
constexpr double lanes_top = 172;
constexpr double lane_height = 22;

std::string num(double v) { return fmt::format("{:.1f}", v); }
std::string esc(std::string_view s) { return xml_escaped(s); }
double text_width(std::string_view s) { return double(s.size()) * char_width; }  // bytes: errs wide for non-ASCII

const char* status_color(status s) {
    switch (s) {
        case status::investigating: return "#d64545";
        case status::identified: return "#e8912d";
        case status::mitigated: return "#3d86c6";
        case status::resolved: return "#3f9b57";
        case status::closed: return "#8c939d";
    }
    return "#8c939d";
}

const char* severity_color(severity s) {
    switch (s) {
        case severity::sev1: return "#a61b1b";
        case severity::sev2: return "#d64545";
        case severity::sev3: return "#e8912d";
        case severity::sev4: return "#8c939d";
    }
    return "#8c939d";
}

const char* role_color(role r) {
    switch (r) {
        case role::commander: return "#2f5d9e";
        case role::scribe: return "#2a8c82";
        case role::sme: return "#7b5cb8";
    }
    return "#2f5d9e";
}

std::string span_text(instant from, instant to) {
    return fmt::format("{} to {} ({})", format_utc(from), format_utc(to), format_span_exact(to - from));
}

// Maps instants onto the plot's x axis.
struct time_scale {
    instant t0;
    double span_ms;
    double x(instant t) const {
        return plot_left + (plot_right - plot_left) * double((t - t0).count()) / span_ms;
    }
};

class chart {
public:
    chart(const draft_source& src, const draft_facts& f) : src_(src), inc_(src.inc), f_(f) {
        // A chart needs a width; an incident recorded in one instant gets one minute.
        instant end = std::max(f.end, f.start + duration{60'000});
        scale_ = {f.start, double((end - f.start).count())};
        end_ = end;
        // Impact before the declaration is part of the story: it gets a band of its own.
        const auto& t = inc_.times;
        auto first_known = t.impact_started ? t.impact_started : t.detected;
        if (t.impact_started && t.detected) first_known = std::min(*t.impact_started, *t.detected);
        if (first_known && *first_known < phases().front().at) undeclared_from_ = first_known;
    }

    std::string draw() {
        lanes();  // first: the height depends on the number of lanes
        const double axis_y = lanes_top + double(std::max<std::size_t>(lane_keys_.size(), 1)) * lane_height + 6;
        const int legend_lines = legend(axis_y + 44);
        const double height = axis_y + 62 + 16 * (legend_lines - 1);

        out_ += fmt::format(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {0} {1}\" width=\"{0}\" height=\"{1}\" "
            "role=\"img\" aria-labelledby=\"chart-title chart-desc\" font-family=\"system-ui, -apple-system, "
            "'Segoe UI', Roboto, Arial, sans-serif\" font-size=\"11\" fill=\"#1d2330\">\n",
            num(chart_width), num(height));
        out_ += fmt::format("<title id=\"chart-title\">{} over time (UTC)</title>\n", esc(inc_.id.str()));
        out_ += fmt::format(
            "<desc id=\"chart-desc\">Lifecycle, severity, status updates, role shifts and milestones of {} — {}, "
            "from {} to {}.</desc>\n",
            esc(inc_.id.str()), esc(inc_.title), format_utc(f_.start), format_utc(end_));
        grid(axis_y);
        row_labels();
        status_band();
        severity_steps();
        update_marks();
        out_ += lanes_svg_;
        milestones(axis_y);
        axis(axis_y);
        out_ += legend_svg_;
        out_ += "</svg>";
        return std::move(out_);
    }

private:
    double x(instant t) const { return scale_.x(t); }

    // The phases to draw: the recorded history, or the current state alone when an
    // incident predates the history.
    std::vector<phase> phases() const {
        if (!inc_.history.empty()) return inc_.history;
        return {phase{inc_.times.declared, inc_.sev, inc_.state, inc_.declared_by, {}}};
    }

    void grid(double axis_y) {
        auto step = tick_step(end_ - f_.start);
        out_ += "<g stroke=\"#e6e9ee\" stroke-width=\"1\">\n";
        for (instant t = first_tick(step); t <= end_; t += step)
            out_ += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>\n", num(x(t)), num(status_top),
                                num(axis_y));
        for (int level = 0; level < 4; ++level) {
            double y = severity_top + severity_step * level + 6;
            out_ += fmt::format("<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke-dasharray=\"2 3\"/>\n",
                                num(plot_left), num(plot_right), num(y));
        }
        out_ += "</g>\n";
    }

    instant first_tick(duration step) const {
        // Ticks sit on multiples of the step since the epoch, so hours and days fall on
        // round UTC times.
        auto ms = to_unix_ms(f_.start), s = step.count();
        auto first = (ms / s) * s;
        if (first < ms) first += s;
        return from_unix_ms(first);
    }

    void row_labels() {
        out_ += "<g font-weight=\"600\" fill=\"#3a4250\">\n";
        out_ += fmt::format("<text x=\"{}\" y=\"{}\">Milestones</text>\n", num(label_x), num(marks_top + 38));
        out_ += fmt::format("<text x=\"{}\" y=\"{}\">Status</text>\n", num(label_x), num(status_top + 14));
        out_ += fmt::format("<text x=\"{}\" y=\"{}\">Severity</text>\n", num(label_x), num(severity_top + 22));
        out_ += fmt::format("<text x=\"{}\" y=\"{}\">Status updates</text>\n", num(label_x), num(updates_top + 14));
        out_ += "</g>\n<g font-size=\"9\" fill=\"#6b7280\" text-anchor=\"end\">\n";
        for (int level = 0; level < 4; ++level)
            out_ += fmt::format("<text x=\"{}\" y=\"{}\">SEV{}</text>\n", num(plot_left - 6),
                                num(severity_top + severity_step * level + 9), level + 1);
        out_ += "</g>\n";
    }

    void status_band() {
        auto ps = phases();
        out_ += "<g class=\"lifecycle\">\n";
        if (undeclared_from_) {
            const instant first_known = *undeclared_from_;
            double x0 = x(first_known), x1 = x(ps.front().at);
            out_ += fmt::format("<g><title>Before declaration from {}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" "
                                "height=\"{}\" fill=\"#f3c9c4\"/>",
                                span_text(first_known, ps.front().at), num(x0), num(status_top), num(x1 - x0),
                                num(band_height));
            if (x1 - x0 > text_width("undeclared") + 8)
                out_ += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#7a2a22\" font-size=\"10.5\">undeclared</text>",
                                    num(x0 + 4), num(status_top + 14));
            out_ += "</g>\n";
        }
        // A severity change does not change the status: consecutive phases with one status
        // are one band.
        for (std::size_t i = 0; i < ps.size();) {
            std::size_t j = i + 1;
            while (j < ps.size() && ps[j].state == ps[i].state) ++j;
            instant from = ps[i].at, to = j < ps.size() ? ps[j].at : end_;
            if (to < from) to = from;
            double x0 = x(from), x1 = x(to), w = std::max(x1 - x0, 1.0);
            std::string name = to_title(ps[i].state);
            out_ += fmt::format("<g><title>{} from {}{}</title>", name, span_text(from, to),
                                ps[i].by.empty() ? "" : esc(" (by " + who(ps[i].by) + ")"));
            out_ += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"/>", num(x0),
                                num(status_top), num(w), num(band_height), status_color(ps[i].state));
            if (w > text_width(name) + 8)
                out_ += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#ffffff\" font-size=\"10.5\">{}</text>", num(x0 + 4),
                                    num(status_top + 14), name);
            out_ += "</g>\n";
            i = j;
        }
        out_ += "</g>\n";
    }

    double severity_y(severity s) const { return severity_top + severity_step * (int(s) - 1) + 6; }

    void severity_steps() {
        auto ps = phases();
        out_ += "<g class=\"severity\" stroke-linecap=\"round\">\n";
        // As with the bands, a status change does not change the severity: one segment per
        // run of a severity, titled with the reason it was set.
        std::optional<severity> previous;
        for (std::size_t i = 0; i < ps.size();) {
            std::size_t j = i + 1;
            while (j < ps.size() && ps[j].sev == ps[i].sev) ++j;
            instant from = ps[i].at, to = j < ps.size() ? ps[j].at : end_;
            if (to < from) to = from;
            double y = severity_y(ps[i].sev);
            if (previous)
                out_ += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#8c939d\" "
                                    "stroke-width=\"1.5\"/>\n",
                                    num(x(from)), num(severity_y(*previous)), num(y));
            std::string title = fmt::format("{} from {}", to_string(ps[i].sev), span_text(from, to));
            if (!ps[i].reason.empty()) title += " — " + ps[i].reason;
            out_ += fmt::format("<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"{3}\" stroke-width=\"4\">"
                                "<title>{4}</title></line>\n",
                                num(x(from)), num(x(to)), num(y), severity_color(ps[i].sev), esc(title));
            previous = ps[i].sev;
            i = j;
        }
        out_ += "</g>\n";
    }

    void update_marks() {
        double cy = updates_top + 10;
        out_ += fmt::format("<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"#cfd4db\"/>\n", num(plot_left),
                            num(plot_right), num(cy));
        out_ += "<g class=\"updates\" fill=\"#2f5d9e\" stroke=\"#ffffff\" stroke-width=\"1.5\">\n";
        for (const auto& u : inc_.updates) {
            std::string title = fmt::format("Status update {} by {}", format_utc(u.at), who(u.author));
            if (!u.impact.empty()) title += ". Impact: " + u.impact;
            title += fmt::format(". Next update {}", format_utc(u.next_at));
            out_ += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"5\"><title>{}</title></circle>\n", num(x(u.at)),
                                num(cy), esc(title));
        }
        out_ += "</g>\n";
    }

    void lanes() {
        // One lane per person and role, in order of their first shift.
        std::map<std::pair<int, std::string>, std::size_t> index;
        std::vector<std::vector<const shift*>> lane_shifts;
        for (const auto& s : inc_.shifts) {
            auto key = std::make_pair(int(s.held), s.user.id);
            auto [it, fresh] = index.emplace(key, lane_keys_.size());
            if (fresh) {
                lane_keys_.push_back(key);
                lane_shifts.emplace_back();
            }
            lane_shifts[it->second].push_back(&s);
        }
        std::string& o = lanes_svg_;
        if (lane_keys_.empty()) {
            o += fmt::format("<text x=\"{}\" y=\"{}\" font-weight=\"600\" fill=\"#3a4250\">Roles</text>\n",
                             num(label_x), num(lanes_top + 15));
            o += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#6b7280\">No role shifts recorded.</text>\n",
                             num(plot_left), num(lanes_top + 15));
            return;
        }
        for (std::size_t i = 0; i < lane_keys_.size(); ++i) {
            const shift& first = *lane_shifts[i].front();
            std::string name = fmt::format("{} {}", to_string(first.held), who(first.user));
            if (!first.area.empty()) name += " (" + first.area + ")";
            double y = lanes_top + double(i) * lane_height;
            o += fmt::format("<g class=\"lane\" aria-label=\"{}\">\n", esc(name));
            o += fmt::format("<text x=\"{}\" y=\"{}\"><title>{}</title>{}</text>\n", num(label_x), num(y + 15), esc(name),
                             esc(shortened(repaired_utf8(name), 26)));
            for (const auto* s : lane_shifts[i]) {
                instant to = s->end.value_or(end_);
                std::string title = fmt::format("{} {}{}: {}{}", to_string(s->held), who(s->user),
                                                s->area.empty() ? "" : " (" + s->area + ")", span_text(s->start, to),
                                                s->end ? "" : ", still on shift");
                if (!s->assigned_by.empty()) title += ", assigned by " + who(s->assigned_by);
                o += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"16\" rx=\"3\" fill=\"{}\"><title>{}</title>"
                                 "</rect>\n",
                                 num(x(s->start)), num(y + 3), num(std::max(x(to) - x(s->start), 2.0)),
                                 role_color(s->held), esc(title));
            }
            o += "</g>\n";
        }
    }

    void milestones(double axis_y) {
        struct mark {
            instant at;
            const char* label;
            const char* name;
        };
        const auto& t = inc_.times;
        std::vector<mark> marks;
        auto add = [&marks](const std::optional<instant>& at, const char* label, const char* name) {
            if (at) marks.push_back({*at, label, name});
        };
        add(t.impact_started, "impact", "Impact started");
        add(t.detected, "detected", "Detected");
        add(std::optional<instant>(t.declared), "declared", "Declared");
        add(t.commander_assigned, "commander", "Commander assigned");
        add(t.identified, "identified", "Identified");
        add(t.mitigated, "mitigated", "Mitigated");
        add(t.resolved, "resolved", "Resolved");
        add(t.closed, "closed", "Closed");
        // The impact coming back: each reopen of a resolved or closed incident.
        for (std::size_t i = 1; i < inc_.history.size(); ++i)
            if (inc_.history[i].state == status::investigating && inc_.history[i - 1].state >= status::resolved)
                marks.push_back({inc_.history[i].at, "reopened", "Reopened"});
        // A status update promised and not sent in time: where it fell overdue.
        const instant stop = t.resolved ? *t.resolved : end_;
        for (std::size_t i = 0; i < inc_.updates.size(); ++i) {
            const instant promised = inc_.updates[i].next_at;
            const instant came = i + 1 < inc_.updates.size() ? inc_.updates[i + 1].at : stop;
            if (came > promised && promised < stop) marks.push_back({promised, "overdue", "Status update overdue since"});
        }
        std::stable_sort(marks.begin(), marks.end(), [](const mark& a, const mark& b) { return a.at < b.at; });

        // Labels of close milestones are staggered over three lines; one that fits on none
        // keeps only its tooltip.
        std::array<double, 3> line_end{-1e9, -1e9, -1e9};
        out_ += "<g class=\"milestones\">\n";
        for (const auto& m : marks) {
            double mx = x(m.at), w = text_width(m.label);
            bool flip = mx + 3 + w > chart_width - 4;  // near the right edge: label ends at the mark
            double lo = flip ? mx - 3 - w : mx + 3, hi = flip ? mx - 3 : mx + 3 + w;
            out_ += fmt::format("<g><title>{} {}</title>", m.name, format_utc(m.at));
            out_ += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#4b5563\" "
                                "stroke-opacity=\"0.55\" stroke-dasharray=\"3 3\"/>",
                                num(mx), num(marks_top + 42), num(axis_y));
            out_ += fmt::format("<path d=\"M{0} {1}L{2} {1}L{3} {4}Z\" fill=\"#374151\"/>", num(mx - 4),
                                num(marks_top + 36), num(mx + 4), num(mx), num(marks_top + 44));
            for (std::size_t line = 0; line < line_end.size(); ++line) {
                if (lo <= line_end[line] + 4) continue;
                line_end[line] = hi;
                out_ += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"10\"{}>{}</text>", num(flip ? hi : lo),
                                    num(marks_top + 8 + 11 * double(line)), flip ? " text-anchor=\"end\"" : "", m.label);
                break;
            }
            out_ += "</g>\n";
        }
        out_ += "</g>\n";
    }

    void axis(double y) {
        auto step = tick_step(end_ - f_.start);
        out_ += fmt::format("<g class=\"axis\" fill=\"#4b5563\" font-size=\"10\" text-anchor=\"middle\">\n"
                            "<line x1=\"{0}\" y1=\"{2}\" x2=\"{1}\" y2=\"{2}\" stroke=\"#4b5563\"/>\n",
                            num(plot_left), num(plot_right), num(y));
        std::string last_date;
        for (instant t = first_tick(step); t <= end_; t += step) {
            auto stamp = format_utc(t);  // "2026-11-03 14:30:00Z"
            std::string date = stamp.substr(0, 10);
            std::string label = step >= 24h ? date : step < 1min ? stamp.substr(11, 8) : stamp.substr(11, 5);
            double tx = x(t);
            out_ += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#4b5563\"/>", num(tx), num(y),
                                num(y + 5));
            // A label centred on the last tick would run off the chart: end it at the tick.
            auto anchor = [&](std::string_view text) {
                return tx + text_width(text) / 2 > chart_width - 2 ? " text-anchor=\"end\"" : "";
            };
            out_ += fmt::format("<text x=\"{}\" y=\"{}\"{}>{}</text>", num(tx), num(y + 16), anchor(label), label);
            // Under intraday ticks, the date where it starts or changes.
            if (step < 24h && date != last_date)
                out_ += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#6b7280\"{}>{}</text>", num(tx), num(y + 28),
                                    anchor(date), date);
            last_date = date;
            out_ += "\n";
        }
        out_ += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"start\" font-weight=\"600\">UTC</text>\n",
                            num(label_x), num(y + 16));
        out_ += "</g>\n";
    }

    // The legend, wrapped onto as many lines as it needs; returns how many.
    int legend(double y) {
        std::string& o = legend_svg_;
        o += "<g class=\"legend\" font-size=\"10\" fill=\"#3a4250\">\n";
        double lx = label_x;
        int lines = 1;
        enum class shape { square, dot, triangle };
        auto item = [&](const std::string& color, std::string_view name, shape look = shape::square) {
            double w = 14 + text_width(name) + 12;
            if (lx + w > chart_width - label_x) {
                lx = label_x;
                y += 16;
                ++lines;
            }
            if (look == shape::dot)
                o += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"4.5\" fill=\"{}\"/>", num(lx + 5), num(y - 3.5), color);
            else if (look == shape::triangle)
                o += fmt::format("<path d=\"M{0} {1}L{2} {1}L{3} {4}Z\" fill=\"{5}\"/>", num(lx + 1), num(y - 8),
                                 num(lx + 9), num(lx + 5), num(y), color);
            else
                o += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" rx=\"2\" fill=\"{}\"/>", num(lx),
                                 num(y - 9), color);
            o += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>\n", num(lx + 14), num(y), name);
            lx += w;
        };
        for (auto s : {status::investigating, status::identified, status::mitigated, status::resolved, status::closed})
            item(status_color(s), to_title(s));
        if (undeclared_from_) item("#f3c9c4", "before declaration");
        for (auto r : {role::commander, role::scribe, role::sme}) item(role_color(r), to_string(r));
        item("#2f5d9e", "status update", shape::dot);
        item("#374151", "milestone", shape::triangle);
        o += "</g>\n";
        return lines;
    }

    // "@maya", or "Maya (@U0MAYA)" when a display name is known.
    std::string who(const user_ref& u) const { return person(src_, u); }

    const draft_source& src_;
    const incident& inc_;
    const draft_facts& f_;
    time_scale scale_{};
    instant end_{};
    std::vector<std::pair<int, std::string>> lane_keys_;
    std::string lanes_svg_;
    std::optional<instant> undeclared_from_;  // impact known before the declaration, from here
    std::string legend_svg_;
    std::string out_;
};

}  // namespace

duration tick_step(duration span) {
    static constexpr std::array<duration, 18> steps{
        10s, 30s, 1min, 2min, 5min, 10min, 15min, 30min, 1h, 2h, 3h, 6h, 12h, 24h, 48h, 168h, 336h, 672h};
    for (auto s : steps)
        if (span / s <= 10) return s;
    // Longer than ten four-week steps: whole multiples of four weeks.
    auto four_weeks = steps.back();
    return four_weeks * ((span / four_weeks + 9) / 10);
}

std::string timeline_chart_svg(const draft_source& src, const draft_facts& facts) { return chart(src, facts).draw(); }

}  // namespace firebreak
