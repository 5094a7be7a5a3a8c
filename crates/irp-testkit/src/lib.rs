//! What the IRP crates' tests share, so that each helper exists once: scratch PostgreSQL
//! databases ([`ScratchDatabase`]) with the skip-locally, fail-in-CI rule and a clean-up that
//! runs however a test ends, the sandbox fixtures ([`fixtures`]), and [`on_both_backends!`].
//!
//! A dev-dependency only (`publish = false`); `irp-core` does not use it, as its tidy test keeps
//! it free of runtime and database crates.

pub mod fixtures;
pub mod postgres;

pub use postgres::{ScratchDatabase, admin_url, sweep_stale};

/// Instantiates each listed case once per backend, as `sqlite::<case>` and `postgres::<case>`.
///
/// Each case is `crate::<module>::<case>`, an async function that the runner of its backend
/// calls: `$sqlite(case)` and `$postgres(case)`, each an async function that sets up a fresh
/// store, runs the case on it and cleans up. The attribute is the test attribute of every
/// generated test (its runtime flavour).
///
/// ```text
/// irp_testkit::on_both_backends! {
///     #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
///     sqlite: crate::harness::on_sqlite,
///     postgres: crate::harness::on_postgres;
///     registry::backend_answers,
///     accounts::clients,
/// }
/// ```
// `crate::` on purpose: the cases are modules of the calling test crate, not of the kit.
#[allow(clippy::crate_in_macro_def)]
#[macro_export]
macro_rules! on_both_backends {
    (
        #[$test:meta]
        sqlite: $sqlite:path,
        postgres: $postgres:path;
        $($module:ident :: $case:ident),* $(,)?
    ) => {
        mod sqlite {
            $(
                #[$test]
                async fn $case() {
                    $sqlite(crate::$module::$case).await;
                }
            )*
        }
        mod postgres {
            $(
                #[$test]
                async fn $case() {
                    $postgres(crate::$module::$case).await;
                }
            )*
        }
    };
}
