use irp_core::qr::QrEcc;
use irp_core::register::TaxpayerType;
use rust_decimal::Decimal;

use super::*;

fn from_toml(text: &str) -> Result<Settings, SettingsError> {
    let mut raw = RawSettings::default();
    raw.add_toml(text, "test")?;
    Settings::from_raw(&raw)
}

fn from_env(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    let mut raw = RawSettings::default();
    raw.add_env(
        vars.iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
    )?;
    Settings::from_raw(&raw)
}

#[test]
fn defaults_follow_the_spec() {
    let settings = Settings::defaults();
    assert_eq!(settings.auth.token_minutes, 360);
    assert_eq!(settings.portal.jws_iss, "NIC");
    assert_eq!(settings.rules, Rules::default());
    assert_eq!(settings.limits.max_body_bytes, 2_097_152);
    assert_eq!(settings, Settings::default());
    assert_eq!(settings.compat, Compat::Native);
    assert_eq!(settings.environment, Environment::Production);
    assert_eq!(settings.portal.id, 1);
    assert_eq!(settings.print.qr_ecc, QrEcc::M);
    assert_eq!(settings.ewb.road_factor, 1.3);
    assert_eq!(settings.retrieval.doc_window_hours, 72);
}

#[test]
fn file_then_environment_override_and_sandbox_changes_token_and_iss() {
    let mut raw = RawSettings::default();
    raw.add_toml(
        "environment = \"sandbox\"\n[validation]\nstrict_decimals = true\nmax_errors = 5\n",
        "test",
    )
    .unwrap();
    raw.add_env([
        ("IRP_VALIDATION_MAX_ERRORS".to_owned(), "7".to_owned()),
        ("IRP_PORTAL_ID".to_owned(), "2".to_owned()),
        (
            "IRP_VALIDATION_DOC_DATE_FLOOR".to_owned(),
            "null".to_owned(),
        ),
        (
            "IRP_VALIDATION_ALLOWED_SUPPLIER_TYPES".to_owned(),
            "REG,SED,NRT".to_owned(),
        ),
        ("PATH".to_owned(), "/bin".to_owned()),
    ])
    .unwrap();
    let settings = Settings::from_raw(&raw).unwrap();
    assert_eq!(settings.environment, Environment::Sandbox);
    assert_eq!(settings.auth.token_minutes, 60);
    assert_eq!(settings.portal.jws_iss, "NIC Sandbox");
    assert!(settings.rules.strict_decimals);
    assert_eq!(settings.rules.max_errors, 7);
    assert_eq!(settings.portal.id, 2);
    assert_eq!(settings.irp_name(), "NIC2");
    assert_eq!(settings.rules.doc_date_floor, None);
    assert_eq!(settings.rules.allowed_supplier_types.len(), 3);
}

#[test]
fn the_sandbox_defaults_come_from_one_place_and_yield_to_a_given_value() {
    let sandbox = from_toml("environment = \"sandbox\"\n").unwrap();
    let expected = Settings::defaults_for(Environment::Sandbox);
    assert_eq!(sandbox.portal, expected.portal);
    assert_eq!(sandbox.auth, expected.auth);
    let given = from_toml("environment = \"sandbox\"\nauth.token_minutes = 100\n").unwrap();
    assert_eq!(given.auth.token_minutes, 100);
    assert_eq!(given.portal.jws_iss, "NIC Sandbox");
    let production = from_env(&[("IRP_PORTAL_JWS_ISS", "Test IRP")]).unwrap();
    assert_eq!(production.portal.jws_iss, "Test IRP");
    assert_eq!(production.auth.token_minutes, 360);
}

#[test]
fn unknown_and_invalid_keys_are_refused() {
    let mut raw = RawSettings::default();
    raw.add_toml("[validation]\nstrict_decimal = true\n", "test")
        .unwrap();
    assert!(
        matches!(Settings::from_raw(&raw), Err(SettingsError::Unknown(key)) if key == "validation.strict_decimal")
    );
    let mut raw = RawSettings::default();
    raw.add_toml("portal.id = 3\n", "test").unwrap();
    assert!(matches!(
        Settings::from_raw(&raw),
        Err(SettingsError::Invalid { .. })
    ));
}

