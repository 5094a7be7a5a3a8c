//! A deserializer over TOML values that also accepts the spellings an environment variable
//! produces (`"true"` for a bool, `"1500"` for a number, `"REG,SED"` for a list), and that knows
//! the dotted key it is reading, so that every error names its setting.

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};
use toml::Value;

use super::names::join;

/// A value that could not be read, and where.
#[derive(Debug)]
pub(super) struct Error {
    /// The dotted key; empty until the enclosing table names it.
    pub key: String,
    pub kind: ErrorKind,
}

#[derive(Debug)]
pub(super) enum ErrorKind {
    /// No setting has this key.
    Unknown,
    Invalid(String),
}

impl Error {
    fn at(mut self, key: &str) -> Error {
        if self.key.is_empty() {
            self.key = key.to_owned();
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Unknown => write!(f, "unknown setting `{}`", self.key),
            ErrorKind::Invalid(message) if self.key.is_empty() => f.write_str(message),
            ErrorKind::Invalid(message) => write!(f, "setting `{}`: {message}", self.key),
        }
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Error {
        Error {
            key: String::new(),
            kind: ErrorKind::Invalid(message.to_string()),
        }
    }

    fn unknown_field(field: &str, _expected: &'static [&'static str]) -> Error {
        Error {
            key: field.to_owned(),
            kind: ErrorKind::Unknown,
        }
    }
}

/// One value and its dotted key.
pub(super) struct Lenient {
    value: Value,
    key: String,
}

impl Lenient {
    pub fn new(value: Value, key: &str) -> Lenient {
        Lenient {
            value,
            key: key.to_owned(),
        }
    }

    /// Reads the value as a `T`; an error without a key gets this value's.
    pub fn read<T: DeserializeOwned>(self) -> Result<T, Error> {
        let key = self.key.clone();
        T::deserialize(self).map_err(|error| error.at(&key))
    }
}

macro_rules! whole_number {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            match &self.value {
                Value::String(text) => match text.trim().parse::<i64>() {
                    Ok(number) => visitor.visit_i64(number),
                    Err(_) => Err(de::Error::custom(format!("`{text}` is not a whole number"))),
                },
                _ => self.deserialize_any(visitor),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Lenient {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::String(text) => visitor.visit_string(text.trim().to_owned()),
            Value::Integer(number) => visitor.visit_i64(number),
            Value::Float(number) => visitor.visit_f64(number),
            Value::Boolean(flag) => visitor.visit_bool(flag),
            Value::Datetime(datetime) => visitor.visit_string(datetime.to_string()),
            Value::Array(items) => visitor.visit_seq(Seq {
                items: items.into_iter(),
                key: self.key,
            }),
            Value::Table(table) => visitor.visit_map(Map {
                entries: table.into_iter(),
                key: self.key,
                pending: None,
            }),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.value {
            Value::String(text) if text.trim().eq_ignore_ascii_case("true") => {
                visitor.visit_bool(true)
            }
            Value::String(text) if text.trim().eq_ignore_ascii_case("false") => {
                visitor.visit_bool(false)
            }
            Value::String(text) => Err(de::Error::custom(format!("`{text}` is not true or false"))),
            _ => self.deserialize_any(visitor),
        }
    }

    whole_number!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64);

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.value {
            Value::String(text) => match text.trim().parse::<f64>() {
                Ok(number) => visitor.visit_f64(number),
                Err(_) => Err(de::Error::custom(format!("`{text}` is not a number"))),
            },
            _ => self.deserialize_any(visitor),
        }
    }

    /// Any scalar reads as text, as `IRP_PORTAL_JWS_ISS=1` must give the string `1`.
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::Integer(_) | Value::Float(_) | Value::Boolean(_) => {
                visitor.visit_string(self.value.to_string())
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_string(visitor)
    }

    /// A string is a comma-separated list, the only way to write a list in a variable without
    /// TOML's brackets and quotes.
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.value {
            Value::String(text) => {
                let items: Vec<Value> = text
                    .split(',')
                    .map(|item| Value::String(item.trim().to_owned()))
                    .collect();
                visitor.visit_seq(Seq {
                    items: items.into_iter(),
                    key: self.key,
                })
            }
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.value {
            Value::String(text) => {
                let word: de::value::StringDeserializer<Error> =
                    text.trim().to_owned().into_deserializer();
                visitor.visit_enum(word)
            }
            _ => self.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        i128 u128 char bytes byte_buf unit unit_struct tuple_struct map struct identifier
        ignored_any
    }
}

struct Seq {
    items: std::vec::IntoIter<Value>,
    /// The setting the list belongs to: an item's error names the setting.
    key: String,
}

impl<'de> de::SeqAccess<'de> for Seq {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        match self.items.next() {
            None => Ok(None),
            Some(value) => seed
                .deserialize(Lenient::new(value, &self.key))
                .map(Some)
                .map_err(|error| error.at(&self.key)),
        }
    }
}

struct Map {
    entries: toml::map::IntoIter<String, Value>,
    key: String,
    /// The value of the key just read, with its dotted key.
    pending: Option<(String, Value)>,
}

impl<'de> de::MapAccess<'de> for Map {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((name, value)) = self.entries.next() else {
            return Ok(None);
        };
        let key = join(&self.key, &name);
        let name: de::value::StringDeserializer<Error> = name.into_deserializer();
        match seed.deserialize(name) {
            Ok(field) => {
                self.pending = Some((key, value));
                Ok(Some(field))
            }
            // The struct only knows the field's own name; the full key is known here.
            Err(mut error) => {
                error.key = key;
                Err(error)
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some((key, value)) = self.pending.take() else {
            return Err(de::Error::custom("a value without its key"));
        };
        seed.deserialize(Lenient::new(value, &key))
            .map_err(|error| error.at(&key))
    }
}
