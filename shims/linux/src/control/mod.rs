//! Runtime control of a running carpd: the `carpctl` protocol, the
//! root-only Unix socket it travels over, and what each request does.
//!
//! * [`protocol`]: one JSON request line, one JSON response line.
//! * [`handler`]: requests into [`carp_ctl::Engine`] calls, all
//!   transactional, over a [`handler::ControlHost`] the daemon implements.
//! * [`server`]: the socket ([`DEFAULT_SOCKET`], mode 0600 in a 0700
//!   directory, root's peers only) served from its own thread; the daemon's loop runs each request.
//! * [`client`]: carpctl's side.
//! * [`metrics`]: the counters as netstat text, JSON and Prometheus text.

pub mod client;
pub mod handler;
pub mod metrics;
pub mod protocol;
pub mod server;

/// Where carpd listens unless `--control` says otherwise, and where
/// carpctl connects unless `--socket` or `$CARPD_SOCKET` says otherwise.
pub const DEFAULT_SOCKET: &str = "/run/carpd/carpd.sock";

/// The environment variable carpctl reads the socket path from.
pub const SOCKET_ENV: &str = "CARPD_SOCKET";