#[test]
fn an_unknown_key_names_the_likely_one() {
    let error = from_toml("[validation]\nstrict_decimal = true\n").unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown setting `validation.strict_decimal` (did you mean `validation.strict_decimals`?)"
    );
    let error = from_toml("strict_decimals = true\n").unwrap_err();
    assert!(
        error.to_string().contains("`validation.strict_decimals`"),
        "{error}"
    );
    let error = from_toml("[validaton]\nstrict_decimals = true\n").unwrap_err();
    assert!(matches!(&error, SettingsError::Unknown(key) if key == "validaton"));
    assert!(error.to_string().contains("`validation`"), "{error}");
    let error = from_toml("[portal]\nfrobnicate = 1\n").unwrap_err();
    assert_eq!(error.to_string(), "unknown setting `portal.frobnicate`");
}

#[test]
fn an_invalid_value_names_its_key() {
    for (text, key) in [
        ("portal.node_digit = 0", "portal.node_digit"),
        ("compat = \"nicc\"", "compat"),
        ("environment = \"staging\"", "environment"),
        ("print.qr_ecc = \"Z\"", "print.qr_ecc"),
        (
            "validation.gst_rates = [\"5\", \"x\"]",
            "validation.gst_rates",
        ),
        (
            "validation.allowed_supplier_types = [\"REG\", \"XYZ\"]",
            "validation.allowed_supplier_types",
        ),
        (
            "validation.export_required_fields = \"Nope\"",
            "validation.export_required_fields",
        ),
        (
            "validation.date_year_range = [2099, 2010]",
            "validation.date_year_range",
        ),
        (
            "validation.doc_date_floor = \"2020-10-01\"",
            "validation.doc_date_floor",
        ),
        (
            "validation.strict_decimals = \"maybe\"",
            "validation.strict_decimals",
        ),
        ("validation.max_errors = \"many\"", "validation.max_errors"),
        (
            "validation.hsn_master = \"/nonexistent/hsn.csv\"",
            "validation.hsn_master",
        ),
        (
            "validation.ports = \"/nonexistent/ports.csv\"",
            "validation.ports",
        ),
        (
            "reporting_limit.counting = \"both\"",
            "reporting_limit.counting",
        ),
        (
            "reporting_limit.schedule = [{from = \"soon\", aato_min_inr = 1}]",
            "reporting_limit.schedule",
        ),
        ("[auth]\ntoken_minutes = [1]", "auth.token_minutes"),
    ] {
        match from_toml(text) {
            Err(SettingsError::Invalid { key: got, message }) => {
                assert_eq!(got, key, "{text}: {message}");
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn the_reporting_schedule_is_a_list_of_tables() {
    let mut raw = RawSettings::default();
    raw.add_toml(
        "[reporting_limit]\nschedule = [{from = \"2026-01-01\", aato_min_inr = 10}]\n",
        "test",
    )
    .unwrap();
    let settings = Settings::from_raw(&raw).unwrap();
    assert_eq!(settings.rules.reporting_schedule.len(), 1);
    assert_eq!(settings.rules.reporting_schedule[0].aato_min_inr, 10);
    let dated =
        from_toml("[[reporting_limit.schedule]]\nfrom = 2026-01-01\naato_min_inr = 10\n").unwrap();
    assert_eq!(
        dated.rules.reporting_schedule,
        settings.rules.reporting_schedule
    );
}

#[test]
fn dotted_keys_and_nested_tables_read_alike() {
    let nested =
        from_toml("[validation]\nstrict_decimals = true\n[ewb]\nroad_factor = 1.5\n").unwrap();
    let dotted = from_toml("validation.strict_decimals = true\newb.road_factor = 1.5\n").unwrap();
    let quoted =
        from_toml("\"validation.strict_decimals\" = true\n\"ewb.road_factor\" = 1.5\n").unwrap();
    let mixed =
        from_toml("\"ewb.road_factor\" = 1.5\n[validation]\nstrict_decimals = true\n").unwrap();
    assert!(nested.rules.strict_decimals);
    assert_eq!(nested.ewb.road_factor, 1.5);
    assert_eq!(nested, dotted);
    assert_eq!(nested, quoted);
    assert_eq!(nested, mixed);
}

#[test]
fn the_environment_takes_the_spellings_a_variable_can_hold() {
    let settings = from_env(&[
        ("IRP_VALIDATION_STRICT_DECIMALS", "TRUE"),
        ("IRP_SIGNING_DEFAULT_DISP_SHIP", "true"),
        ("IRP_VALIDATION_MAX_ERRORS", " 12 "),
        ("IRP_VALIDATION_ITEM_TOLERANCE", "0.5"),
        ("IRP_VALIDATION_TOTAL_TOLERANCE", "2"),
        ("IRP_VALIDATION_INVOICE_TOLERANCE", "\"1.25\""),
        ("IRP_VALIDATION_GST_RATES", "0,5,12.5"),
        ("IRP_VALIDATION_DATE_YEAR_RANGE", "2000,2050"),
        ("IRP_VALIDATION_DOC_DATE_FLOOR", "01/04/2021"),
        (
            "IRP_VALIDATION_EXPORT_REQUIRED_FIELDS",
            "[\"CntCode\", \"Port\"]",
        ),
        ("IRP_EWB_MAX_DISTANCE_FACTOR", "3"),
        ("IRP_PRINT_QR_ECC", "h"),
        ("IRP_COMPAT", "nic"),
        ("IRP_REPORTING_LIMIT_COUNTING", "exclusive"),
        ("IRP_PORTAL_SIGNING_KEY", "/etc/irp/key.pem"),
        ("IRP_LOG", "debug"),
        ("IRP_TEST_DATABASE_URL", "postgres://localhost"),
    ])
    .unwrap();
    let rules = &settings.rules;
    assert!(rules.strict_decimals);
    assert!(settings.signing.default_disp_ship);
    assert_eq!(rules.max_errors, 12);
    assert_eq!(rules.item_tolerance, Decimal::new(5, 1));
    assert_eq!(rules.total_tolerance, Decimal::from(2));
    assert_eq!(rules.invoice_tolerance, Decimal::new(125, 2));
    assert_eq!(
        rules.gst_rates,
        [Decimal::ZERO, Decimal::from(5), Decimal::new(125, 1)]
    );
    assert_eq!(rules.date_year_range, (2000, 2050));
    assert_eq!(
        rules.doc_date_floor,
        chrono::NaiveDate::from_ymd_opt(2021, 4, 1)
    );
    assert_eq!(rules.export_required_fields.len(), 2);
    assert_eq!(settings.ewb.max_distance_factor, 3.0);
    assert_eq!(settings.print.qr_ecc, QrEcc::H);
    assert_eq!(settings.compat, Compat::Nic);
    assert_eq!(
        rules.reporting_counting,
        irp_core::rules::Counting::Exclusive
    );
    assert_eq!(
        settings.portal.signing_key.as_deref(),
        Some(std::path::Path::new("/etc/irp/key.pem"))
    );
    let floor_off = from_env(&[("IRP_VALIDATION_DOC_DATE_FLOOR", "none")]).unwrap();
    assert_eq!(floor_off.rules.doc_date_floor, None);
}

#[test]
fn an_unknown_irp_variable_is_refused_with_its_name() {
    let error = from_env(&[
        ("IRP_VALIDATION_STRICT_DECIMAL", "true"),
        ("IRP_LOG", "info"),
        ("HOME", "/root"),
    ])
    .unwrap_err();
    assert!(
        matches!(&error, SettingsError::UnknownVariables(names) if names == &["IRP_VALIDATION_STRICT_DECIMAL"])
    );
    let message = error.to_string();
    assert!(
        message.contains(
            "`IRP_VALIDATION_STRICT_DECIMAL` (did you mean `IRP_VALIDATION_STRICT_DECIMALS`?)"
        ),
        "{message}"
    );
    let error = from_env(&[("IRP_STRICT_DECIMALS", "true"), ("IRP_LGO", "info")]).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("`IRP_LGO` (did you mean `IRP_LOG`?)"),
        "{message}"
    );
    assert!(
        message.contains("`IRP_STRICT_DECIMALS` (did you mean `IRP_VALIDATION_STRICT_DECIMALS`?)"),
        "{message}"
    );
}

#[test]
fn variables_that_are_not_settings_pass() {
    let vars: Vec<(&str, &str)> = OTHER_VARIABLES
        .iter()
        .map(|(name, _)| (*name, "x"))
        .collect();
    assert_eq!(from_env(&vars).unwrap(), Settings::defaults());
}

#[test]
fn environment_names_are_distinct() {
    let mut names: Vec<String> = keys()
        .iter()
        .map(String::as_str)
        .chain(NOT_IMPLEMENTED.iter().map(|(key, _)| *key))
        .map(env_name)
        .chain(OTHER_VARIABLES.iter().map(|(name, _)| (*name).to_owned()))
        .collect();
    let count = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), count);
    assert!(keys().contains(&"validation.strict_decimals".to_owned()));
    assert!(keys().contains(&"portal.signing_key".to_owned()));
}

#[test]
fn bulk_settings_are_read_and_checked() {
    let settings = from_toml("[bulk]\nmax_documents = 10\nconcurrency = 4\n").unwrap();
    assert_eq!(settings.bulk.max_documents, 10);
    assert_eq!(settings.bulk.concurrency, 4);
    assert_eq!(settings.bulk.max_body_bytes, 5 * 1024 * 1024);
    assert_eq!(settings.bulk.retention_days, 30);
    let settings = from_env(&[("IRP_BULK_RETENTION_DAYS", "7")]).unwrap();
    assert_eq!(settings.bulk.retention_days, 7);
    for (text, key) in [
        ("[bulk]\nmax_documents = 0\n", "bulk.max_documents"),
        ("[bulk]\nconcurrency = 0\n", "bulk.concurrency"),
        ("[bulk]\nconcurrency = 257\n", "bulk.concurrency"),
        ("[bulk]\nretention_days = 0\n", "bulk.retention_days"),
    ] {
        let error = from_toml(text).unwrap_err();
        assert!(
            matches!(&error, SettingsError::Invalid { key: k, .. } if k == key),
            "{text}: {error}"
        );
    }
}

#[test]
fn keys_that_are_not_implemented_are_refused() {
    for text in [
        "throttle.enabled = true\n",
        "[ewb]\nvehicle_formats = [\"^[A-Z]+$\"]\n",
        "\"ewb.pin_distance_master\" = \"distances.csv\"\n",
        "returns.feed_max_limit = 10\n",
    ] {
        let error = from_toml(text).unwrap_err();
        assert!(
            matches!(error, SettingsError::NotImplemented { .. }),
            "{text}: {error}"
        );
        assert!(error.to_string().contains("not implemented yet"), "{error}");
    }
    let error = from_env(&[("IRP_THROTTLE_WINDOW_MINUTES", "10")]).unwrap_err();
    assert!(
        matches!(&error, SettingsError::NotImplemented { key, .. } if key == "throttle.window_minutes"),
        "{error}"
    );
    let mut raw = RawSettings::default();
    raw.set("throttle.window_minutes", Value::Integer(5));
    assert!(Settings::from_raw(&raw).is_err());
}

#[test]
fn the_raw_settings_know_what_was_given() {
    let mut raw = RawSettings::default();
    raw.add_toml("[portal]\nid = 2\n", "test").unwrap();
    raw.set("environment", Value::String("sandbox".to_owned()));
    assert!(raw.contains("portal.id"));
    assert!(raw.contains("environment"));
    assert!(!raw.contains("portal.node_digit"));
    assert!(!raw.contains("portal.id.x"));
    assert!(!raw.contains("compat"));
}

#[test]
fn the_shared_text_is_stable() {
    let text = Settings::defaults().shared_text("ab12");
    assert!(text.starts_with(SHARED_TEXT_HEADER));
    assert_eq!(text, Settings::defaults().shared_text("ab12"));
    let lines: Vec<&str> = text.lines().skip(1).collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);
    for line in [
        "compat = \"native\"",
        "environment = \"production\"",
        "keys.auth_public_key_sha256 = \"ab12\"",
        "auth.token_minutes = 360",
        "validation.strict_decimals = false",
        "validation.doc_date_floor = \"01/10/2020\"",
        "validation.allowed_supplier_types = [\"REG\", \"SED\"]",
        "validation.date_year_range = [2010, 2099]",
        "validation.hsn_master = \"hsn-sac.csv\"",
        "ewb.road_factor = 1.3",
        "print.qr_ecc = \"M\"",
        "reporting_limit.schedule = [{ aato_min_inr = 1000000000, from = \"2023-11-01\" }, { aato_min_inr = 100000000, from = \"2025-04-01\" }]",
    ] {
        assert!(lines.contains(&line), "{line} not in\n{text}");
    }
    assert!(!text.contains("portal."), "{text}");
    assert!(!text.contains("keys.auth_rsa_bits"), "{text}");
}

