#include "bot/runtime/document_folder.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>

namespace firebreak {

document_writer document_folder(std::string dir) {
    return [dir = std::move(dir)](const rendered_file& file) -> std::optional<std::string> {
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        auto path = std::filesystem::path(dir) / file.filename;
        std::ofstream f(path, std::ios::binary | std::ios::trunc);
        f << file.content;
        f.close();
        if (!f) {
            spdlog::error("postmortem: cannot write {}", path.string());
            return std::nullopt;
        }
        return path.string();
    };
}

}  // namespace firebreak
