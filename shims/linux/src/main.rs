//! The `carpd` binary; see `carpd --help`.

fn main() -> std::process::ExitCode {
    carpd::main_with_args()
}
