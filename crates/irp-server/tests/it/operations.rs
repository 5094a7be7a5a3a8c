//! What an operator meets (issue #15): sandbox seeding idempotent across nodes, data directories
//! whose paths hold URL characters, private files, and start-up errors that name the path.

use std::path::Path;

use irp_server::clock::Clock;
use irp_server::startup::{PortalConfig, prepare};

use crate::helpers::*;

/// A second node, with its own data directory and portal, over the registry of the first: it
/// takes the first node's sandbox credentials, changes none, and they work on both nodes; a
/// node that lost its `sandbox.json` gets the same ones back.
async fn sandbox_credentials_are_the_same_on_every_node(backend: Backend) {
    let Some(first) = spawn_app(backend).await else {
        return;
    };
    let auth_key = first.data_dir.join("keys/auth-private.pem");
    let second_dir = tempfile::tempdir().unwrap();
    let second = start(
        second_dir.path().join("node 2"),
        Some(first.database_url.clone()),
        test_settings(&format!(
            "[portal]\nid = 2\n[keys]\nauth_private_key = {:?}\n",
            auth_key.display().to_string()
        )),
        Clock::default(),
        None,
    )
    .await;
    assert_eq!(second.sandbox.client_id, first.sandbox.client_id);
    assert_eq!(second.sandbox.users, first.sandbox.users);
    // The first node's printed credentials still work, on both nodes.
    let on_second = irp_client::NicClient::new(
        vec![second.address.clone()],
        first.credentials(SELLER),
        &first.auth_public_key_pem,
    )
    .unwrap();
    assert!(on_second.authenticate(false).await.unwrap().is_success());
    first.logged_in(SELLER).await;

    // Without its sandbox.json, a node is given the registry's credentials again.
    let (data_dir, database_url, clock, temp) = first.stop().await;
    std::fs::remove_file(data_dir.join("sandbox.json")).unwrap();
    let restarted = start(data_dir, Some(database_url), test_settings(""), clock, temp).await;
    assert_eq!(restarted.sandbox.users, second.sandbox.users);
    restarted.logged_in(SELLER).await;
}

#[tokio::test]
async fn sandbox_credentials_are_the_same_on_every_node_on_sqlite() {
    sandbox_credentials_are_the_same_on_every_node(Backend::Sqlite).await;
}

#[tokio::test]
async fn sandbox_credentials_are_the_same_on_every_node_on_postgres() {
    sandbox_credentials_are_the_same_on_every_node(Backend::Postgres).await;
}

/// Only the start that makes the credentials up says so (and `irp serve` prints them then).
#[tokio::test]
async fn the_sandbox_credentials_are_new_only_once() {
    let dir = tempfile::tempdir().unwrap();
    let config = || PortalConfig {
        settings: test_settings(""),
        data_dir: dir.path().to_path_buf(),
        database_url: None,
        seed_sandbox: true,
        replace_shared_settings: false,
    };
    let first = prepare(config(), Clock::default()).await.unwrap();
    assert!(first.sandbox_created);
    drop(first);
    let again = prepare(config(), Clock::default()).await.unwrap();
    assert!(!again.sandbox_created);
}

/// Spaces, `%20`, `?` and `#` in the data directory are just characters: the database and the
/// keys land inside it, nowhere else.
#[tokio::test]
async fn data_directories_with_url_characters_work() {
    let parent = tempfile::tempdir().unwrap();
    for name in ["with space", "per%20cent", "question?mark", "hash#tag"] {
        let data_dir = parent.path().join(name);
        let app = start(
            data_dir.clone(),
            None,
            test_settings(""),
            Clock::default(),
            None,
        )
        .await;
        app.logged_in(SELLER).await;
        assert!(data_dir.join("irp.db").is_file(), "{name}");
        assert!(data_dir.join("keys/auth-private.pem").is_file(), "{name}");
        drop(app);
    }
    let mut entries: Vec<String> = std::fs::read_dir(parent.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        ["hash#tag", "per%20cent", "question?mark", "with space"],
        "nothing created beside them"
    );
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The data directory and `keys/` are the owner's only, and so are the database files, the
/// private keys and `sandbox.json`; a directory left open by someone else is narrowed.
#[cfg(unix)]
#[tokio::test]
async fn files_are_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let parent = tempfile::tempdir().unwrap();
    let data_dir = parent.path().join("data");
    std::fs::create_dir(&data_dir).unwrap();
    std::fs::set_permissions(&data_dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let app = start(
        data_dir.clone(),
        None,
        test_settings(""),
        Clock::default(),
        None,
    )
    .await;
    app.logged_in(SELLER).await;
    assert_eq!(mode(&data_dir), 0o700);
    assert_eq!(mode(&data_dir.join("keys")), 0o700);
    for file in [
        "irp.db",
        "irp.db-wal",
        "irp.db-shm",
        "sandbox.json",
        "keys/auth-private.pem",
        "keys/irp1-signing-key.pem",
    ] {
        assert_eq!(mode(&data_dir.join(file)), 0o600, "{file}");
    }
    assert_eq!(mode(&data_dir.join("keys/auth-public.pem")) & 0o044, 0o044);
}

/// A start that cannot use its data directory or database says which path.
#[tokio::test]
async fn start_up_errors_name_the_path() {
    let parent = tempfile::tempdir().unwrap();
    let blocker = parent.path().join("a-file");
    std::fs::write(&blocker, "not a directory").unwrap();
    let config = |data_dir: &Path| PortalConfig {
        settings: test_settings(""),
        data_dir: data_dir.to_path_buf(),
        database_url: None,
        seed_sandbox: true,
        replace_shared_settings: false,
    };
    let under_a_file = blocker.join("data");
    let Err(error) = prepare(config(&under_a_file), Clock::default()).await else {
        panic!("a data directory under a file cannot work");
    };
    assert!(
        error
            .to_string()
            .contains(&under_a_file.display().to_string()),
        "{error}"
    );

    let data_dir = parent.path().join("data");
    std::fs::create_dir_all(data_dir.join("irp.db")).unwrap();
    let Err(error) = prepare(config(&data_dir), Clock::default()).await else {
        panic!("a directory where the database should be cannot work");
    };
    let message = error.to_string();
    assert!(
        message.contains(&data_dir.join("irp.db").display().to_string()),
        "{message}"
    );
}
