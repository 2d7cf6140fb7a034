//! The sweep runner's side of the workers: start them, hand out jobs, enforce the wall-clock
//! limit, and turn a dead or hung worker into an `error` row and a fresh worker.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use crossbeam_channel::{RecvTimeoutError, Sender};
use tracing::{debug, error, warn};

use super::plan::Job;
use super::worker::Reply;
use crate::episode::EvidenceRow;

/// Lines of a worker's standard error kept to explain its death.
const STDERR_TAIL_LINES: usize = 12;
/// How often the runner checks the workers' deadlines.
const DEADLINE_POLL: Duration = Duration::from_millis(500);

/// How to start a worker process.
#[derive(Debug, Clone)]
pub struct WorkerCommand {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// Environment variables set for the worker on top of the runner's own.
    pub envs: Vec<(OsString, OsString)>,
}

/// Cause of a job ending without a row from its worker.
#[derive(Debug, Clone, PartialEq)]
pub enum JobFailure {
    /// The worker ran past the job's wall-clock limit and was killed.
    TimedOut { limit_s: f64 },
    /// The worker exited (panic, abort, signal) while running the job.
    WorkerDied { status: String, stderr_tail: String },
}

impl JobFailure {
    pub fn detail(&self) -> String {
        match self {
            JobFailure::TimedOut { limit_s } => format!(
                "the episode ran past the wall-clock limit of {limit_s} s and its worker was killed; raise episode_timeout_s or --episode-timeout if the machine is slow"
            ),
            JobFailure::WorkerDied { status, stderr_tail } => {
                format!("the worker running the episode exited ({status}); its last output: {stderr_tail}")
            }
        }
    }
}

/// Result of a finished job.
pub enum Finished {
    Row(EvidenceRow),
    Failed(Job, JobFailure, Duration),
}

enum Event {
    Line { slot: usize, generation: u64, line: String },
    Closed { slot: usize, generation: u64 },
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    generation: u64,
    job: Option<(Job, Instant)>,
    /// The last lines of the worker's standard error, filled by `stderr_reader`.
    stderr_tail: Arc<Mutex<VecDeque<String>>>,
    stderr_reader: Option<JoinHandle<()>>,
}

/// Runs `jobs` on `count` workers, calling `on_finished` in the runner's thread for each job
/// as it ends, in completion order.
pub fn run_jobs(
    jobs: Vec<Job>,
    count: usize,
    command: &WorkerCommand,
    mut on_finished: impl FnMut(Finished) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let (sender, receiver) = crossbeam_channel::unbounded();
    let mut queue: VecDeque<Job> = jobs.into();
    let count = count.clamp(1, queue.len().max(1));
    let mut next_generation = 0u64;
    let mut workers: Vec<Option<Worker>> = Vec::with_capacity(count);
    for slot in 0..count {
        workers.push(Some(spawn(command, slot, next_generation, &sender)?));
        next_generation += 1;
    }

    loop {
        for worker in workers.iter_mut().flatten() {
            if worker.job.is_none()
                && let Some(job) = queue.pop_front()
            {
                send_job(worker, job)?;
            }
        }
        let busy = workers.iter().flatten().any(|w| w.job.is_some());
        if !busy && queue.is_empty() {
            break;
        }

        match receiver.recv_timeout(DEADLINE_POLL) {
            Ok(event) => handle_event(event, &mut workers, &mut next_generation, command, &sender, &mut on_finished)?,
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => unreachable!("the runner keeps a sender open"),
        }
        for slot in 0..workers.len() {
            let Some(mut worker) = workers[slot].take_if(|w| w.is_overdue()) else {
                continue;
            };
            if let Some((job, started)) = worker.job.take() {
                let limit_s = job.timeout_s;
                warn!(job = %job.key, limit_s, "episode ran past its wall-clock limit; killing its worker");
                let _ = worker.child.kill();
                let _ = worker.child.wait();
                on_finished(Finished::Failed(job, JobFailure::TimedOut { limit_s }, started.elapsed()))?;
                workers[slot] = Some(spawn(command, slot, next_generation, &sender)?);
                next_generation += 1;
            }
        }
    }

    for worker in workers.into_iter().flatten() {
        close(worker);
    }
    Ok(())
}

impl Worker {
    /// Returns true when the worker's current job has run past its wall-clock limit.
    fn is_overdue(&self) -> bool {
        self.job
            .as_ref()
            .is_some_and(|(job, started)| started.elapsed().as_secs_f64() > job.timeout_s)
    }
}

