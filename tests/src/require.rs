//! When a test's prerequisite (root, network namespaces, a tool) is
//! missing: skip on a developer's machine, fail where interop is required.
//! The rule lives in the `carp-require` crate (so the simulator's and the
//! C ABI's tests follow it too); this module re-exports it.
//!
//! ```no_run
//! use carp_tests::require::Prerequisite::{Root, Tshark};
//!
//! #[test]
//! fn tshark_reads_our_adverts() {
//!     carp_tests::require!(Root, Tshark);
//!     // ... runs only when both are there ...
//! }
//! ```

pub use carp_require::{interop_required, missing, required_by, skip_or_fail, Prerequisite};
