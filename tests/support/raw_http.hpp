#pragma once
// A blocking HTTP exchange for tests of the bot's listeners: the bytes given are sent as
// they are to 127.0.0.1:port and the whole answer is read until the server closes (every
// listener of the bot answers one request per connection). "" when nobody listens.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include "tests/support/io_wait.hpp"

#include <array>
#include <functional>
#include <stdexcept>
#include <string>

namespace firebreak::testing {

inline std::string raw_http_exchange(unsigned short port, const std::string& raw) {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s(io);
    boost::system::error_code ec;
    s.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
    if (ec) return {};
    boost::asio::write(s, boost::asio::buffer(raw), ec);
    std::string out;
    std::array<char, 4096> buf{};
    for (;;) {
        auto n = s.read_some(boost::asio::buffer(buf), ec);
        out.append(buf.data(), n);
        if (ec) break;
    }
    return out;
}

/// "HTTP/1.1 200 OK" of an answer.
inline std::string status_line(const std::string& response) { return response.substr(0, response.find("\r\n")); }

/// A client that keeps its connection open and gathers what arrives (a streamed answer),
/// read as the test waits for it.
struct open_client {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket s{io};
    std::string got;
    bool ended = false;
    std::array<char, 4096> buf{};

    explicit open_client(unsigned short port) {
        boost::system::error_code ec;
        s.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
        if (ec) throw std::runtime_error("cannot connect: " + ec.message());
        read();
    }
    void send(const std::string& raw) { boost::asio::write(s, boost::asio::buffer(raw)); }
    void read() {
        s.async_read_some(boost::asio::buffer(buf), [this](boost::system::error_code ec, std::size_t n) {
            got.append(buf.data(), n);
            if (ec) ended = true;
            else read();
        });
    }
    /// Reads until `f()` holds (true) or ten seconds pass (false).
    bool until(const std::function<bool()>& f) { return run_io_until(io, f); }
};

}  // namespace firebreak::testing
