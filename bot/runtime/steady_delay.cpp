#include "bot/runtime/steady_delay.hpp"

#include <boost/asio/steady_timer.hpp>

namespace firebreak {

namespace {

class steady_delay_timer final : public delay_timer {
public:
    explicit steady_delay_timer(boost::asio::any_io_executor ex) : timer_(ex) {}
    ~steady_delay_timer() override { timer_.cancel(); }
    void wait(duration d, std::function<void()> then) override {
        timer_.expires_after(d);
        timer_.async_wait([then = std::move(then)](boost::system::error_code ec) {
            if (!ec) then();
        });
    }
    void cancel() override { timer_.cancel(); }

private:
    boost::asio::steady_timer timer_;
};

}  // namespace

std::unique_ptr<delay_timer> steady_delay(boost::asio::any_io_executor ex) {
    return std::make_unique<steady_delay_timer>(ex);
}

}  // namespace firebreak
