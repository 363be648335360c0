// firebreak: the one binary. Subcommands are thin wrappers over local_runs.
#include "bot/runtime/allocator.hpp"
#include "bot/runtime/local_runs.hpp"
#include "bot/runtime/service.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <unistd.h>

int main(int argc, char** argv) {
    using namespace firebreak;
    tune_allocator();
    CLI::App app{"firebreak — a ChatOps incident bot for Slack, Matrix and the console"};
    app.require_subcommand(1);
    local_options opts;
    auto common = [&opts](CLI::App* sub) {
        sub->add_option("--data-dir", opts.data_dir, "where the database and documents live")->capture_default_str();
        sub->add_option("--db", opts.db_path, "the SQLite database (default <data-dir>/firebreak.sqlite)");
        sub->add_option("--log-level", opts.log_level, "trace, debug, info, warn, error")->capture_default_str();
    };

    auto serving = [&opts](CLI::App* sub) {
        sub->add_flag("--serve", opts.serve, "also serve the web view; prints its address and a viewer token");
        sub->add_option("--web-listen", opts.web_listen, "where the web view listens (port 0: any free port)")
            ->capture_default_str();
        sub->add_option("--serve-as", opts.serve_as, "the viewer token sees what this chat user sees (private incidents)");
    };
    auto* console = app.add_subcommand("console", "chat with firebreak locally (several users and rooms)");
    common(console);
    serving(console);

    std::string transcript;
    auto* replay = app.add_subcommand("replay", "replay a JSONL transcript on a virtual clock");
    replay->add_option("file", transcript, "transcript: one JSON object per line")->required();
    common(replay);

    auto* demo = app.add_subcommand("demo", "replay the bundled example incident, from declaration to close");
    common(demo);
    serving(demo);

    bool all = false;
    auto* list = app.add_subcommand("list", "list open incidents in the store");
    list->add_flag("--all", all, "include closed incidents");
    common(list);

    std::size_t alert_limit = 50;
    auto* alerts = app.add_subcommand("alerts", "list recent alerts and the cards and incidents they went to");
    alerts->add_option("-n,--limit", alert_limit, "how many alerts to show, newest first")->capture_default_str()->check(CLI::PositiveNumber);
    common(alerts);

    std::string which, format = "md", out_file;
    auto* exp = app.add_subcommand("export", "export the postmortem draft of one incident");
    exp->add_option("incident", which, "e.g. INC-3")->required();
    exp->add_option("--format", format, "md, html or json")
        ->capture_default_str()
        ->check(CLI::IsMember(std::vector<std::string>(postmortem_formats.begin(), postmortem_formats.end())));
    exp->add_option("-o,--output", out_file, "write to a file instead of standard output");
    common(exp);

    std::string config_path;
    auto* run = app.add_subcommand("run", "run the bot with a config file until SIGTERM");
    run->add_option("--config", config_path, "the TOML config file")->required();

    auto* check = app.add_subcommand("check-config", "validate a config file offline and show what it would run");
    check->add_option("--config", config_path, "the TOML config file")->required();
    bool online = false;
    check->add_flag("--online", online, "also ask each enabled platform whether it accepts the token");

    auto* version = app.add_subcommand("version", "print the version");

    if (argc < 2) {
        // A newcomer's first try: show what there is rather than an error.
        std::cout << app.help();
        return 2;
    }
    CLI11_PARSE(app, argc, argv);

    if (*console) return run_console(opts, std::cin, std::cout, isatty(0) == 1);
    if (*replay) return run_replay(opts, transcript, std::cout, std::cerr);
    if (*demo) return run_demo(opts, std::cout, std::cerr);
    if (*list) return run_list(opts, all, std::cout, std::cerr);
    if (*alerts) return run_alerts(opts, alert_limit, std::cout, std::cerr);
    if (*exp) return run_export(opts, which, format, out_file, std::cout, std::cerr);
    if (*run) return run_service(config_path, process_env(), std::cerr);
    if (*check) return run_check_config(config_path, process_env(), std::cout, std::cerr, online);
    if (*version) {
        std::cout << "firebreak " << FIREBREAK_VERSION << "\n";
        return 0;
    }
    return 0;
}
