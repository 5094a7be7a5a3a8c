//! One run of `irp bulk generate|cancel`: documents sent `--concurrency` at a time, results
//! written in input order, the state saved as it goes.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use indicatif::{ProgressBar, ProgressStyle};
use irp_client::request::paths;
use irp_client::{Envelope, Method, NicClient};
use tokio::task::JoinSet;

use super::input::Source;
use super::outcome::Outcome;
use super::output::{Format, State, Writer};
use super::{Kind, RunArgs};

/// How many elements ahead of those sent the state says "may have been sent".
const SENT_AHEAD: u64 = 1024;
/// Attempts of one document while no portal answers, with waits of 1, 2, 4 and 8 s between.
const ATTEMPTS: u32 = 5;
/// How often the results are made durable and the state saved.
const SAVE_EVERY: Duration = Duration::from_millis(500);

pub async fn run(kind: Kind, args: RunArgs) -> anyhow::Result<ExitCode> {
    let out = args.out.clone().unwrap_or_else(|| {
        let mut name = args.file.file_stem().unwrap_or_default().to_owned();
        name.push(".results.json");
        args.file.with_file_name(name)
    });
    let format = args
        .format
        .or_else(|| Format::of(&out))
        .unwrap_or(Format::Json);
    if args.concurrency == 0 {
        bail!("--concurrency must be at least 1");
    }
    let input = std::fs::canonicalize(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let (mut writer, mut state, maybe_sent) = if args.resume {
        let state = State::load(&out)?;
        if state.input != input || state.kind != kind || state.format != format {
            bail!(
                "{} belongs to another run ({} of {}, as {:?})",
                State::path(&out).display(),
                match state.kind {
                    Kind::Generate => "generate",
                    Kind::Cancel => "cancel",
                },
                state.input.display(),
                state.format
            );
        }
        let maybe_sent = state.sent_until;
        (Writer::resume(&out, &state)?, state, maybe_sent)
    } else {
        let state = State {
            input: input.clone(),
            kind,
            format,
            done: 0,
            bytes: 0,
            sent_until: 0,
        };
        let mut writer = Writer::create(&out, kind, format)?;
        let state = State {
            bytes: writer.sync()?,
            ..state
        };
        state.save(&out)?;
        (writer, state, 0)
    };

    let total = Source::count(kind, &input)?;
    let mut source = Source::open(kind, &input)?;
    for _ in 0..state.done {
        source.next()?;
    }
    let client = Arc::new(super::client(&args)?);
    let login = client.authenticate(false).await?;
    if !login.is_success() {
        bail!("the portal refused the login: {:?}", login.error_details);
    }

    let bar = ProgressBar::new(total).with_position(state.done);
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} documents · {per_sec} · ETA {eta} · {msg}",
        )
        .expect("a valid template"),
    );
    let started = Instant::now();
    let (mut succeeded, mut failed) = (0_u64, 0_u64);
    let mut running = JoinSet::new();
    let mut finished_results: BTreeMap<u64, Outcome> = BTreeMap::new();
    let mut next = state.done;
    let mut input_done = false;
    let mut last_save = Instant::now();
    let mut aborted = None;
    loop {
        while aborted.is_none() && !input_done && running.len() < args.concurrency {
            let Some(request) = source.next()? else {
                input_done = true;
                break;
            };
            if next >= state.sent_until {
                state.sent_until = next + SENT_AHEAD;
                state.save(&out)?;
            }
            let client = client.clone();
            let retried = next < maybe_sent;
            let index = next;
            running.spawn(async move { process(&client, kind, index, request, retried).await });
            next += 1;
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        match joined.context("a document's call failed")? {
            Ok(outcome) => {
                finished_results.insert(outcome.index, outcome);
            }
            Err(error) => {
                // Stop sending; let the calls in flight end, then save how far the run got.
                aborted.get_or_insert(error);
            }
        }
        while let Some(outcome) = finished_results.remove(&state.done) {
            writer.write(&outcome)?;
            if outcome.success {
                succeeded += 1;
            } else {
                failed += 1;
            }
            state.done += 1;
            bar.inc(1);
        }
        bar.set_message(format!("{succeeded} done, {failed} failed"));
        if last_save.elapsed() >= SAVE_EVERY {
            state.bytes = writer.sync()?;
            state.save(&out)?;
            last_save = Instant::now();
        }
    }
    state.bytes = writer.sync()?;
    state.save(&out)?;
    bar.finish_and_clear();
    if let Some(error) = aborted {
        eprintln!(
            "Stopped after {} of {total} documents: {error:#}\nThe results so far are in {}; \
             run the same command with --resume to go on.",
            state.done,
            out.display()
        );
        return Ok(ExitCode::from(2));
    }
    writer.finish()?;
    std::fs::remove_file(State::path(&out))?;
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{succeeded} succeeded, {failed} failed, of {total} documents in {elapsed:.1} s; results in {}",
        out.display()
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// One document, as a single API call, retried while no portal answers. `retried` says a
/// stopped run may have sent it already: then a duplicate (generate) or "already cancelled"
/// (cancel) answer is this document's own earlier success, read back from the portal.
async fn process(
    client: &NicClient,
    kind: Kind,
    index: u64,
    request: Vec<u8>,
    retried: bool,
) -> anyhow::Result<Outcome> {
    let mut wait = Duration::from_secs(1);
    let mut last_error = None;
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(wait).await;
            wait *= 2;
        }
        let path = match kind {
            Kind::Generate => paths::GENERATE,
            Kind::Cancel => paths::CANCEL,
        };
        let answer = match client
            .call(Method::POST, path, &[], Some(&request), &[])
            .await
        {
            Ok(answer) => answer,
            Err(error) => {
                last_error = Some(anyhow::Error::from(error));
                continue;
            }
        };
        if answer.has_error("1005") {
            // The session ran out during a long run: log in again and send it again.
            client.authenticate(true).await?;
            last_error = Some(anyhow::anyhow!("the session ended"));
            continue;
        }
        let sent_before = retried || attempt > 0 || answer.attempts > 1;
        return Ok(outcome(client, kind, index, &request, answer, sent_before).await);
    }
    Err(last_error.unwrap_or_else(|| anyhow::anyhow!("no portal answered")))
}

