//! `irp bench`: drives one or more portals with realistic invoices through the encrypted API and
//! reports throughput, latency percentiles and errors by code.

pub mod invoices;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use irp_client::{Credentials, NicClient};
use irp_core::invoice::{DocType, Gstin};
use irp_core::irn::Irn;
use irp_server::clock::Clock;
use irp_server::sandbox::SandboxCredentials;
use irp_server::settings::{RawSettings, Settings};
use irp_server::startup::{PortalConfig, prepare};
use serde_json::json;
use tokio::sync::Mutex;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Start a portal in this process (embedded storage unless --database is given).
    #[arg(long)]
    spawn: bool,
    /// Portal base URL; repeat for failover across portals.
    #[arg(long = "url")]
    urls: Vec<String>,
    /// With --spawn: the registry (`postgres://…`); default SQLite in a temporary directory.
    #[arg(long)]
    database: Option<String>,
    /// Credentials of the portals at --url (the `sandbox.json` that `irp serve` writes).
    #[arg(long, default_value = "./irp-data/sandbox.json")]
    sandbox_json: PathBuf,
    /// Run for this many seconds (default 10 unless --count is given).
    #[arg(long)]
    duration: Option<u64>,
    /// Stop after this many invoices.
    #[arg(long)]
    count: Option<u64>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Target request rate per second (default: as fast as the portal answers).
    #[arg(long)]
    rate: Option<f64>,
    /// Write the JSON report here.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Seed of the invoice generator.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// With --spawn: first store this many synthetic registered invoices (realistic sizes),
    /// to measure throughput over a large registry.
    #[arg(long, default_value_t = 0)]
    preload: u64,
    /// Write every IRN the portals acknowledge to this file as it comes, one a line: the IRN,
    /// then the Unix times in milliseconds when its request was sent and when it was answered,
    /// tab-separated (for checking a registry afterwards, as scripts/failover-drill.sh does).
    /// Each acknowledgement is then decrypted to read its IRN, which costs the generator CPU.
    #[arg(long, value_name = "FILE")]
    acknowledged: Option<PathBuf>,
    /// Also submit one bulk task (E5) of this many generated invoices as the run starts, and
    /// report how long it takes to complete; the run's own load goes on beside it (give
    /// `--count 0` to time the task alone). The portal's `bulk.max_documents` must allow it.
    #[arg(long, value_name = "N")]
    bulk_task: Option<u64>,
}

/// The `--acknowledged` file, shared by the workers; each line is written out whole as it comes.
type AckLog = Arc<std::sync::Mutex<std::io::LineWriter<std::fs::File>>>;

/// Milliseconds since the Unix epoch.
fn unix_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis())
}

