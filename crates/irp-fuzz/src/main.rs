//! `irp-fuzz TARGET`: one binary for every target of the library.
//!
//! Built by `cargo afl build --features afl` (`scripts/fuzz.sh`), it is AFL++'s persistent-mode
//! harness: `afl-fuzz … -- irp-fuzz TARGET`. Built plainly, it replays inputs through the target
//! instead, `irp-fuzz TARGET FILE…` (standard input when no file is given), to reproduce a crash
//! under a debugger or with a backtrace.

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(target) = args.next().as_deref().and_then(irp_fuzz::target) else {
        let names: Vec<&str> = irp_fuzz::TARGETS.iter().map(|t| t.name).collect();
        let _ = writeln!(
            std::io::stderr(),
            "usage: irp-fuzz TARGET [FILE…]; targets: {}",
            names.join(", ")
        );
        return ExitCode::from(2);
    };
    let files: Vec<String> = args.collect();
    run(target, &files)
}

/// Under AFL++: warm up, then take inputs from the fuzzer until it stops the process. A panic
/// aborts, which AFL++ records as a crash.
#[cfg(feature = "afl")]
fn run(target: &'static irp_fuzz::Target, _files: &[String]) -> ExitCode {
    (target.run)(target.warm_up);
    afl::fuzz(true, |data| (target.run)(data));
    ExitCode::SUCCESS
}

/// Without AFL++: each file (or standard input) through the target; a panic ends the process
/// with the panic's message and, with `RUST_BACKTRACE=1`, its backtrace.
#[cfg(not(feature = "afl"))]
fn run(target: &'static irp_fuzz::Target, files: &[String]) -> ExitCode {
    use std::io::Read;

    if files.is_empty() {
        let mut input = Vec::new();
        if let Err(error) = std::io::stdin().read_to_end(&mut input) {
            let _ = writeln!(std::io::stderr(), "irp-fuzz: standard input: {error}");
            return ExitCode::FAILURE;
        }
        (target.run)(&input);
    }
    for file in files {
        match std::fs::read(file) {
            Ok(input) => (target.run)(&input),
            Err(error) => {
                let _ = writeln!(std::io::stderr(), "irp-fuzz: {file}: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    let _ = writeln!(
        std::io::stderr(),
        "{}: {} input(s), no failure",
        target.name,
        files.len().max(1)
    );
    ExitCode::SUCCESS
}
