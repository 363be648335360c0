// Boost.Asio's and Boost.Beast's implementations, compiled once here instead of in
// every translation unit that uses them (BOOST_ASIO_SEPARATE_COMPILATION and
// BOOST_BEAST_SEPARATE_COMPILATION are set for all of them by the fb_net target),
// which keeps builds fast on small machines.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