/// What every worker adds to.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    errors: BTreeMap<String, u64>,
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let (urls, sandbox, spawned) = portals(&args).await?;
    if args.preload > 0 {
        let (_, store) = spawned.as_ref().context("--preload needs --spawn")?;
        preload(store.clone(), args.preload).await?;
    }
    let auth_key = std::fs::read_to_string(&sandbox.auth_public_key_pem)
        .with_context(|| format!("reading {}", sandbox.auth_public_key_pem))?;
    // One logged-in client per seller, shared by all workers (clients are safe to share).
    let mut clients = Vec::new();
    for (gstin, _) in invoices::SELLERS {
        let user = sandbox
            .users
            .iter()
            .find(|u| u.gstin == gstin)
            .with_context(|| format!("no sandbox user for {gstin}"))?;
        let credentials = Credentials {
            client_id: sandbox.client_id.clone(),
            client_secret: sandbox.client_secret.clone(),
            user_name: user.username.clone(),
            password: user.password.clone(),
            gstin: gstin.to_owned(),
        };
        let client = NicClient::new(urls.clone(), credentials, &auth_key)?
            .with_timeout(Duration::from_secs(30))?;
        let login = client.authenticate(false).await?;
        if !login.is_success() {
            bail!("login of {gstin} failed: {:?}", login.error_details);
        }
        clients.push(Arc::new(client));
    }

    let duration = match (args.duration, args.count) {
        (Some(seconds), _) => Some(Duration::from_secs(seconds)),
        (None, Some(_)) => None,
        (None, None) => Some(Duration::from_secs(10)),
    };
    let today = (chrono::Utc::now() + chrono::Duration::minutes(330))
        .format("%d/%m/%Y")
        .to_string();
    let run_id = format!(
        "{:04X}",
        (chrono::Utc::now().timestamp_micros() as u64 ^ args.seed) & 0xFFFF
    );
    let ack_log: Option<AckLog> = match &args.acknowledged {
        Some(path) => Some(Arc::new(std::sync::Mutex::new(std::io::LineWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )))),
        None => None,
    };
    let issued = Arc::new(AtomicU64::new(0));
    let finished = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let started = Instant::now();
    eprintln!(
        "irp bench: {} against {} (concurrency {}, {})",
        duration.map_or_else(
            || format!("{} invoices", args.count.unwrap_or(0)),
            |d| format!("{} s", d.as_secs())
        ),
        urls.join(", "),
        args.concurrency,
        args.rate
            .map_or("no rate limit".to_owned(), |r| format!("{r} per second"))
    );

    let bulk = args.bulk_task.map(|count| {
        let client = clients[0].clone();
        let (today, run_id, seed) = (today.clone(), run_id.clone(), args.seed);
        tokio::spawn(async move { bulk_task(&client, count, &today, &run_id, seed).await })
    });
    let mut workers = Vec::new();
    for worker in 0..args.concurrency {
        let clients = clients.clone();
        let (issued, finished, stop, tally) = (
            issued.clone(),
            finished.clone(),
            stop.clone(),
            tally.clone(),
        );
        let (today, run_id, rate, count) = (today.clone(), run_id.clone(), args.rate, args.count);
        let ack_log = ack_log.clone();
        let mut rng = invoices::Rng::new(
            args.seed
                .wrapping_mul(1_000_003)
                .wrapping_add(worker as u64 + 1),
        );
        workers.push(tokio::spawn(async move {
            let mut local = Tally::default();
            loop {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let sequence = issued.fetch_add(1, Ordering::Relaxed);
                if count.is_some_and(|count| sequence >= count) {
                    break;
                }
                if let Some(rate) = rate {
                    let due = started + Duration::from_secs_f64(sequence as f64 / rate);
                    tokio::time::sleep_until(due.into()).await;
                }
                let seller = (sequence % invoices::SELLERS.len() as u64) as usize;
                let number = format!("B{run_id}/{sequence}");
                let body = invoices::invoice(&mut rng, seller, &number, &today);
                let sent = Instant::now();
                let sent_ms = unix_ms();
                let answer = generate(&clients[seller], &body, ack_log.is_some()).await;
                let elapsed = sent.elapsed().as_micros() as u64;
                match answer {
                    Ok(irn) => {
                        local.latencies_us.push(elapsed);
                        if let (Some(log), Some(irn)) = (&ack_log, irn) {
                            use std::io::Write as _;
                            let line = format!("{irn}\t{sent_ms}\t{}\n", unix_ms());
                            let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
                            if let Err(error) = log.write_all(line.as_bytes()) {
                                *local
                                    .errors
                                    .entry(format!("--acknowledged: {error}"))
                                    .or_default() += 1;
                            }
                        }
                    }
                    Err(codes) => *local.errors.entry(codes).or_default() += 1,
                }
                finished.fetch_add(1, Ordering::Relaxed);
            }
            let mut shared = tally.lock().await;
            shared.latencies_us.extend(local.latencies_us);
            for (code, n) in local.errors {
                *shared.errors.entry(code).or_default() += n;
            }
        }));
    }

    // Progress once a second, and the stop signal at the end of the duration.
    let progress = {
        let (finished, stop) = (finished.clone(), stop.clone());
        tokio::spawn(async move {
            let mut last = 0;
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let done = finished.load(Ordering::Relaxed);
                eprintln!(
                    "  {:>4.0} s  {done:>8} requests  {:>6} /s",
                    started.elapsed().as_secs_f64(),
                    done - last
                );
                last = done;
                if duration.is_some_and(|d| started.elapsed() >= d) {
                    stop.store(true, Ordering::Relaxed);
                }
                if stop.load(Ordering::Relaxed) {
                    break;
                }
            }
        })
    };
    for worker in workers {
        worker.await?;
    }
    let elapsed = started.elapsed();
    let bulk = match bulk {
        Some(task) => Some(task.await??),
        None => None,
    };
    stop.store(true, Ordering::Relaxed);
    progress.abort();
    if let (Some(log), Some(path)) = (&ack_log, &args.acknowledged) {
        use std::io::Write as _;
        log.lock()
            .unwrap_or_else(|e| e.into_inner())
            .flush()
            .with_context(|| format!("writing {}", path.display()))?;
    }

    let mut tally = Arc::try_unwrap(tally)
        .map_err(|_| anyhow::anyhow!("workers still running"))?
        .into_inner();
    tally.latencies_us.sort_unstable();
    let ok = tally.latencies_us.len() as u64;
    let percentile = |p: f64| -> f64 {
        if tally.latencies_us.is_empty() {
            return 0.0;
        }
        let index = ((p / 100.0) * (tally.latencies_us.len() - 1) as f64).round() as usize;
        tally.latencies_us[index] as f64 / 1000.0
    };
    let throughput = ok as f64 / elapsed.as_secs_f64();
    let report = json!({
        "throughput_per_s": (throughput * 10.0).round() / 10.0,
        "ok": ok,
        "errors": tally.errors,
        "latency_ms": {"p50": percentile(50.0), "p90": percentile(90.0), "p99": percentile(99.0), "max": percentile(100.0)},
        "elapsed_s": (elapsed.as_secs_f64() * 100.0).round() / 100.0,
        "concurrency": args.concurrency,
        "rate": args.rate,
        "urls": urls,
        "store": args.database.as_deref().map_or("sqlite (spawned)".to_owned(), |url| url.split(':').next().unwrap_or("").to_owned()),
        "preloaded": args.preload,
        "acknowledged_file": args.acknowledged.as_ref().map(|path| path.display().to_string()),
        "bulk_task": bulk,
        "data_dir_bytes": spawned.as_ref().filter(|_| args.database.is_none()).map(|(dir, _)| dir_size(dir.path())),
    });
    let text = serde_json::to_string_pretty(&report)?;
    println!("{text}");
    if let Some(path) = &args.report {
        std::fs::write(path, format!("{text}\n"))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Submits one bulk task of `count` generated invoices of the first seller and waits for it:
/// the time from submission to `DONE` and what became of the elements.
async fn bulk_task(
    client: &NicClient,
    count: u64,
    today: &str,
    run_id: &str,
    seed: u64,
) -> anyhow::Result<serde_json::Value> {
    let mut rng = invoices::Rng::new(seed.wrapping_mul(7_919));
    let mut body = Vec::with_capacity(count as usize * 1_500 + 2);
    body.push(b'[');
    for n in 0..count {
        if n > 0 {
            body.push(b',');
        }
        body.extend(invoices::invoice(
            &mut rng,
            0,
            &format!("K{run_id}/{n}"),
            today,
        ));
    }
    body.push(b']');
    let started = Instant::now();
    let submitted = client.bulk_generate(&body).await?;
    drop(body);
    let task_id = submitted
        .data
        .as_ref()
        .and_then(|data| data["TaskId"].as_str())
        .with_context(|| format!("the bulk task was refused: {:?}", submitted.error_details))?
        .to_owned();
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let status = client.bulk_status(&task_id).await?;
        let data = status
            .data
            .with_context(|| format!("E7 failed: {:?}", status.error_details))?;
        if data["Status"] == "DONE" {
            let seconds = started.elapsed().as_secs_f64();
            eprintln!(
                "  bulk task {task_id}: {count} invoices in {seconds:.2} s ({:.0} per second)",
                count as f64 / seconds
            );
            return Ok(json!({
                "task_id": task_id,
                "elements": count,
                "seconds": (seconds * 100.0).round() / 100.0,
                "per_s": (count as f64 / seconds).round(),
                "succeeded": data["Succeeded"],
                "failed": data["Failed"],
            }));
        }
    }
}

