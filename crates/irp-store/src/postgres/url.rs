//! Registry URLs with several hosts, as libpq writes them:
//! `postgres://user:password@host1:5432,host2:5433/db?target_session_attrs=read-write`.
//!
//! sqlx's `PgConnectOptions` reads one host. This module splits the host list and gives each
//! host the options sqlx makes of the same URL written with that host alone, so the user,
//! password (percent-decoded), database and every other parameter mean exactly what they mean
//! in a single-host URL. Two parameters are libpq's and are taken out before sqlx sees them:
//!
//! - `target_session_attrs`: `any` (the default), `read-write` (`SHOW transaction_read_only`
//!   is `off`) or `primary` (`pg_is_in_recovery()` is false): which server a connection may
//!   stay on;
//! - `connect_timeout`: seconds to wait for one host before trying the next (default
//!   [`DEFAULT_CONNECT_TIMEOUT`]).
//!
//! A URL with one host and no `target_session_attrs` is not a failover URL ([`is_failover`])
//! and goes to sqlx unchanged, as before. Error messages quote host entries and parameter names,
//! never the user information.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;

/// How long to wait for one host's answer (connection, authentication and the session check)
/// before moving on to the next, unless the URL says otherwise (`connect_timeout`).
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Which server a connection may stay on (libpq's `target_session_attrs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetSessionAttrs {
    /// Any server that accepts the connection.
    Any,
    /// A server whose sessions are read-write by default (`SHOW transaction_read_only` = off).
    ReadWrite,
    /// A server that is not in recovery (`pg_is_in_recovery()` = false).
    Primary,
}

impl TargetSessionAttrs {
    /// The parameter's value, as written in the URL.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetSessionAttrs::Any => "any",
            TargetSessionAttrs::ReadWrite => "read-write",
            TargetSessionAttrs::Primary => "primary",
        }
    }
}

impl fmt::Display for TargetSessionAttrs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a registry URL with a host list was refused. No variant holds the user information.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("a PostgreSQL URL starts with postgres:// or postgresql://")]
    Scheme,
    #[error("host {position} of the host list is empty (hosts are separated by single commas)")]
    EmptyHost { position: usize },
    #[error("host {host:?}: the port {port:?} is not a number from 1 to 65535")]
    Port { host: String, port: String },
    #[error("host {0:?} is not a host name, an IPv4 address or an IPv6 address in brackets")]
    Host(String),
    #[error(
        "target_session_attrs={0:?} is not supported: use any, read-write or primary (the default is any)"
    )]
    TargetSessionAttrs(String),
    #[error("connect_timeout={0:?} is not a whole number of seconds from 1 to 3600")]
    ConnectTimeout(String),
    #[error("the parameter {0} is given more than once")]
    Repeated(&'static str),
    #[error("the parameter {0} cannot be combined with a host list: list every host before the /")]
    HostParameter(String),
    #[error(
        "with host {0}, the URL is not one PostgreSQL accepts (check the user, the database and the parameters)"
    )]
    Invalid(String),
}

/// One host of the list: its options, and `host:port` to name it in messages and logs.
#[derive(Clone)]
pub struct Host {
    pub label: String,
    pub options: PgConnectOptions,
}

/// `PgConnectOptions`'s own `Debug` prints the password.
impl fmt::Debug for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Host").field("label", &self.label).finish()
    }
}

/// A registry URL with its host list resolved.
#[derive(Debug, Clone)]
pub struct RegistryUrl {
    /// In the URL's order, the order connections try them in.
    pub hosts: Vec<Host>,
    pub target: TargetSessionAttrs,
    pub connect_timeout: Duration,
}

impl RegistryUrl {
    /// `host:port, host:port, …`.
    pub fn labels(&self) -> String {
        self.hosts
            .iter()
            .map(|host| host.label.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The parts of a URL: `scheme://[userinfo@]hosts[/path][?query]`, each as written.
struct Parts<'a> {
    scheme: &'a str,
    userinfo: Option<&'a str>,
    hosts: &'a str,
    path: &'a str,
    query: Option<&'a str>,
}

fn split(url: &str) -> Result<Parts<'_>, UrlError> {
    let (scheme, rest) = url.split_once("://").ok_or(UrlError::Scheme)?;
    if scheme != "postgres" && scheme != "postgresql" {
        return Err(UrlError::Scheme);
    }
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, Some(query)),
        None => (rest, None),
    };
    let (authority, path) = match rest.find('/') {
        Some(slash) => rest.split_at(slash),
        None => (rest, ""),
    };
    let (userinfo, hosts) = match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => (Some(userinfo), hosts),
        None => (None, authority),
    };
    Ok(Parts {
        scheme,
        userinfo,
        hosts,
        path,
        query,
    })
}