async fn outcome(
    client: &NicClient,
    kind: Kind,
    index: u64,
    request: &[u8],
    answer: Envelope,
    sent_before: bool,
) -> Outcome {
    if let (true, Some(data)) = (answer.is_success(), answer.data.as_ref()) {
        return match kind {
            Kind::Generate => Outcome::generated(index, request, data, answer.info_dtls.as_ref()),
            Kind::Cancel => Outcome::cancelled(
                index,
                data["Irn"].as_str().unwrap_or_default(),
                data["CancelDate"].as_str().unwrap_or_default(),
            ),
        };
    }
    if sent_before && let Some(found) = earlier_success(client, kind, index, request, &answer).await
    {
        return found;
    }
    Outcome::failed(kind, index, request, &answer)
}

/// The success an earlier attempt of this document had, when `answer` says it took effect.
async fn earlier_success(
    client: &NicClient,
    kind: Kind,
    index: u64,
    request: &[u8],
    answer: &Envelope,
) -> Option<Outcome> {
    match kind {
        Kind::Generate if answer.has_error("2150") => {
            let original = answer.info("DUPIRN")?;
            let irn = original.get("Irn")?.as_str()?;
            let portal = match original.get("AckNo")?.to_string().chars().next()? {
                '2' => "NIC2",
                _ => "NIC1",
            };
            let fetched = client.get_by_irn(irn, Some(portal)).await.ok()?;
            let data = fetched.data.filter(|_| fetched.status == 1)?;
            Some(Outcome::generated(index, request, &data, None))
        }
        Kind::Cancel if answer.has_error("9999") => {
            let parsed: serde_json::Value = serde_json::from_slice(request).ok()?;
            let irn = parsed
                .as_object()?
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("Irn"))?
                .1
                .as_str()?
                .to_owned();
            let fetched = client.get_by_irn(&irn, None).await.ok()?;
            let cancelled = fetched.data.as_ref()?.get("Status")?.as_str()? == "CNL";
            cancelled.then(|| Outcome::cancelled(index, &irn, ""))
        }
        _ => None,
    }
}