/// Sends one generate request. The generator only needs to know whether the portal accepted the
/// invoice, so a success is recognised from the envelope's first bytes without decrypting the
/// answer; failures are parsed for their codes. This keeps the generator's share of the CPU down.
/// With `want_irn` (`--acknowledged`) a success is decrypted to return its IRN.
async fn generate(
    client: &NicClient,
    invoice: &[u8],
    want_irn: bool,
) -> Result<Option<String>, String> {
    let Some(session) = client.session() else {
        return Err("not logged in".to_owned());
    };
    let credentials = client.credentials();
    let headers = [
        ("client_id", credentials.client_id.as_str()),
        ("client_secret", credentials.client_secret.as_str()),
        ("Gstin", credentials.gstin.as_str()),
        ("user_name", credentials.user_name.as_str()),
        ("AuthToken", session.auth_token.as_str()),
        ("Content-Type", "application/json"),
    ];
    let body = format!(
        "{{\"Data\":\"{}\"}}",
        irp_core::protocol::encrypt_payload(&session.sek, invoice)
    );
    let response = client
        .raw_request(
            reqwest::Method::POST,
            "/eicore/v1.03/Invoice",
            &[],
            &headers,
            Some(body.into_bytes()),
        )
        .await
        .map_err(|error| format!("transport: {error}"))?;
    if !want_irn && response.body.starts_with(br#"{"Status":1,"#) {
        return Ok(None);
    }
    let envelope: serde_json::Value = serde_json::from_slice(&response.body)
        .map_err(|_| format!("HTTP {} without an envelope", response.http_status))?;
    if envelope["Status"] == 1 {
        if !want_irn {
            return Ok(None);
        }
        // An acknowledgement whose IRN cannot be read is an error of its own, so that a check
        // of the --acknowledged file never silently misses one.
        let unreadable = |what: &str| format!("acknowledged, but {what}");
        let data = envelope["Data"]
            .as_str()
            .ok_or_else(|| unreadable("without Data"))?;
        let plain = irp_core::protocol::decrypt_payload(&session.sek, data)
            .map_err(|_| unreadable("Data does not decrypt"))?;
        let answer: serde_json::Value =
            serde_json::from_slice(&plain).map_err(|_| unreadable("Data is not JSON"))?;
        return answer["Irn"]
            .as_str()
            .map(|irn| Some(irn.to_owned()))
            .ok_or_else(|| unreadable("without an Irn"));
    }
    let codes: Vec<&str> = envelope["ErrorDetails"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["ErrorCode"].as_str())
                .collect()
        })
        .unwrap_or_default();
    Err(codes.join(","))
}

