//! Architecture invariants checked as tests.

use std::path::Path;

/// The core stays pure: no runtime, database, HTTP or file-system crates (ARCHITECTURE.md).
#[test]
fn the_core_depends_on_no_io_crates() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let dependencies = manifest
        .split("[dependencies]")
        .nth(1)
        .unwrap()
        .split("\n[")
        .next()
        .unwrap();
    for banned in [
        "tokio",
        "sqlx",
        "axum",
        "hyper",
        "reqwest",
        "postgres",
        "rusqlite",
        "tracing",
        "serde_json",
    ] {
        let declared = dependencies
            .lines()
            .any(|line| line.trim_start().starts_with(banned));
        assert!(!declared, "irp-core must not depend on {banned}");
    }
}

/// The product never reads `../shared` at run time: master data is embedded from `data/`.
#[test]
fn no_source_file_reaches_into_shared() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(
                    !text.contains("../shared")
                        && !text.contains("shared/spec")
                        && !text.contains("shared/data"),
                    "{} refers to ../shared",
                    path.display()
                );
            }
        }
    }
}
