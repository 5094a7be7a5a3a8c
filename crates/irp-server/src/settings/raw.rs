//! Settings as written, before typing: one nested TOML table into which the file, the environment
//! and the command line are merged in that order, later values winning.

use toml::{Table, Value};

use super::SettingsError;
use super::names::{self, NOT_IMPLEMENTED, OTHER_VARIABLES, env_name};

/// Raw values, nested by section (`validation.strict_decimals` is `strict_decimals` in the
/// table `validation`, however it was written).
#[derive(Debug, Clone, Default)]
pub struct RawSettings(pub(super) Table);

impl RawSettings {
    /// Adds the keys of a TOML document: nested tables, dotted keys or quoted dotted keys
    /// (`"validation.strict_decimals" = true`).
    pub fn add_toml(&mut self, text: &str, origin: &str) -> Result<(), SettingsError> {
        let table: Table = text
            .parse()
            .map_err(|error: toml::de::Error| SettingsError::File {
                path: origin.to_owned(),
                message: error.to_string(),
            })?;
        merge(&mut self.0, normalised(table));
        Ok(())
    }

    /// Adds the `IRP_…` variables that name settings. A value is read as a TOML value when it
    /// parses as one (`true`, `1500`, `["REG","SED"]`), otherwise as a string. An `IRP_…`
    /// variable that is neither a setting nor one of [`OTHER_VARIABLES`] is refused.
    pub fn add_env(
        &mut self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), SettingsError> {
        let keys: Vec<String> = names::keys()
            .into_iter()
            .chain(NOT_IMPLEMENTED.iter().map(|(key, _)| (*key).to_owned()))
            .collect();
        let mut unknown = Vec::new();
        for (name, text) in vars {
            if !name.starts_with("IRP_") || OTHER_VARIABLES.iter().any(|(other, _)| *other == name)
            {
                continue;
            }
            match keys.iter().find(|key| env_name(key) == name) {
                Some(key) => self.set(key, env_value(text)),
                None => unknown.push(name),
            }
        }
        if unknown.is_empty() {
            Ok(())
        } else {
            unknown.sort();
            Err(SettingsError::UnknownVariables(unknown))
        }
    }

    /// Sets one dotted key (command-line flags).
    pub fn set(&mut self, key: &str, value: Value) {
        if let Value::Table(table) = nested(key, value) {
            merge(&mut self.0, table);
        }
    }

    pub fn contains(&self, key: &str) -> bool {
        let mut table = &self.0;
        let mut parts = key.split('.').peekable();
        while let Some(part) = parts.next() {
            match (table.get(part), parts.peek()) {
                (None, _) => return false,
                (Some(_), None) => return true,
                (Some(Value::Table(inner)), Some(_)) => table = inner,
                (Some(_), Some(_)) => return false,
            }
        }
        false
    }

    /// The first key given that the spec defines but nothing implements.
    pub(super) fn not_implemented(&self) -> Option<(String, &'static str)> {
        let mut given = Vec::new();
        leaves(&self.0, "", &mut given);
        given.into_iter().find_map(|(key, _)| {
            NOT_IMPLEMENTED
                .iter()
                .find(|(refused, _)| key == *refused || key.starts_with(&format!("{refused}.")))
                .map(|(_, reason)| (key, *reason))
        })
    }
}

fn env_value(text: String) -> Value {
    format!("v = {text}")
        .parse::<Table>()
        .ok()
        .and_then(|mut table| table.remove("v"))
        .unwrap_or(Value::String(text))
}

/// `value` under the dotted `key`, as nested tables (always a table).
fn nested(key: &str, value: Value) -> Value {
    key.rsplit('.').fold(value, |inner, part| {
        Value::Table(Table::from_iter([(part.to_owned(), inner)]))
    })
}

/// The same table with every dotted key split into nested tables.
fn normalised(table: Table) -> Table {
    let mut out = Table::new();
    for (key, value) in table {
        let value = match value {
            Value::Table(inner) => Value::Table(normalised(inner)),
            other => other,
        };
        if let Value::Table(nested) = nested(&key, value) {
            merge(&mut out, nested);
        }
    }
    out
}

/// Merges `from` into `into`, table by table; a value of `from` replaces one of `into`.
pub(super) fn merge(into: &mut Table, from: Table) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(Value::Table(old)), Value::Table(new)) => merge(old, new),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

/// Every value that is not a table, with its dotted key.
pub(super) fn leaves<'a>(table: &'a Table, prefix: &str, out: &mut Vec<(String, &'a Value)>) {
    for (name, value) in table {
        let key = names::join(prefix, name);
        match value {
            Value::Table(inner) => leaves(inner, &key, out),
            _ => out.push((key, value)),
        }
    }
}