/// The portals to drive: `--url`s with their `sandbox.json`, or one started here (`--spawn`).
async fn portals(
    args: &BenchArgs,
) -> anyhow::Result<(
    Vec<String>,
    SandboxCredentials,
    Option<(tempfile_dir::Dir, Arc<dyn irp_store::Store>)>,
)> {
    if !args.spawn {
        if args.urls.is_empty() {
            bail!("give --url (and --sandbox-json), or --spawn");
        }
        let text = std::fs::read_to_string(&args.sandbox_json)
            .with_context(|| format!("reading {}", args.sandbox_json.display()))?;
        return Ok((args.urls.clone(), serde_json::from_str(&text)?, None));
    }
    let dir = tempfile_dir::Dir::new()?;
    let mut raw = RawSettings::default();
    raw.set("environment", toml::Value::String("sandbox".to_owned()));
    raw.add_env(std::env::vars())?;
    let config = PortalConfig {
        settings: Settings::from_raw(&raw)?,
        data_dir: dir.path().clone(),
        database_url: args.database.clone(),
        seed_sandbox: true,
        replace_shared_settings: true,
    };
    let portal = prepare(config, Clock::default()).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let sandbox = portal
        .sandbox
        .clone()
        .context("the spawned portal has no sandbox")?;
    let store = portal.state.store.clone();
    tokio::spawn(irp_server::router::serve(
        listener,
        portal.state,
        std::future::pending(),
    ));
    Ok((vec![url], sandbox, Some((dir, store))))
}

