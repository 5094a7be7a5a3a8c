//! `scratch-databases sweep` drops the suite's stale scratch databases before a run;
//! `scratch-databases leftovers RUN` fails if run `RUN` (its `IRP_TEST_RUN_ID`) left any behind,
//! and drops them. `scripts/test.sh` calls both; both need `IRP_TEST_DATABASE_URL`.
#![allow(clippy::print_stdout, clippy::print_stderr)] // a command-line tool reports on its streams

use anyhow::{Context, bail};
use irp_testkit::postgres::{self, PREFIXES, STALE_AFTER};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let admin_url = std::env::var("IRP_TEST_DATABASE_URL")
        .context("IRP_TEST_DATABASE_URL must name the PostgreSQL admin URL")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["sweep"] => {
            let dropped = runtime
                .block_on(postgres::sweep_stale(&admin_url, &PREFIXES, STALE_AFTER))
                .context("sweep stale scratch databases")?;
            println!(
                "dropped {} stale scratch database(s){}",
                dropped.len(),
                if dropped.is_empty() {
                    String::new()
                } else {
                    format!(": {}", dropped.join(", "))
                }
            );
            Ok(())
        }
        ["leftovers", run] => {
            let left = runtime
                .block_on(postgres::left_by_run(&admin_url, run))
                .context("list the run's scratch databases")?;
            drop(runtime);
            if left.is_empty() {
                println!("run {run} left no scratch database behind");
                return Ok(());
            }
            // The run is over, so nothing of it should still hold these.
            for name in &left {
                if let Err(error) = postgres::drop_database_blocking(&admin_url, name, true) {
                    eprintln!("could not drop {name}: {error}");
                }
            }
            bail!(
                "run {run} left {} scratch database(s) behind (now dropped): {}",
                left.len(),
                left.join(", ")
            )
        }
        _ => bail!("usage: scratch-databases sweep | scratch-databases leftovers RUN"),
    }
}
