//! A bridge port set down at an exact instant: `ip -batch -` already
//! running in the bridge namespace reads the command from a pipe, so the
//! crash is when the line is written, not after a process start (which
//! takes milliseconds).

use std::io::Write as _;
use std::process::{Child, Stdio};
use std::time::Duration;

use crate::netns::Lab;
use crate::process::wait_until;

/// `ip -batch -` in the bridge namespace, reading commands from a pipe.
#[derive(Debug)]
pub struct PortSwitch {
    child: Child,
}

impl PortSwitch {
    /// Starts `ip -batch -` in `lab`'s bridge namespace.
    ///
    /// # Panics
    /// When `ip` cannot be spawned.
    pub fn start(lab: &Lab) -> PortSwitch {
        let child = lab
            .bridge()
            .command("ip")
            .args(["-batch", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ip -batch");
        PortSwitch { child }
    }

    /// Sets `port` down and waits (bounded) for `ip` to finish.
    ///
    /// # Panics
    /// When `ip` fails or does not finish within 5 s.
    pub fn down(&mut self, port: &str) {
        let mut stdin = self.child.stdin.take().expect("ip's stdin");
        stdin
            .write_all(format!("link set {port} down\n").as_bytes())
            .expect("write to ip -batch");
        stdin.flush().expect("flush ip -batch");
        drop(stdin);
        let exited = wait_until(Duration::from_secs(5), || {
            matches!(self.child.try_wait(), Ok(Some(_)))
        });
        assert!(exited, "ip -batch did not finish");
        let status = self.child.wait().expect("wait for ip -batch");
        assert!(status.success(), "ip link set {port} down: {status}");
    }
}

impl Drop for PortSwitch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
