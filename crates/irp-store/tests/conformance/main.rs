//! Conformance tests of the [`irp_store::Store`] contract, run against both backends.
//!
//! Every case is an async function taking a [`harness::Ctx`] (a fresh, empty store behind
//! `Arc<dyn Store>`) and is instantiated twice by `conformance!`: `sqlite::<case>` on a new
//! temporary file, `postgres::<case>` on a new database `irp_test_<time>_<pid>_<n>` created
//! through the admin URL in `IRP_TEST_DATABASE_URL` and dropped afterwards, pass or fail (the
//! scratch database of `irp-testkit`). Without that variable the PostgreSQL variants print a
//! notice and skip, unless `CI` is set, where they fail.
//!
//! `failover` (PostgreSQL only, not a conformance case) checks registry URLs with several hosts.
//!
//! ```sh
//! cargo test -p irp-store --test conformance                      # SQLite; PostgreSQL skipped
//! IRP_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo test -p irp-store --test conformance                  # both
//! ```

mod accounts;
mod bulk;
mod ewbs;
mod failover;
mod fixtures;
mod harness;
mod invoices;
mod registry;
mod web;

/// Instantiates each listed case once per backend (`irp_testkit::on_both_backends!`).
macro_rules! conformance {
    ($($module:ident :: $case:ident),* $(,)?) => {
        irp_testkit::on_both_backends! {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            sqlite: crate::harness::on_sqlite,
            postgres: crate::harness::on_postgres;
            $($module :: $case),*
        }
    };
}

conformance! {
    registry::backend_answers,
    registry::shared_settings_are_agreed_once_and_replaced_only_on_purpose,
    accounts::taxpayer_upsert_and_lookup,
    accounts::taxpayer_batch,
    accounts::clients,
    accounts::users_ignore_letter_case,
    accounts::user_with_unknown_client_is_refused,
    accounts::login_failures_and_lockout,
    accounts::parallel_login_attempts_count_one_by_one,
    accounts::set_password_ends_sessions,
    accounts::deactivation_ends_sessions,
    accounts::live_session_respects_expiry,
    accounts::start_session_replaces_the_old_one,
    accounts::concurrent_logins_share_one_session,
    invoices::insert_duplicate_and_get,
    invoices::group_commit_registers_a_batch_in_one_transaction,
    invoices::group_commit_that_fails_registers_nothing,
    invoices::group_commit_refuses_registrations_of_ended_sessions,
    invoices::group_commit_waits_for_a_session_ending_in_flight,
    invoices::ending_a_users_sessions_races_batches_cleanly,
    invoices::signed_invoices_come_back_byte_for_byte,
    invoices::concurrent_inserts_register_once,
    invoices::two_instances_register_once,
    invoices::cancel_active_then_unchanged,
    invoices::concurrent_cancels_cancel_once,
    invoices::rejected_irns_by_supplier_and_date,
    ewbs::ewb_insert_get_and_latest,
    ewbs::second_active_ewb_is_refused,
    ewbs::concurrent_ewb_inserts_one_active,
    ewbs::new_ewb_after_cancel_and_latest,
    ewbs::cancel_ewb_once_then_unchanged,
    ewbs::concurrent_ewb_cancels_cancel_once,
    ewbs::cancel_invoice_refused_while_ewb_active,
    ewbs::cancel_invoice_and_ewb_insert_exclude_each_other,
    ewbs::ewb_sequences_start_at_one_per_portal,
    ewbs::ewb_sequences_are_disjoint_under_concurrency,
    ewbs::ewb_audit_rows,
    registry::ack_sequences_start_at_one_per_key,
    registry::ack_sequences_are_disjoint_under_concurrency,
    registry::certificates_current_and_retired,
    registry::audit_rows_for_every_change,
    registry::audit_never_holds_secrets,
    registry::durable_across_instances,
    web::web_sessions_slide_and_end,
    web::search_lists_a_partys_documents_newest_first,
    web::activity_counts_registrations_cancellations_and_ewbs,
    bulk::bulk_tasks_are_stored_whole_and_read_back,
    bulk::one_node_holds_a_task_until_its_lease_runs_out,
    bulk::results_are_recorded_once_and_complete_the_task,
    bulk::a_registration_or_cancellation_marks_its_element_in_its_transaction,
    bulk::concurrent_claims_take_each_task_once,
    bulk::expired_tasks_are_purged_with_their_elements,
}

/// `open` chooses the backend from the URL; SQLite creates the file and its directory.
#[tokio::test]
async fn open_selects_sqlite_for_paths_and_urls() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("a/b/registry.db");
    let store = irp_store::open(path.to_str().expect("utf-8 path"))
        .await
        .expect("open path");
    assert_eq!(store.backend(), "sqlite");
    store.ping().await.expect("ping");
    assert!(path.exists());

    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("c/registry.db").display()
    );
    let store = irp_store::open(&url).await.expect("open URL");
    assert_eq!(store.backend(), "sqlite");

    assert!(irp_store::open("mysql://localhost/irp").await.is_err());
    assert!(irp_store::open("sqlite::memory:").await.is_err());
}
