//! Who runs what: a lock file per parent and vhid, so a second carpd for
//! the same vhid refuses to start (two daemons would share one macvlan and
//! one claim to the virtual address), and the optional pid file.
//!
//! Locks are `flock(2)` locks on files in the run directory named for the
//! network namespace, the parent's interface index and the vhid
//! (`net4026531840-if2-vhid1.lock`): the kernel drops a lock when its
//! holder dies, so a lock that can be taken belongs to nobody, whatever
//! files a killed carpd left. The namespace is part of the name because
//! interface indexes and names repeat across namespaces. The file holds the
//! holder's pid and the parent's name, for the refusal message.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use nix::fcntl::{Flock, FlockArg};

/// The network namespace carpd runs in, as the inode number of
/// `/proc/self/ns/net` (what `ip netns identify` compares).
///
/// # Errors
/// When /proc is not mounted.
pub fn netns_id() -> io::Result<u64> {
    Ok(fs::metadata("/proc/self/ns/net")?.ino())
}

/// Why a lock was not taken.
#[derive(Debug)]
pub enum LockError {
    /// Another live process holds it.
    Held {
        /// Its pid as it wrote it (0 if unreadable).
        pid: u32,
        /// The lock file.
        path: PathBuf,
    },
    /// The run directory or the file could not be used.
    Io(io::Error),
}

impl std::fmt::Display for LockError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LockError::Held { pid, path } => {
                write!(f, "held by carpd pid {pid} ({})", path.display())
            }
            LockError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for LockError {}

/// A held lock; released (and its file removed) on drop.
#[derive(Debug)]
pub struct Lock {
    file: Option<Flock<File>>,
    path: PathBuf,
}

impl Lock {
    /// Takes the lock at `path` without waiting, writing `note` (after our
    /// pid) into it.
    ///
    /// # Errors
    /// [`LockError::Held`] when a live process holds it.
    pub fn acquire(path: &Path, note: &str) -> Result<Lock, LockError> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(LockError::Io)?;
        }
        // Bounded: each retry means another process removed the file
        // between our open and our lock.
        for _ in 0..8 {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
                .map_err(LockError::Io)?;
            let mut locked = match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
                Ok(l) => l,
                Err((mut file, nix::errno::Errno::EWOULDBLOCK)) => {
                    return Err(LockError::Held {
                        pid: read_pid(&mut file),
                        path: path.to_owned(),
                    });
                }
                Err((_, e)) => return Err(LockError::Io(e.into())),
            };
            // The file we locked must still be the one at `path`: a holder
            // that released it unlinked it after we opened it.
            let same = match (fs::metadata(path), locked.metadata()) {
                (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
                _ => false,
            };
            if !same {
                continue;
            }
            locked.set_len(0).map_err(LockError::Io)?;
            writeln!(locked, "{} {note}", std::process::id()).map_err(LockError::Io)?;
            return Ok(Lock {
                file: Some(locked),
                path: path.to_owned(),
            });
        }
        Err(LockError::Io(io::Error::other(format!(
            "{}: kept changing under us",
            path.display()
        ))))
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Unlink while still holding it, so nobody locks a file that is
        // about to vanish (see the inode check in `acquire`).
        let _ = fs::remove_file(&self.path);
        drop(self.file.take());
    }
}

fn read_pid(file: &mut File) -> u32 {
    let mut text = String::new();
    let _ = file.read_to_string(&mut text);
    text.split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0)
}

/// The lock file of `vhid` on the parent with interface index `ifindex`.
pub fn vhid_lock_path(run_dir: &Path, netns: u64, ifindex: u32, vhid: u8) -> PathBuf {
    run_dir.join(format!("net{netns}-if{ifindex}-vhid{vhid}.lock"))
}

/// The pid file, removed on drop.
#[derive(Debug)]
pub struct PidFile {
    path: PathBuf,
}

impl PidFile {
    /// Writes our pid to `path`.
    ///
    /// # Errors
    /// When it cannot be written.
    pub fn create(path: &Path) -> io::Result<PidFile> {
        fs::write(path, format!("{}\n", std::process::id()))?;
        Ok(PidFile {
            path: path.to_owned(),
        })
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("carpd-lock-{}-{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_held_lock_is_refused_with_the_holders_pid_and_freed_on_drop() {
        let dir = scratch("held");
        let path = vhid_lock_path(&dir, 7, 2, 1);
        assert!(path.ends_with("net7-if2-vhid1.lock"));
        let first = Lock::acquire(&path, "eth0 vhid 1").unwrap();
        // flock locks belong to the open file: a second open in the same
        // process conflicts as another process would.
        match Lock::acquire(&path, "eth0 vhid 1") {
            Err(LockError::Held { pid, .. }) => assert_eq!(pid, std::process::id()),
            other => panic!("{other:?}"),
        }
        drop(first);
        assert!(!path.exists());
        let again = Lock::acquire(&path, "eth0 vhid 1").unwrap();
        assert_eq!(again.path(), path);
        drop(again);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_file_left_by_a_dead_holder_does_not_hold_the_lock() {
        let dir = scratch("stale");
        fs::create_dir_all(&dir).unwrap();
        let path = vhid_lock_path(&dir, 7, 3, 9);
        fs::write(&path, "999999 eth0 vhid 9\n").unwrap();
        let lock = Lock::acquire(&path, "eth0 vhid 9").unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(text, format!("{} eth0 vhid 9\n", std::process::id()));
        drop(lock);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_namespace_id_is_stable() {
        assert_eq!(netns_id().unwrap(), netns_id().unwrap());
    }
}