/// The query's pairs as written (not decoded): key, value, and the whole `key=value`.
fn pairs(query: Option<&str>) -> impl Iterator<Item = (&str, &str, &str)> {
    query
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key, value, pair)
        })
}

/// Whether `url` names more than one host or asks for a kind of server
/// (`target_session_attrs`); other URLs go to sqlx exactly as before.
pub fn is_failover(url: &str) -> bool {
    let Ok(parts) = split(url) else {
        return false;
    };
    parts.hosts.contains(',') || pairs(parts.query).any(|(key, _, _)| key == "target_session_attrs")
}

/// Splits one entry of the host list into the host and the port as written.
fn host_and_port(entry: &str) -> Result<(&str, Option<&str>), UrlError> {
    let bad_host = || UrlError::Host(entry.to_owned());
    if let Some(inside) = entry.strip_prefix('[') {
        let (address, after) = inside.split_once(']').ok_or_else(bad_host)?;
        if address.is_empty() || !address.contains(':') {
            return Err(bad_host());
        }
        return match after {
            "" => Ok((&entry[..address.len() + 2], None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((&entry[..address.len() + 2], Some(port))),
                None => Err(bad_host()),
            },
        };
    }
    match entry.split_once(':') {
        None => Ok((entry, None)),
        Some(("", _)) => Err(bad_host()),
        Some((_, port)) if port.contains(':') => Err(bad_host()),
        Some((host, port)) => Ok((host, Some(port))),
    }
}

/// Parses a failover URL (see the module documentation).
pub fn parse(url: &str) -> Result<RegistryUrl, UrlError> {
    let parts = split(url)?;

    let mut target = None;
    let mut connect_timeout = None;
    let mut passed_on = Vec::new();
    for (key, value, pair) in pairs(parts.query) {
        match key {
            "target_session_attrs" => {
                let attrs = match value {
                    "any" => TargetSessionAttrs::Any,
                    "read-write" => TargetSessionAttrs::ReadWrite,
                    "primary" => TargetSessionAttrs::Primary,
                    other => return Err(UrlError::TargetSessionAttrs(other.to_owned())),
                };
                if target.replace(attrs).is_some() {
                    return Err(UrlError::Repeated("target_session_attrs"));
                }
            }
            "connect_timeout" => {
                let seconds = value
                    .parse::<u64>()
                    .ok()
                    .filter(|s| (1..=3600).contains(s))
                    .ok_or_else(|| UrlError::ConnectTimeout(value.to_owned()))?;
                if connect_timeout
                    .replace(Duration::from_secs(seconds))
                    .is_some()
                {
                    return Err(UrlError::Repeated("connect_timeout"));
                }
            }
            // These would point every host's options at one place.
            "host" | "hostaddr" | "port" => return Err(UrlError::HostParameter(key.to_owned())),
            _ => passed_on.push(pair),
        }
    }
    let query = passed_on.join("&");

    let mut hosts = Vec::new();
    for (index, entry) in parts.hosts.split(',').enumerate() {
        if entry.is_empty() {
            return Err(UrlError::EmptyHost {
                position: index + 1,
            });
        }
        let (host, port) = host_and_port(entry)?;
        if let Some(port) = port {
            match port.parse::<u16>() {
                Ok(p) if p > 0 => {}
                _ => {
                    return Err(UrlError::Port {
                        host: host.to_owned(),
                        port: port.to_owned(),
                    });
                }
            }
        }
        let single = single_host_url(&parts, entry, &query);
        let options =
            PgConnectOptions::from_str(&single).map_err(|_| UrlError::Invalid(entry.to_owned()))?;
        let label = match options.get_socket() {
            Some(directory) => format!("{}:{}", directory.display(), options.get_port()),
            None => format!("{}:{}", options.get_host(), options.get_port()),
        };
        hosts.push(Host { label, options });
    }

    Ok(RegistryUrl {
        hosts,
        target: target.unwrap_or(TargetSessionAttrs::Any),
        connect_timeout: connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
    })
}

/// The URL with `entry` as its only host and `query` (libpq's own parameters taken out) as
/// its parameters. It holds the password: it is handed to sqlx and never shown.
fn single_host_url(parts: &Parts<'_>, entry: &str, query: &str) -> String {
    let mut url = format!("{}://", parts.scheme);
    if let Some(userinfo) = parts.userinfo {
        url.push_str(userinfo);
        url.push('@');
    }
    url.push_str(entry);
    url.push_str(parts.path);
    if !query.is_empty() {
        url.push('?');
        url.push_str(query);
    }
    url
}

#[cfg(test)]
mod tests {
    use sqlx::ConnectOptions as _;
    use sqlx::postgres::PgSslMode;

    use super::*;

    /// What sqlx makes of a URL with one host (the reference each host must match).
    fn sqlx_alone(url: &str) -> PgConnectOptions {
        PgConnectOptions::from_str(url).expect("sqlx parses the single-host URL")
    }

    fn labels(url: &str) -> Vec<String> {
        parse(url)
            .expect("parses")
            .hosts
            .into_iter()
            .map(|h| h.label)
            .collect()
    }

    #[test]
    fn hosts_and_ports_in_order() {
        let url = parse(
            "postgres://irp@db-a.internal:5432,10.0.0.7:5433,db-c:6000/irp?target_session_attrs=read-write",
        )
        .unwrap();
        assert_eq!(
            url.hosts.iter().map(|h| &h.label[..]).collect::<Vec<_>>(),
            ["db-a.internal:5432", "10.0.0.7:5433", "db-c:6000"]
        );
        assert_eq!(url.labels(), "db-a.internal:5432, 10.0.0.7:5433, db-c:6000");
        assert_eq!(url.target, TargetSessionAttrs::ReadWrite);
        assert_eq!(url.connect_timeout, DEFAULT_CONNECT_TIMEOUT);
        for host in &url.hosts {
            assert_eq!(host.options.get_username(), "irp");
            assert_eq!(host.options.get_database(), Some("irp"));
        }
        assert_eq!(url.hosts[1].options.get_host(), "10.0.0.7");
        assert_eq!(url.hosts[1].options.get_port(), 5433);
    }

    #[test]
    fn a_host_without_a_port_gets_the_default_port() {
        // sqlx's default (5432, or PGPORT when set), as for a single-host URL without a port.
        let default = sqlx_alone("postgres://irp@db-b/irp").get_port();
        assert_eq!(
            labels("postgres://irp@db-a:5433,db-b/irp"),
            ["db-a:5433".to_owned(), format!("db-b:{default}")]
        );
        assert_eq!(
            labels("postgresql://db-a,db-b:7000"),
            [format!("db-a:{default}"), "db-b:7000".to_owned()]
        );
    }

    #[test]
    fn a_socket_directory_is_a_host_too() {
        let url = parse("postgres://irp@%2Fvar%2Frun%2Fpostgresql:5433,db-b:5432/irp").unwrap();
        assert_eq!(
            url.labels(),
            "/var/run/postgresql:5433, db-b:5432",
            "percent-encoded, as in a single-host URL"
        );
    }

    #[test]
    fn ipv6_hosts_in_brackets() {
        let default = sqlx_alone("postgres://[::1]/irp").get_port();
        assert_eq!(
            labels("postgres://irp@[::1]:5433,[fe80::2]/irp"),
            ["[::1]:5433".to_owned(), format!("[fe80::2]:{default}")]
        );
    }

    #[test]
    fn percent_encoded_user_password_and_database_decode_as_for_one_host() {
        let url = parse("postgres://us%40er:p%40ss%3Aw%2Fd%20x@h1:5432,h2:5433/my%20db").unwrap();
        let alone = sqlx_alone("postgres://us%40er:p%40ss%3Aw%2Fd%20x@h1:5432/my%20db");
        for host in &url.hosts {
            assert_eq!(host.options.get_username(), "us@er");
            assert_eq!(host.options.get_database(), Some("my db"));
            // The password has no getter; sqlx writes it back, encoded its own way, in a URL.
            assert_eq!(
                host.options.to_url_lossy().password(),
                alone.to_url_lossy().password()
            );
            assert!(alone.to_url_lossy().password().is_some());
        }
        // An '@' left unencoded in the password: the last '@' ends the user information.
        let url = parse("postgres://irp:p@ss@h1,h2/irp").unwrap();
        assert_eq!(
            url.hosts[0].options.to_url_lossy().password(),
            sqlx_alone("postgres://irp:p@ss@h1/irp")
                .to_url_lossy()
                .password()
        );
        assert_eq!(url.hosts[1].options.get_host(), "h2");
    }

    #[test]
    fn other_parameters_reach_every_host_and_libpqs_own_do_not() {
        let text = "postgres://irp@h1,h2/irp?sslmode=disable&connect_timeout=7\
                    &options=-c%20statement_timeout%3D5000&target_session_attrs=primary\
                    &statement-cache-capacity=50";
        let url = parse(text).unwrap();
        assert_eq!(url.target, TargetSessionAttrs::Primary);
        assert_eq!(url.connect_timeout, Duration::from_secs(7));
        for host in &url.hosts {
            assert!(matches!(host.options.get_ssl_mode(), PgSslMode::Disable));
            assert_eq!(
                host.options.get_options(),
                Some("-c statement_timeout=5000")
            );
        }
        let parts = split(text).unwrap();
        let single = single_host_url(&parts, "h2", "sslmode=disable&x=1");
        assert_eq!(single, "postgres://irp@h2/irp?sslmode=disable&x=1");
        let url = parse("postgres://h1,h2?target_session_attrs=any").unwrap();
        assert_eq!(url.target, TargetSessionAttrs::Any);
        assert_eq!(
            parse("postgres://h1,h2/irp").unwrap().target,
            TargetSessionAttrs::Any,
            "the default"
        );
    }

    #[test]
    fn which_urls_are_failover_urls() {
        assert!(is_failover("postgres://irp@h1,h2/irp"));
        assert!(is_failover(
            "postgres://irp@h1/irp?target_session_attrs=read-write"
        ));
        assert!(is_failover("postgresql://h1:1,h2:2"));
        // One host and no target: sqlx reads it as before, socket and `host=` forms included.
        assert!(!is_failover("postgres://irp:pw@h1:5432/irp"));
        assert!(!is_failover("postgres:///irp?host=/var/run/postgresql"));
        assert!(!is_failover("postgres://h1/irp?sslmode=require"));
        assert!(
            !is_failover("postgres://irp:p,w@h1/irp"),
            "a comma in the password"
        );
        assert!(!is_failover("sqlite://x,y"));
        assert!(!is_failover("irp.db"));
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        let cases: &[(&str, UrlError)] = &[
            ("mysql://h1,h2/irp", UrlError::Scheme),
            ("h1,h2/irp", UrlError::Scheme),
            (
                "postgres://u@h1,,h2/irp",
                UrlError::EmptyHost { position: 2 },
            ),
            ("postgres://u@h1,/irp", UrlError::EmptyHost { position: 2 }),
            (
                "postgres://u@h1:54x2,h2/irp",
                UrlError::Port {
                    host: "h1".into(),
                    port: "54x2".into(),
                },
            ),
            (
                "postgres://u@h1,h2:0/irp",
                UrlError::Port {
                    host: "h2".into(),
                    port: "0".into(),
                },
            ),
            (
                "postgres://u@h1,h2:70000/irp",
                UrlError::Port {
                    host: "h2".into(),
                    port: "70000".into(),
                },
            ),
            (
                "postgres://u@h1,h2:/irp",
                UrlError::Port {
                    host: "h2".into(),
                    port: "".into(),
                },
            ),
            ("postgres://u@::1,h2/irp", UrlError::Host("::1".into())),
            ("postgres://u@[::1,h2/irp", UrlError::Host("[::1".into())),
            ("postgres://u@h1,[]:5/irp", UrlError::Host("[]:5".into())),
            ("postgres://u@h1,:5432/irp", UrlError::Host(":5432".into())),
            (
                "postgres://u@h1,h2/irp?target_session_attrs=standby",
                UrlError::TargetSessionAttrs("standby".into()),
            ),
            (
                "postgres://u@h1/irp?target_session_attrs=read-only",
                UrlError::TargetSessionAttrs("read-only".into()),
            ),
            (
                "postgres://u@h1,h2/irp?target_session_attrs=any&target_session_attrs=primary",
                UrlError::Repeated("target_session_attrs"),
            ),
            (
                "postgres://u@h1,h2/irp?connect_timeout=0",
                UrlError::ConnectTimeout("0".into()),
            ),
            (
                "postgres://u@h1,h2/irp?connect_timeout=2.5",
                UrlError::ConnectTimeout("2.5".into()),
            ),
            (
                "postgres://u@h1,h2/irp?port=5433",
                UrlError::HostParameter("port".into()),
            ),
            (
                "postgres://u@h1,h2/irp?host=/tmp",
                UrlError::HostParameter("host".into()),
            ),
            (
                "postgres://u@h1,h2/irp?sslmode=sometimes",
                UrlError::Invalid("h1".into()),
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(parse(url).unwrap_err(), *expected, "{url}");
        }
    }

    #[test]
    fn messages_never_show_the_user_information() {
        let secret = "s3cr%40t";
        for url in [
            format!("postgres://irp:{secret}@h1,,h2/irp"),
            format!("postgres://irp:{secret}@h1:x,h2/irp"),
            format!("postgres://irp:{secret}@h1,h2/irp?target_session_attrs=x"),
            format!("postgres://irp:{secret}@h1,h2/irp?sslmode=bogus"),
            format!("postgres://irp:{secret}@h1,h2/irp?host=x"),
            format!("postgres://irp:{secret}@[::1,h2/irp"),
        ] {
            let message = parse(&url).unwrap_err().to_string();
            assert!(!message.contains("s3cr"), "{message}");
            assert!(!message.contains("irp:"), "{message}");
        }
        let url = parse(&format!("postgres://irp:{secret}@h1,h2/irp")).unwrap();
        assert!(!format!("{url:?}").contains("s3cr"));
    }
}
