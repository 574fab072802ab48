//! The C ABI of carp.
