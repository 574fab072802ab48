//! On Cortex-M, hands cortex-m-rt the memory map of QEMU's `mps2-an386`
//! (Arm MPS2 with the AN386 FPGA image: 4 MiB of code SSRAM at 0, 4 MiB of
//! data SSRAM at 0x2000_0000) and links with its `link.x`.

use std::path::PathBuf;

const MEMORY_X: &str = "\
MEMORY
{
  FLASH : ORIGIN = 0x00000000, LENGTH = 4M
  RAM   : ORIGIN = 0x20000000, LENGTH = 4M
}
";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() != Ok("arm") {
        return;
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR"));
    std::fs::write(out.join("memory.x"), MEMORY_X).expect("write memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
}
