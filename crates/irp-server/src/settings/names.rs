//! The names settings go by: dotted keys, their environment variables, the `IRP_…` variables that
//! are not settings, the spec's keys that are not implemented yet, and hints for typos.

use super::Settings;

/// `IRP_…` variables that are not settings, with what reads them. Any other `IRP_…` variable must
/// name a setting, so that a misspelt one is refused as a misspelt file key is.
pub const OTHER_VARIABLES: &[(&str, &str)] = &[
    ("IRP_LOG", "the log filter of the irp command"),
    ("IRP_CONFIG", "irp serve --config"),
    ("IRP_LISTEN", "irp serve --listen"),
    ("IRP_DATA_DIR", "--data-dir of irp serve and irp admin"),
    ("IRP_DATABASE_URL", "--database of irp serve and irp admin"),
    (
        "IRP_ADMIN_PASSWORD",
        "irp admin add-user and reset-password",
    ),
    (
        "IRP_TEST_DATABASE_URL",
        "the PostgreSQL variants of the tests",
    ),
    (
        "IRP_TEST_RUN_ID",
        "scripts/test.sh: marks the run's scratch databases",
    ),
    ("IRP_FUZZ_CASES", "the fuzz tests of irp-core"),
    ("IRP_BENCH_DATABASE_URL", "scripts/bench-all.sh"),
    ("IRP_BENCH_PRELOADS", "scripts/bench-all.sh"),
];

const THROTTLE: &str = "there is no throttle of repeated failures (D-56)";
const RETURNS: &str = "there are no returns views (11-returns.md)";

/// Keys of the spec that nothing implements yet. They are refused with the reason rather than
/// accepted and ignored, so that no operator believes a limit is in force when it is not.
pub const NOT_IMPLEMENTED: &[(&str, &str)] = &[
    (
        "ewb.vehicle_formats",
        "the three vehicle-number formats of 06 §5.6 are built in and cannot be changed",
    ),
    (
        "ewb.pin_distance_master",
        "distances are always estimated from the shipped PIN directory (D-43); \
         an operator's pin_from,pin_to,km file is not read",
    ),
    ("throttle.enabled", THROTTLE),
    ("throttle.max_identical_failures", THROTTLE),
    ("throttle.window_minutes", THROTTLE),
    ("returns.hsn_split_from", RETURNS),
    ("returns.igst_on_intra_inv_typ", RETURNS),
    ("returns.offline_tool_version", RETURNS),
    ("returns.feed_max_limit", RETURNS),
];

/// Every key, dotted, in declaration order, read off the serialised defaults so that a new field
/// is a new key everywhere: environment names, hints and the documentation test.
pub fn keys() -> Vec<String> {
    // JSON rather than TOML: it keeps the keys whose default is `None`.
    let defaults =
        serde_json::to_value(Settings::default()).expect("the default settings serialise");
    let mut keys = Vec::new();
    collect(&defaults, "", &mut keys);
    keys
}

fn collect(value: &serde_json::Value, prefix: &str, keys: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(fields) => {
            for (name, inner) in fields {
                collect(inner, &join(prefix, name), keys);
            }
        }
        _ => keys.push(prefix.to_owned()),
    }
}

pub(super) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// `validation.strict_decimals` → `IRP_VALIDATION_STRICT_DECIMALS`.
pub fn env_name(key: &str) -> String {
    format!("IRP_{}", key.replace('.', "_").to_ascii_uppercase())
}

/// `` (did you mean `validation.strict_decimals`?)`` for a misspelt key, or nothing.
pub(super) fn key_hint(key: &str) -> String {
    let mut known = keys();
    let mut sections: Vec<String> = known
        .iter()
        .filter_map(|key| key.split_once('.').map(|(section, _)| section.to_owned()))
        .collect();
    sections.dedup();
    known.extend(sections);
    hint(key, key, &known, ".")
}

/// The same for an environment variable.
pub(super) fn variable_hint(name: &str) -> String {
    let known: Vec<String> = keys()
        .iter()
        .map(String::as_str)
        .chain(NOT_IMPLEMENTED.iter().map(|(key, _)| *key))
        .map(env_name)
        .chain(OTHER_VARIABLES.iter().map(|(name, _)| (*name).to_owned()))
        .collect();
    hint(name, name.strip_prefix("IRP_").unwrap_or(name), &known, "_")
}

/// The known name a typo most likely meant: one a few edits away, or else one that ends with
/// `tail` (a key written without its section: `strict_decimals` in a file, or its variable in the
/// environment).
fn hint(name: &str, tail: &str, known: &[String], separator: &str) -> String {
    let nearest = known
        .iter()
        .map(|candidate| (strsim::levenshtein(name, candidate), candidate))
        .min()
        .filter(|(distance, _)| *distance <= (name.len() / 6).max(2))
        .map(|(_, candidate)| candidate);
    let suffix = format!("{separator}{tail}");
    match nearest.or_else(|| known.iter().find(|candidate| candidate.ends_with(&suffix))) {
        Some(candidate) => format!(" (did you mean `{candidate}`?)"),
        None => String::new(),
    }
}