/// Stores `count` synthetic registrations in batches of 1,000 through the same group-commit path
/// the portal uses, at realistic size: each carries a token shaped like a `SignedInvoice` around
/// one of the generator's own invoices (1 to 50 items, so it packs as a real one does) and a
/// QR token's worth of text. They use node digit 9, so their AckNos never meet the live node's.
async fn preload(store: Arc<dyn irp_store::Store>, count: u64) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut rng = invoices::Rng::new(0x5EED_0F9E_10AD);
    let signed_qr = "y".repeat(1_100);
    let ack_dt = chrono::NaiveDate::from_ymd_opt(2025, 7, 1)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    let mut next = 0u64;
    while next < count {
        let end = (next + 1_000).min(count);
        let records: Vec<irp_store::NewInvoice> = (next..end)
            .map(|n| irp_store::InvoiceRecord {
                irn: Irn::parse(&format!(
                    "{:064x}",
                    n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xA5A5_0000_0000_0000 | (n << 1)
                ))
                .expect("64 hexadecimal digits"),
                seller_gstin: Gstin::parse(invoices::SELLERS[(n % 9) as usize].0)
                    .expect("the generator's sellers have valid GSTINs"),
                ecm_gstin: None,
                doc_type: DocType::Invoice,
                doc_no: format!("P{n}"),
                doc_date: ack_dt.date(),
                ack_no: 192_510_000_000_000 + n + 1,
                ack_dt,
                status: irp_store::InvoiceStatus::Active,
                portal: 1,
                generated_by: invoices::SELLERS[(n % 9) as usize].0.to_owned(),
                buyer_gstin: None,
                signed_invoice: stand_in_signed_invoice(&mut rng, n),
                signed_qr_code: signed_qr.clone(),
                cancellation: None,
            })
            .map(|record| irp_store::NewInvoice {
                record,
                session_token_hash: None,
                packed_signed_invoice: None,
                bulk_element: None,
            })
            .collect();
        store.insert_invoices(&records).await?;
        next = end;
        if next.is_multiple_of(100_000) {
            eprintln!(
                "  preloaded {next} invoices in {:.0} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    eprintln!(
        "preloaded {count} invoices in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A compact JWS laid out as the portal's `SignedInvoice` (a header of the real length, the
/// invoice as payload) whose last segment is random bytes in place of an RSA signature, which
/// is just as incompressible: signing millions of preloaded rows would take longer than the
/// runs they serve.
fn stand_in_signed_invoice(rng: &mut invoices::Rng, n: u64) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    const HEADER: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjBBMUIyQzNENEU1RjZBN0I4QzlEMEUxRjJBM0I0QzVENkU3RjhBOUIiLCJ0eXAiOiJKV1QiLCJ4NXQiOiJDcUl5QTNYazB0c2hIcm9SRlh6WjVyeE9zZDgifQ";
    let payload = invoices::invoice(
        rng,
        (n % invoices::SELLERS.len() as u64) as usize,
        &format!("P{n}"),
        "01/07/2025",
    );
    let signature: Vec<u8> = (0..32).flat_map(|_| rng.next().to_le_bytes()).collect();
    let mut token = String::with_capacity(HEADER.len() + payload.len() * 4 / 3 + 350);
    token.push_str(HEADER);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(&payload, &mut token);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
    token
}

/// Bytes in the files under `path`: the spawned portal's SQLite registry (database, WAL) and keys.
fn dir_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => dir_size(&entry.path()),
            Ok(meta) => meta.len(),
            Err(_) => 0,
        })
        .sum()
}

/// A temporary directory removed when dropped, without another dependency.
mod tempfile_dir {
    use std::path::PathBuf;

    pub struct Dir(PathBuf);

    impl Dir {
        pub fn new() -> std::io::Result<Dir> {
            let path = std::env::temp_dir().join(format!(
                "irp-bench-{}-{}",
                std::process::id(),
                chrono::Utc::now().timestamp_micros()
            ));
            std::fs::create_dir_all(&path)?;
            Ok(Dir(path))
        }

        pub fn path(&self) -> &PathBuf {
            &self.0
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
