// hello_beast: the smallest honest Boost.Beast HTTP/1.1 server, the in-run
// anchor of bench/edge/run. It does what the gateway's edge does for a
// request minus the gateway: N I/O threads on one io_context, a strand per
// connection, async read of a whole request (string body), keep-alive, and
// an answer of the same size as the gateway's GET /healthz (a JSON body with
// Content-Length). Any path answers the same.
//
//   hello_beast [--threads N]     listens on 127.0.0.1, a free port; prints
//                                 "listening on http://127.0.0.1:PORT"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

const std::string body = R"({"status":"ok"})";

class Session : public std::enable_shared_from_this<Session> {
public:
    explicit Session(tcp::socket socket)
        : m_stream(std::move(socket))
    {
    }

    void start()
    {
        net::dispatch(m_stream.get_executor(), [self = shared_from_this()] { self->read(); });
    }

private:
    void read()
    {
        m_request = {};
        http::async_read(
            m_stream, m_buffer, m_request,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
    }

    void onRead(beast::error_code ec)
    {
        if (ec) {
            close();
            return;
        }
        m_response = {};
        m_response.result(http::status::ok);
        m_response.version(11);
        m_response.set(http::field::content_type, "application/json");
        m_response.keep_alive(m_request.keep_alive());
        m_response.body() = body;
        m_response.prepare_payload();
        http::async_write(m_stream, m_response,
                          [self = shared_from_this()](beast::error_code written, std::size_t) {
                              if (written || !self->m_response.keep_alive()) {
                                  self->close();
                                  return;
                              }
                              self->read();
                          });
    }

    void close()
    {
        beast::error_code ignored;
        m_stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        m_stream.socket().close(ignored);
    }

    beast::tcp_stream m_stream;
    beast::flat_buffer m_buffer;
    http::request<http::string_body> m_request;
    http::response<http::string_body> m_response;
};

class Listener : public std::enable_shared_from_this<Listener> {
public:
    Listener(net::io_context &io, tcp::acceptor acceptor)
        : m_io(io)
        , m_acceptor(std::move(acceptor))
    {
    }

    void accept()
    {
        m_acceptor.async_accept(
            net::make_strand(m_io),
            [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
                if (!ec) {
                    socket.set_option(tcp::no_delay(true), ec);
                    std::make_shared<Session>(std::move(socket))->start();
                }
                self->accept();
            });
    }

private:
    net::io_context &m_io;
    tcp::acceptor m_acceptor;
};

} // namespace

int main(int argc, char *argv[])
{
    int threads = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            threads = std::atoi(argv[++i]);
        } else {
            std::fprintf(stderr, "usage: hello_beast [--threads N]\n");
            return 2;
        }
    }
    if (threads < 1 || threads > 256) {
        std::fprintf(stderr, "--threads: 1 to 256\n");
        return 2;
    }
    net::io_context io(threads);
    tcp::acceptor acceptor(net::make_strand(io));
    const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(net::socket_base::max_listen_connections);
    const unsigned short port = acceptor.local_endpoint().port();
    std::make_shared<Listener>(io, std::move(acceptor))->accept();

    net::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&io](beast::error_code, int) { io.stop(); });

    std::printf("listening on http://127.0.0.1:%u with %d I/O threads\n", port, threads);
    std::fflush(stdout);
    std::vector<std::thread> pool;
    for (int i = 1; i < threads; ++i)
        pool.emplace_back([&io] { io.run(); });
    io.run();
    for (std::thread &thread : pool)
        thread.join();
    return 0;
}
