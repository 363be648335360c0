#pragma once
// A directory under the system temp dir, removed when the test ends.
#include <filesystem>
#include <random>
#include <string>

namespace firebreak::testing {

/// A fresh temporary directory that removes itself.
class temp_dir {
public:
    temp_dir() {
        std::random_device rd;
        path_ = std::filesystem::temp_directory_path() /
                ("firebreak-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
        std::filesystem::create_directories(path_);
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    /// The directory.
    const std::filesystem::path& path() const { return path_; }
    /// A path inside it.
    std::string file(const std::string& name) const { return (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

}  // namespace firebreak::testing
