//! carpd: carp on a real Linux interface.
