//! carpctl's side of the control socket: one request, one response.

use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use super::protocol::{Request, Response};
use super::server::{CLIENT_TIMEOUT, DAEMON_TIMEOUT};

/// Sends `request` to the carpd listening on `socket` and returns its
/// answer.
///
/// # Errors
/// No carpd there, no permission, a timeout, or an answer that is not a
/// response; each error says which in words an operator can act on.
pub fn call(socket: &Path, request: &Request) -> io::Result<Response> {
    let mut stream = UnixStream::connect(socket).map_err(|e| {
        let hint = match e.kind() {
            io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused => {
                " (is carpd running, and with this --control path?)"
            }
            io::ErrorKind::PermissionDenied => {
                " (the control socket is root's: run carpctl as root)"
            }
            _ => "",
        };
        io::Error::new(e.kind(), format!("{}: {e}{hint}", socket.display()))
    })?;
    stream.set_write_timeout(Some(CLIENT_TIMEOUT))?;
    stream.set_read_timeout(Some(
        DAEMON_TIMEOUT + CLIENT_TIMEOUT + Duration::from_secs(1),
    ))?;
    let mut line = serde_json::to_string(request).map_err(io::Error::other)?;
    line.push('\n');
    stream.write_all(line.as_bytes())?;
    let mut answer = String::new();
    BufReader::new(&stream).read_line(&mut answer)?;
    serde_json::from_str(answer.trim_end()).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: not a carpd answer ({e}): {answer:?}", socket.display()),
        )
    })
}
