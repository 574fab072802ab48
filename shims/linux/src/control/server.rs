//! The control socket: a Unix stream socket, mode 0600, that only root
//! (or carpd's own user) may use, served from a thread of its own so a
//! slow or silent client never holds up the protocol.
//!
//! The thread accepts a connection, checks the peer's credentials
//! (`SO_PEERCRED`), reads one request line (at most
//! [`MAX_REQUEST`] bytes, within
//! [`CLIENT_TIMEOUT`]), and hands it to the daemon's thread through a
//! queue, waking it with a byte on a socket pair the daemon polls
//! ([`ControlServer::wake_fd`]). The daemon runs the request
//! ([`ControlServer::serve`]), on its own thread, between two protocol
//! events: requests are carried out one at a time, in order, each whole.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::time::Duration;

use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};

use super::handler::{handle, ControlHost};
use super::protocol::{Request, Response, MAX_REQUEST};

/// How long a client may take to send its request and read the answer.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a client waits for the daemon's thread to carry a request out.
pub const DAEMON_TIMEOUT: Duration = Duration::from_secs(10);

/// Requests waiting for the daemon's thread (more wait in the kernel's
/// listen queue).
const QUEUE: usize = 8;

struct Job {
    request: Request,
    reply: SyncSender<Response>,
}

/// The control socket of a running carpd.
#[derive(Debug)]
pub struct ControlServer {
    path: PathBuf,
    listener: Arc<UnixListener>,
    wake: UnixStream,
    jobs: Receiver<JobBox>,
}

/// A [`Job`] with a `Debug` the server can derive.
struct JobBox(Job);

impl std::fmt::Debug for JobBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.0.request)
    }
}

