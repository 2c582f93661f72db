//! The `errlens` binary: everything lives in the library; this only sets the exit status.

fn main() {
    std::process::exit(errlens::cli::main());
}