fn handle_event(
    event: Event,
    workers: &mut [Option<Worker>],
    next_generation: &mut u64,
    command: &WorkerCommand,
    sender: &Sender<Event>,
    on_finished: &mut impl FnMut(Finished) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    // Events of a worker that was killed and replaced carry an old generation and are dropped.
    let is_current = |worker: &Option<Worker>, generation: u64| worker.as_ref().is_some_and(|w| w.generation == generation);
    match event {
        Event::Line { slot, generation, line } => {
            let Some(worker) = workers[slot].as_mut().filter(|w| w.generation == generation) else {
                return Ok(());
            };
            let reply: Reply = serde_json::from_str(&line)
                .with_context(|| format!("worker {slot} sent a line that is not a reply: {line}"))?;
            match worker.job.take() {
                Some((job, _)) if job.key == reply.key => on_finished(Finished::Row(reply.row)),
                other => anyhow::bail!(
                    "worker {slot} replied for job {} while running {:?}; the worker protocol is out of step",
                    reply.key,
                    other.map(|(job, _)| job.key)
                ),
            }
        }
        Event::Closed { slot, generation } => {
            if !is_current(&workers[slot], generation) {
                return Ok(());
            }
            let Some(mut worker) = workers[slot].take() else {
                return Ok(());
            };
            let status = worker
                .child
                .wait()
                .map_or_else(|e| format!("status unknown: {e}"), |s| s.to_string());
            // The panic message may still be in the standard error pipe: let the reader reach
            // the end of it before taking the tail.
            if let Some(reader) = worker.stderr_reader.take() {
                let _ = reader.join();
            }
            let stderr_tail = worker
                .stderr_tail
                .lock()
                .map(|tail| tail.iter().cloned().collect::<Vec<_>>().join(" | "))
                .unwrap_or_default();
            if let Some((job, started)) = worker.job.take() {
                error!(job = %job.key, %status, "worker died while running an episode");
                on_finished(Finished::Failed(job, JobFailure::WorkerDied { status, stderr_tail }, started.elapsed()))?;
            } else {
                warn!(slot, %status, "an idle worker exited; starting another");
            }
            workers[slot] = Some(spawn(command, slot, *next_generation, sender)?);
            *next_generation += 1;
            Ok(())
        }
    }
}

fn spawn(command: &WorkerCommand, slot: usize, generation: u64, sender: &Sender<Event>) -> anyhow::Result<Worker> {
    let mut child = Command::new(&command.program)
        .args(&command.args)
        .envs(command.envs.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start a sweep worker ({})", command.program.display()))?;
    debug!(slot, generation, pid = child.id(), "started a sweep worker");
    let stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    let lines = sender.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines.send(Event::Line { slot, generation, line }).is_err() {
                return;
            }
        }
        let _ = lines.send(Event::Closed { slot, generation });
    });
    let stderr_tail = Arc::new(Mutex::new(VecDeque::new()));
    let tail = Arc::clone(&stderr_tail);
    let stderr_reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            forward_log(slot, &line);
            let Ok(mut tail) = tail.lock() else { break };
            if tail.len() == STDERR_TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(line);
        }
    });
    Ok(Worker {
        child,
        stdin,
        generation,
        job: None,
        stderr_tail,
        stderr_reader: Some(stderr_reader),
    })
}

fn send_job(worker: &mut Worker, job: Job) -> anyhow::Result<()> {
    let mut line = serde_json::to_string(&job).context("cannot serialise a job")?;
    line.push('\n');
    // A worker that already died fails this write; its Closed event then records the job.
    if let Err(error) = worker.stdin.write_all(line.as_bytes()).and_then(|()| worker.stdin.flush()) {
        debug!("cannot send job {} to its worker: {error}", job.key);
    }
    worker.job = Some((job, Instant::now()));
    Ok(())
}

/// Closes a worker's standard input so it exits after its current job, and waits for it.
fn close(mut worker: Worker) {
    drop(worker.stdin);
    let _ = worker.child.wait();
}

/// Re-logs a worker's log line at its own level, so warnings stay visible above the progress
/// bar and routine lines appear with `-v`. The worker's own timestamp and level are dropped.
fn forward_log(slot: usize, line: &str) {
    let mut words = line.split_whitespace();
    let (level, message) = match (words.next(), words.next()) {
        (Some(_time), Some(level @ ("ERROR" | "WARN" | "INFO" | "DEBUG" | "TRACE"))) => {
            (level, line.split_once(level).map_or(line, |(_, rest)| rest.trim_start()))
        }
        _ => ("", line),
    };
    match level {
        "ERROR" => error!("worker {slot}: {message}"),
        "WARN" => warn!("worker {slot}: {message}"),
        // Panic messages and other unformatted output.
        "" => warn!("worker {slot}: {message}"),
        _ => debug!("worker {slot}: {message}"),
    }
}