impl ControlServer {
    /// Listens on `path`: a stale socket (nobody answers) is replaced; a
    /// live one means another carpd runs, and is refused.
    ///
    /// # Errors
    /// Another carpd answers on `path`; `path` is something other than a
    /// socket; the socket cannot be made.
    pub fn bind(path: &Path) -> io::Result<ControlServer> {
        // Its directory (/run/carpd) is root's alone; systemd makes it
        // (RuntimeDirectory=carpd), carpd run by hand makes it here.
        if let Some(dir) = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty() && !d.exists())
        {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
            // The umask can be another thread's 0o177 of the bind below
            // (a second control socket being made): set the mode itself.
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        }
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            if !meta.file_type().is_socket() {
                return Err(io::Error::other(format!(
                    "control socket {}: exists and is not a socket",
                    path.display()
                )));
            }
            if UnixStream::connect(path).is_ok() {
                return Err(io::Error::other(format!(
                    "control socket {}: another carpd answers there (give this one --control PATH)",
                    path.display()
                )));
            }
            std::fs::remove_file(path)?;
        }
        // Made with no permission for group and others from the start, so
        // there is no moment a non-root user could connect.
        let old = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o177));
        let bound = UnixListener::bind(path);
        nix::sys::stat::umask(old);
        let listener = Arc::new(bound.map_err(|e| {
            io::Error::new(e.kind(), format!("control socket {}: {e}", path.display()))
        })?);
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        let (wake, wake_tx) = UnixStream::pair()?;
        wake.set_nonblocking(true)?;
        wake_tx.set_nonblocking(true)?;
        let (tx, jobs) = sync_channel::<JobBox>(QUEUE);
        let accept = Arc::clone(&listener);
        std::thread::Builder::new()
            .name("carpd-control".into())
            .spawn(move || {
                for stream in accept.incoming() {
                    match stream {
                        Ok(s) => serve_client(s, &tx, &wake_tx),
                        // Shut down (the daemon is leaving), or out of
                        // descriptors for a moment.
                        Err(e) if e.kind() == io::ErrorKind::InvalidInput => return,
                        Err(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
            })?;
        Ok(ControlServer {
            path: path.to_owned(),
            listener,
            wake,
            jobs,
        })
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Readable when requests wait: poll it beside the protocol's sockets.
    pub fn wake_fd(&self) -> BorrowedFd<'_> {
        self.wake.as_fd()
    }

    /// Carries out every waiting request on `host` and answers each;
    /// returns how many there were. Never blocks.
    pub fn serve<H: ControlHost>(&self, host: &mut H) -> usize {
        let mut sink = [0u8; 64];
        while matches!((&self.wake).read(&mut sink), Ok(n) if n > 0) {}
        let mut n = 0;
        while let Ok(JobBox(job)) = self.jobs.try_recv() {
            let response = handle(host, &job.request);
            let _ = job.reply.try_send(response);
            n += 1;
        }
        n
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        // Ends the accept loop (accept fails with EINVAL), then the file.
        let _ =
            nix::sys::socket::shutdown(self.listener.as_raw_fd(), nix::sys::socket::Shutdown::Both);
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether a peer may control carpd: root, or carpd's own user.
fn allowed(stream: &UnixStream) -> bool {
    getsockopt(stream, PeerCredentials)
        .is_ok_and(|c| c.uid() == 0 || c.uid() == nix::unistd::geteuid().as_raw())
}

fn serve_client(stream: UnixStream, jobs: &SyncSender<JobBox>, wake: &UnixStream) {
    let _ = stream.set_read_timeout(Some(CLIENT_TIMEOUT));
    let _ = stream.set_write_timeout(Some(CLIENT_TIMEOUT));
    let response = if allowed(&stream) {
        match read_request(&stream) {
            Ok(request) => run(request, jobs, wake),
            Err(why) => Response::refused(why),
        }
    } else {
        Response::refused("the carpd control socket is for root only")
    };
    let mut out = serde_json::to_string(&response).unwrap_or_else(|_| "{\"ok\":false}".into());
    out.push('\n');
    let _ = (&stream).write_all(out.as_bytes());
}

fn read_request(stream: &UnixStream) -> Result<Request, String> {
    let mut line = String::new();
    let limit = u64::try_from(MAX_REQUEST).unwrap_or(u64::MAX);
    BufReader::new(stream.take(limit))
        .read_line(&mut line)
        .map_err(|e| format!("reading the request: {e}"))?;
    if !line.ends_with('\n') && line.len() >= MAX_REQUEST {
        return Err(format!("request longer than {MAX_REQUEST} bytes"));
    }
    serde_json::from_str(line.trim_end()).map_err(|e| format!("bad request: {e}"))
}

fn run(request: Request, jobs: &SyncSender<JobBox>, wake: &UnixStream) -> Response {
    let (reply, answer) = sync_channel(1);
    if jobs.try_send(JobBox(Job { request, reply })).is_err() {
        return Response::refused("carpd is busy with other control requests; try again");
    }
    let _ = (&*wake).write(&[1]);
    answer.recv_timeout(DAEMON_TIMEOUT).unwrap_or_else(|_| {
        Response::refused(format!(
            "carpd did not carry the request out within {} s (nothing is known of it)",
            DAEMON_TIMEOUT.as_secs()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::client::call;
    use crate::control::handler::HostEngine;
    use carp_core::Instant;

    struct Empty(Box<HostEngine>, usize);

    impl ControlHost for Empty {
        fn engine(&self) -> &HostEngine {
            &self.0
        }
        fn engine_mut(&mut self) -> &mut HostEngine {
            &mut self.0
        }
        fn now(&self) -> Instant {
            Instant::ZERO
        }
        fn after_write(&mut self, _: Option<&str>) {
            self.1 += 1;
        }
        fn reload(&mut self) -> Result<String, String> {
            Err("no configuration file".into())
        }
    }

    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("carpd-ctl-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        // The directory is made by bind, root's alone.
        dir.join("run").join("carpd.sock")
    }

    /// The daemon's side: wait for the wake byte, serve, until `n` served.
    fn serve_n(server: &ControlServer, host: &mut Empty, n: usize) {
        let mut served = 0;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while served < n && std::time::Instant::now() < deadline {
            let mut fds = [nix::poll::PollFd::new(
                server.wake_fd(),
                nix::poll::PollFlags::POLLIN,
            )];
            let _ = nix::poll::poll(&mut fds, nix::poll::PollTimeout::from(100u16));
            served += server.serve(host);
        }
        assert_eq!(served, n);
    }

    #[test]
    fn a_request_travels_the_socket_and_is_carried_out_on_the_daemons_thread() {
        let path = scratch("roundtrip");
        let server = ControlServer::bind(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dir = std::fs::metadata(path.parent().unwrap()).unwrap();
        assert_eq!(dir.permissions().mode() & 0o777, 0o700);
        let mut host = Empty(Box::new(HostEngine::new(Vec::new())), 0);
        let p = path.clone();
        let client = std::thread::spawn(move || {
            let a = call(
                &p,
                &Request::Sysctl {
                    line: Some("preempt=1".into()),
                },
            )
            .unwrap();
            let b = call(&p, &Request::Reload {}).unwrap();
            (a, b)
        });
        serve_n(&server, &mut host, 2);
        let (a, b) = client.join().unwrap();
        assert_eq!(a.text.as_deref(), Some("net.inet.carp.preempt=1\n"));
        assert!(host.0.sysctl().preempt());
        assert_eq!(b.error.as_deref(), Some("no configuration file"));
        assert_eq!(host.1, 1, "one write, one poll of every parent");
    }

    #[test]
    fn a_live_socket_is_refused_and_a_stale_one_replaced() {
        let path = scratch("stale");
        let first = ControlServer::bind(&path).unwrap();
        let e = ControlServer::bind(&path).unwrap_err();
        assert!(e.to_string().contains("another carpd answers there"), "{e}");
        drop(first);
        assert!(!path.exists(), "the socket goes with the server");
        // A socket file nobody listens on (a carpd killed with -9).
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        assert!(path.exists());
        let _again = ControlServer::bind(&path).unwrap();
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        let path = scratch("garbage");
        let _server = ControlServer::bind(&path).unwrap();
        let mut s = UnixStream::connect(&path).unwrap();
        s.write_all(b"{\"op\":\"format\"}\n").unwrap();
        let mut answer = String::new();
        BufReader::new(&s).read_line(&mut answer).unwrap();
        let r: Response = serde_json::from_str(&answer).unwrap();
        assert!(!r.ok);
        assert!(r
            .error
            .unwrap()
            .starts_with("bad request: unknown variant `format`"));
    }
}
