//! The `carpctl` binary; see `carpctl --help`.

fn main() -> std::process::ExitCode {
    carpd::carpctl::main_with_args()
}