#[test]
fn the_shared_text_is_equal_for_equal_settings_and_differs_for_a_shared_one() {
    let by_file = from_toml("[validation]\nstrict_decimals = true\n").unwrap();
    let by_env = from_env(&[("IRP_VALIDATION_STRICT_DECIMALS", "true")]).unwrap();
    assert_eq!(by_file.shared_text("k"), by_env.shared_text("k"));
    let other_node = from_toml(
        "validation.strict_decimals = true\n[portal]\nid = 2\nnode_digit = 3\njws_iss = \"X\"\n[keys]\nauth_rsa_bits = 4096\n",
    )
    .unwrap();
    assert_eq!(by_file.shared_text("k"), other_node.shared_text("k"));
    assert_ne!(
        by_file.shared_text("k"),
        Settings::defaults().shared_text("k")
    );
    assert_ne!(by_file.shared_text("k"), by_file.shared_text("other key"));
    let sandbox = from_toml("environment = \"sandbox\"\n").unwrap();
    assert!(
        sandbox
            .shared_text("k")
            .contains("auth.token_minutes = 60\n")
    );
}

#[test]
fn an_operator_file_is_shared_by_content_not_path() {
    let dir = std::env::temp_dir().join(format!("irp-settings-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let a = write("ports-a.csv", "code,name\nINMAA1,Chennai\ninbom1,Mumbai\n");
    let b = write("ports-b.csv", "code,name\nINMAA1,Chennai\ninbom1,Mumbai\n");
    let c = write("ports-c.csv", "code,name\nINMAA1,Chennai\n");
    let hsn = write("hsn.csv", "code,description\n1001,Wheat\n");
    let read = |path: &str| from_toml(&format!("validation.ports = {path:?}\n")).unwrap();
    let (first, second, third) = (read(&a), read(&b), read(&c));
    let ports = first.rules.ports.as_ref().unwrap();
    assert!(ports.contains("INBOM1"));
    assert_eq!(ports.len(), 2);
    assert_eq!(first.shared_text("k"), second.shared_text("k"));
    assert_ne!(first.shared_text("k"), third.shared_text("k"));
    assert!(
        first
            .shared_text("k")
            .contains("validation.ports = \"sha256:")
    );
    let custom = from_toml(&format!("validation.hsn_master = {hsn:?}\n")).unwrap();
    assert!(matches!(
        custom.rules.hsn_master,
        HsnMasterSetting::Custom(_)
    ));
    let off = from_toml("validation.hsn_master = \"none\"\n").unwrap();
    assert_eq!(off.rules.hsn_master, HsnMasterSetting::Off);
    let shipped = from_toml("validation.hsn_master = \"shipped\"\n").unwrap();
    assert_eq!(shipped.rules.hsn_master, HsnMasterSetting::Shipped);
    assert_eq!(
        shipped.shared_text("k"),
        Settings::defaults().shared_text("k")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn supplier_types_are_codes() {
    let settings = from_toml("validation.allowed_supplier_types = [\"REG\", \"sez\"]\n").unwrap();
    assert_eq!(
        settings.rules.allowed_supplier_types,
        [TaxpayerType::Reg, TaxpayerType::Sez]
    );
}

/// Every key, its environment variable and its defaults are in `docs/CONFIGURATION.md`, so the
/// reference cannot fall behind the code.
#[test]
fn the_configuration_reference_lists_every_setting() {
    let doc = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/CONFIGURATION.md"
    ));
    let row = |key: &str| {
        doc.lines()
            .find(|line| line.starts_with(&format!("| `{key}`")))
            .unwrap_or_else(|| panic!("no row for `{key}` in docs/CONFIGURATION.md"))
    };
    let production =
        toml::Table::try_from(Settings::defaults_for(Environment::Production)).unwrap();
    let sandbox = toml::Table::try_from(Settings::defaults_for(Environment::Sandbox)).unwrap();
    let mut defaults = Vec::new();
    raw::leaves(&production, "", &mut defaults);
    let mut sandbox_defaults = Vec::new();
    raw::leaves(&sandbox, "", &mut sandbox_defaults);
    for key in keys() {
        let line = row(&key);
        assert!(line.contains(&format!("`{}`", env_name(&key))), "{line}");
        for (_, value) in defaults
            .iter()
            .chain(&sandbox_defaults)
            .filter(|(name, _)| *name == key)
        {
            let shown = match value {
                Value::String(text) => text.clone(),
                Value::Array(_) | Value::Table(_) => continue,
                other => other.to_string(),
            };
            assert!(
                line.contains(&format!("`{shown}`")),
                "default `{shown}` not in {line}"
            );
        }
    }
    for (key, _) in NOT_IMPLEMENTED {
        row(key);
    }
    for (name, _) in OTHER_VARIABLES {
        assert!(doc.contains(&format!("`{name}`")), "{name}");
    }
}

/// Every `IRP_…` name the repository's scripts and code use is a setting's variable or one of
/// [`OTHER_VARIABLES`]; otherwise `irp serve` would refuse to start wherever it is set (as it did
/// under `scripts/test.sh` for `IRP_TEST_RUN_ID`).
#[test]
fn every_irp_variable_the_repository_uses_is_known() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = vec![root.join("scripts"), root.join("crates"), root.join(".ci")];
    let mut used = std::collections::BTreeSet::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            if path.file_name().is_some_and(|name| name == "target") {
                continue;
            }
            for entry in std::fs::read_dir(&path).unwrap() {
                files.push(entry.unwrap().path());
            }
            continue;
        }
        // This file spells unknown names on purpose, to see them refused.
        if path.ends_with("settings/tests.rs") {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let bytes = text.as_bytes();
        let mut start = 0;
        while let Some(found) = text[start..].find("IRP_") {
            let begin = start + found;
            let end = begin
                + bytes[begin..]
                    .iter()
                    .take_while(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || **b == b'_')
                    .count();
            let name = &text[begin..end];
            // A prefix spelt in documentation or a format string (`IRP_`, `IRP_…`) names nothing.
            if name.len() > 4 && !name.ends_with('_') {
                used.insert(name.to_owned());
            }
            start = end.max(begin + 4);
        }
    }
    let settings: Vec<String> = keys().iter().map(|key| env_name(key)).collect();
    let unknown: Vec<&String> = used
        .iter()
        .filter(|name| {
            !settings.contains(name) && !OTHER_VARIABLES.iter().any(|(other, _)| other == name)
        })
        .collect();
    assert!(unknown.is_empty(), "unknown IRP_ variables: {unknown:?}");
}
