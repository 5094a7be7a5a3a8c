//! Every corpus file and every saved crash through its target, without AFL++: a crash that
//! `scripts/fuzz.sh` saved under `crashes/<target>/` fails `cargo test` until it is fixed.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use irp_core::bind::{parse_cancel_request, parse_invoice};
use irp_core::protocol::{decrypt_credentials, decrypt_payload};
use irp_core::rules::Rules;
use irp_fuzz::{SEK, TARGETS, auth_key, envelope_data, register};

fn crate_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The files of `folder`, sorted; none when it does not exist.
fn files(folder: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a readable folder").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// Every input of the repository: (target name, file).
fn inputs() -> Vec<(&'static str, PathBuf)> {
    let mut inputs = Vec::new();
    for target in TARGETS {
        for kind in ["corpus", "crashes"] {
            for file in files(&crate_dir().join(kind).join(target.name)) {
                inputs.push((target.name, file));
            }
        }
    }
    inputs
}

#[test]
fn every_corpus_file_and_saved_crash_passes_its_target() {
    let mut failures = Vec::new();
    let mut count = 0;
    for (name, file) in inputs() {
        let target = irp_fuzz::target(name).expect("a target");
        let input = std::fs::read(&file).expect("a readable input");
        count += 1;
        if catch_unwind(AssertUnwindSafe(|| (target.run)(&input))).is_err() {
            failures.push(format!("{name}: {}", file.display()));
        }
    }
    assert!(count > 0, "no input found");
    assert!(
        failures.is_empty(),
        "inputs that fail their target (replay one with `cargo run -p irp-fuzz -- TARGET FILE`):\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_target_has_a_corpus_and_every_folder_a_target() {
    for target in TARGETS {
        assert!(
            !files(&crate_dir().join("corpus").join(target.name)).is_empty(),
            "corpus/{} is empty",
            target.name
        );
    }
    for kind in ["corpus", "crashes"] {
        let Ok(entries) = std::fs::read_dir(crate_dir().join(kind)) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("a readable folder").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            assert!(
                !path.is_dir() || irp_fuzz::target(name).is_some(),
                "{kind}/{name} names no target"
            );
        }
    }
}

/// The seeds get past the first checks of their targets, so that fuzzing starts deep: the
/// invoices and cancel requests bind, the payloads decrypt with the targets' SEK, the login data
/// with their key.
#[test]
fn the_seeds_get_past_the_first_checks() {
    let corpus = crate_dir().join("corpus");
    let read = |file: &Path| std::fs::read(file).expect("a readable seed");
    for file in files(&corpus.join("invoice")) {
        let bound = parse_invoice(&read(&file), &Rules::default(), register());
        assert!(bound.is_ok(), "{}: {bound:?}", file.display());
    }
    for file in files(&corpus.join("cancel")) {
        let bound = parse_cancel_request(&read(&file));
        assert!(bound.is_ok(), "{}: {bound:?}", file.display());
    }
    for file in files(&corpus.join("payload")) {
        let input = read(&file);
        let data = envelope_data(&input)
            .unwrap_or_else(|| String::from_utf8(input).expect("a UTF-8 Data text"));
        assert!(decrypt_payload(&SEK, &data).is_ok(), "{}", file.display());
    }
    let data = String::from_utf8(read(&corpus.join("credentials/login-data.txt"))).expect("text");
    assert_eq!(
        decrypt_credentials(auth_key(), &data).ok(),
        Some(read(&corpus.join("credentials/login.json")))
    );
}

/// The payload target fuzzes a copy of the portal's `Data` extraction (to keep the portal out of
/// the fuzz build); on every input of the repository the copy and the portal agree.
#[test]
fn the_copy_of_envelope_data_agrees_with_the_portal() {
    for (_, file) in inputs() {
        let body = std::fs::read(&file).expect("a readable input");
        assert_eq!(
            envelope_data(&body),
            irp_server::api::pipeline::envelope_data(&body).ok(),
            "{}",
            file.display()
        );
    }
}
