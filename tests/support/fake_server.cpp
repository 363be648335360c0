#include "tests/support/fake_server.hpp"

#include <boost/asio/post.hpp>
#include <openssl/ssl.h>

#include <stdexcept>

namespace firebreak::testing::fake_net {

server::server(bool tls, const std::string& who) : tls_enabled_(tls) {
    if (tls_enabled_) {
        pki_ = make_test_pki();
        SSL_CTX_set_min_proto_version(tls_.native_handle(), TLS1_2_VERSION);
        tls_.use_certificate_chain(asio::buffer(pki_.server_cert_pem));
        tls_.use_private_key(asio::buffer(pki_.server_key_pem), ssl::context::pem);
    }
    const tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), 0);
    boost::system::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error(who + ": cannot listen on 127.0.0.1: " + ec.message());
    port_ = acceptor_.local_endpoint().port();
}

server::~server() {
    if (thread_.joinable()) stop({});
}

void server::run(factory make, std::function<void(const std::string&)> on_crash) {
    make_ = std::move(make);
    accept();
    thread_ = std::thread([this, on_crash = std::move(on_crash)] {
        // A handler that throws must not take the whole fake down: note it and keep serving.
        for (;;) {
            try {
                ioc_.run();
                return;
            } catch (const std::exception& e) {
                on_crash(std::string("server thread: ") + e.what());
            }
        }
    });
}

void server::stop(std::function<void()> on_stop) {
    asio::post(ioc_, [this, on_stop = std::move(on_stop)] { shutdown(on_stop); });
    if (thread_.joinable()) thread_.join();
}

void server::track(const std::shared_ptr<connection>& c) {
    std::erase_if(sessions_, [](const std::weak_ptr<connection>& p) { return p.expired(); });
    sessions_.push_back(c);
}

void server::accept() {
    acceptor_.async_accept(ioc_, [this](beast::error_code ec, tcp::socket socket) {
        if (stopping_ || ec == asio::error::operation_aborted) return;
        if (!ec) {
            boost::system::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            auto s = make_(std::move(socket));
            track(s);
            s->start();
        }
        accept();  // a failed accept (e.g. out of descriptors) does not stop the server
    });
}

// Server thread: closes everything so clients see the connection end, then stops.
void server::shutdown(const std::function<void()>& on_stop) {
    stopping_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    if (on_stop) on_stop();
    for (auto& p : sessions_)
        if (auto s = p.lock()) s->close();
    sessions_.clear();
    work_.reset();
    ioc_.stop();
}

}  // namespace firebreak::testing::fake_net
