// Boost.Asio's implementation, compiled once here instead of in every translation
// unit that uses it (BOOST_ASIO_SEPARATE_COMPILATION is set for all of them by the
// fb_net target), which keeps builds fast on small machines.
#include <boost/asio/impl/src.hpp>
