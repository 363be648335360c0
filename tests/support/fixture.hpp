#pragma once
// A file under tests/fixtures, read whole, as the tests feed it to the code under test.
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace firebreak::testing {

/// The bytes of tests/fixtures/<path>; throws (failing the test) when it cannot be read.
inline std::string read_fixture(const std::string& path) {
    std::ifstream f(std::string(FIREBREAK_SOURCE_DIR) + "/tests/fixtures/" + path, std::ios::binary);
    if (!f) throw std::runtime_error("cannot read tests/fixtures/" + path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

}  // namespace firebreak::testing
