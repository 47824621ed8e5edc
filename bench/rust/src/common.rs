//! What the two Rust peers share: the command line, the output, the
//! measurements and the two hand-written futures. Only spawning, joining,
//! sleeping and TCP differ between Tokio and smol, and that glue lives in
//! src/bin/. The workloads themselves are defined in bench/README.md.

// Each binary includes this file as its own module (`#[path]`), so that the
// hot futures below are compiled, and inlined, in the same crate as the
// runtime that polls them; a binary that leaves a helper unused would warn.
#![allow(dead_code)]

use std::future::Future;
use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::process;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread;
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// Exit codes and output

/// Anything that went wrong: a message on stderr, exit 1.
pub fn die(message: impl std::fmt::Display) -> ! {
    eprintln!("error: {}", message);
    process::exit(1)
}

/// A workload this runtime cannot express: `unsupported: REASON`, exit 3.
/// (Tokio and smol express all five; kept so that the interface is whole.)
pub fn unsupported(reason: &str) -> ! {
    println!("unsupported: {}", reason);
    process::exit(3)
}

/// One `name value` line on stdout.
pub fn report(name: &str, value: f64) {
    println!("{} {:.3}", name, value);
}

/// Flushes stdout before the process exits with 0 (the driver reads it).
pub fn done() {
    let _ = std::io::stdout().flush();
}

// ---------------------------------------------------------------------------
// Arguments: WORKLOAD [--scale S] [--url URL] [--seconds D] [--connections N]

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    Spawn,
    Hop,
    Sleeps,
    Crosswake,
    Get,
}

pub struct Args {
    pub workload: Workload,
    pub scale: f64,
    pub url: Option<String>,
    pub seconds: f64,
    pub connections: usize,
}

impl Args {
    pub fn parse() -> Args {
        let usage = "usage: PROGRAM spawn|hop|sleeps|crosswake|get \
                     [--scale S] [--url URL] [--seconds D] [--connections N]";
        let mut argv = std::env::args().skip(1);
        let workload = match argv.next().as_deref() {
            Some("spawn") => Workload::Spawn,
            Some("hop") => Workload::Hop,
            Some("sleeps") => Workload::Sleeps,
            Some("crosswake") => Workload::Crosswake,
            Some("get") => Workload::Get,
            Some(other) => die(format!("unknown workload `{}`; {}", other, usage)),
            None => die(usage),
        };
        let mut args = Args { workload, scale: 1.0, url: None, seconds: 3.0, connections: 100 };
        while let Some(flag) = argv.next() {
            let value = argv.next().unwrap_or_else(|| die(format!("{} needs a value", flag)));
            match flag.as_str() {
                "--scale" => args.scale = positive(&flag, &value),
                "--seconds" => args.seconds = positive(&flag, &value),
                "--connections" => {
                    args.connections = value
                        .parse()
                        .ok()
                        .filter(|&n| n > 0)
                        .unwrap_or_else(|| die(format!("--connections: bad count `{}`", value)))
                }
                "--url" => args.url = Some(value),
                _ => die(format!("unknown option `{}`; {}", flag, usage)),
            }
        }
        args
    }

    /// A workload's count: `base` times `--scale`, never below `min`.
    pub fn count(&self, base: u64, min: u64) -> u64 {
        ((base as f64 * self.scale).round() as u64).max(min)
    }
}

fn positive(flag: &str, value: &str) -> f64 {
    value
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
        .unwrap_or_else(|| die(format!("{}: bad number `{}`", flag, value)))
}

// ---------------------------------------------------------------------------
// Measurements

/// Nearest-rank percentile (`p` in 0..=100) of a sorted sample.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    assert!(!sorted.is_empty());
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A field of /proc/self/status given in kB (`VmRSS`, `VmHWM`), in bytes.
pub fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status")
        .unwrap_or_else(|e| die(format!("reading /proc/self/status: {}", e)));
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().strip_suffix("kB")?.trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or_else(|| die(format!("no {} in /proc/self/status", field)))
}

fn ns_per(elapsed: Duration, n: u64) -> f64 {
    elapsed.as_nanos() as f64 / n as f64
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A thread that ends the process with exit 1 if the workload outlives
/// `limit`: the one workload that depends on another process (nginx) must
/// fail rather than hang. It only sleeps, so it costs the measured thread
/// nothing.
pub fn watchdog(limit: Duration, what: &'static str) {
    thread::spawn(move || {
        thread::sleep(limit);
        die(format!("{}: timed out after {:.1} s", what, limit.as_secs_f64()));
    });
}

// ---------------------------------------------------------------------------
// spawn

pub fn spawn_count(args: &Args) -> u64 {
    args.count(1_000_000, 1_000)
}

/// Checks the joined outputs' sum and prints `ns_per_task`.
pub fn spawn_report(n: u64, elapsed: Duration, sum: u64) {
    let want = n * (n - 1) / 2;
    if sum != want {
        die(format!("spawn: sum of outputs is {}, expected {}", sum, want));
    }
    report("ns_per_task", ns_per(elapsed, n));
}

// ---------------------------------------------------------------------------
// hop

pub fn hop_count(args: &Args) -> u64 {
    args.count(10_000_000, 1_000)
}

/// The hop future: while its count is above zero it decrements it, wakes its
/// own waker and returns Pending, so that the runtime re-queues and re-polls
/// the task; at zero it is ready. Hand-written rather than a library yield,
/// so that every runtime pays for exactly the same thing: one wake, one
/// trip through its run queue, one poll.
pub struct Hop {
    left: u64,
}

impl Hop {
    pub fn new(n: u64) -> Hop {
        Hop { left: n }
    }
}

impl Future for Hop {
    type Output = ();

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.left == 0 {
            return Poll::Ready(());
        }
        self.left -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

pub fn hop_report(n: u64, elapsed: Duration) {
    report("ns_per_hop", ns_per(elapsed, n));
}

// ---------------------------------------------------------------------------
// sleeps

/// One run of `sleeps`: task `i` sleeps until `start + (1 + i % 50) ms`.
pub struct Sleeps {
    pub n: u64,
    rss_before: u64,
    start: Instant,
}

impl Sleeps {
    /// Reads the resident set, then takes `start`: call it just before the
    /// first spawn.
    pub fn begin(args: &Args) -> Sleeps {
        let n = args.count(100_000, 1_000);
        let rss_before = status_bytes("VmRSS");
        Sleeps { n, rss_before, start: Instant::now() }
    }

    pub fn deadline(&self, i: u64) -> Instant {
        self.start + Duration::from_millis(1 + i % 50)
    }

    /// Call with the instant the last join returned.
    pub fn report(&self, last_join: Instant) {
        let last_deadline = self.start + Duration::from_millis(50);
        // Signed: a runtime that fired a timer early would show as negative.
        let late = if last_join >= last_deadline {
            ms(last_join - last_deadline)
        } else {
            -ms(last_deadline - last_join)
        };
        let peak = status_bytes("VmHWM");
        report("late_ms", late);
        report("bytes_per_task", peak.saturating_sub(self.rss_before) as f64 / self.n as f64);
    }
}

// ---------------------------------------------------------------------------
// crosswake

/// What the task and the pinger thread share.
struct Shared {
    sent: AtomicU64,
    acked: AtomicU64,
    /// The parked task's waker; the pinger takes it out to wake it.
    slot: Mutex<Option<Waker>>,
    rounds: u64,
}

/// The task side: acknowledges each `sent` it sees, ready after K.
pub struct CrossTask {
    shared: Arc<Shared>,
}

impl Future for CrossTask {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let s = &*self.shared;
        loop {
            let sent = s.sent.load(Ordering::Acquire);
            // Only this task writes `acked`, so a relaxed read of it is exact.
            if sent > s.acked.load(Ordering::Relaxed) {
                s.acked.store(sent, Ordering::Release);
            }
            if s.acked.load(Ordering::Relaxed) >= s.rounds {
                return Poll::Ready(());
            }
            *s.slot.lock().unwrap() = Some(cx.waker().clone());
            // The pinger stores `sent` before it empties the slot: if `sent`
            // moved while we were parking, it may have found the slot empty,
            // so go round again instead of waiting for a wake that won't come.
            if s.sent.load(Ordering::Acquire) == sent {
                return Poll::Pending;
            }
        }
    }
}

/// The pinger thread; `report` joins it and prints the latencies.
pub struct Pinger {
    thread: thread::JoinHandle<Vec<Duration>>,
}

/// Starts the pinger and returns the task to spawn on the runtime. The
/// pinger's first round begins after 100 us, by which time the task is
/// normally spawned; if not, it sees `sent` on its first poll.
pub fn crosswake(args: &Args) -> (CrossTask, Pinger) {
    let rounds = args.count(10_000, 100);
    let shared = Arc::new(Shared {
        sent: AtomicU64::new(0),
        acked: AtomicU64::new(0),
        slot: Mutex::new(None),
        rounds,
    });
    let pinger_shared = shared.clone();
    let thread = thread::spawn(move || ping(&pinger_shared));
    (CrossTask { shared }, Pinger { thread })
}

fn ping(s: &Shared) -> Vec<Duration> {
    let mut latencies = Vec::with_capacity(s.rounds as usize);
    for i in 1..=s.rounds {
        // Long enough for the runtime's thread to go to sleep, so that the
        // wake has to wake the thread, not just the task.
        thread::sleep(Duration::from_micros(100));
        let t0 = Instant::now();
        s.sent.store(i, Ordering::Release);
        // Take the waker out under the lock, wake it outside it.
        let waker = s.slot.lock().unwrap().take();
        if let Some(waker) = waker {
            waker.wake();
        }
        while s.acked.load(Ordering::Acquire) < i {
            if t0.elapsed() > Duration::from_secs(5) {
                // The runtime's thread is stuck waiting: end the process here.
                die(format!("crosswake: round {} not acknowledged within 5 s", i));
            }
            // As common.hpp's pinger does: on a busy machine the pinger may share
            // a core with the thread it woke, which would otherwise wait for a tick.
            std::thread::yield_now();
        }
        latencies.push(t0.elapsed());
    }
    latencies
}

impl Pinger {
    pub fn report(self) {
        let mut latencies = self.thread.join().unwrap_or_else(|_| die("crosswake: pinger panicked"));
        latencies.sort_unstable();
        report("p50_us", ms(percentile(&latencies, 50.0)) * 1e3);
        report("p99_us", ms(percentile(&latencies, 99.0)) * 1e3);
    }
}

// ---------------------------------------------------------------------------
// get

/// One run of `get`: where to connect, what to send, until when.
pub struct Get {
    pub addr: SocketAddr,
    pub request: Arc<[u8]>,
    pub connections: usize,
    pub start: Instant,
    pub end: Instant,
    url: String,
}

impl Get {
    /// Parses `--url` (http://HOST:PORT/PATH), resolves HOST once (so that no
    /// connection waits on name resolution), builds the request and takes
    /// `start`: call it just before spawning the connections.
    pub fn begin(args: &Args) -> Get {
        let url = args.url.clone().unwrap_or_else(|| die("get needs --url http://HOST:PORT/PATH"));
        let (host, port, path) = parse_url(&url).unwrap_or_else(|e| die(format!("--url {}: {}", url, e)));
        let addr = (host.as_str(), port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut addrs| addrs.next())
            .unwrap_or_else(|| die(format!("--url {}: cannot resolve {}", url, host)));
        let request = format!(
            "GET {} HTTP/1.1\r\nHost: {}:{}\r\nConnection: close\r\n\r\n",
            path, host, port
        );
        // In-flight requests are finished after the deadline; allow them
        // plenty of time, but never hang on a server that stopped answering.
        watchdog(Duration::from_secs_f64(args.seconds + 30.0), "get");
        let start = Instant::now();
        Get {
            addr,
            request: request.into_bytes().into(),
            connections: args.connections,
            start,
            end: start + Duration::from_secs_f64(args.seconds),
            url,
        }
    }

    /// What a failed connect, write or read ends the process with.
    pub fn io_error(&self, step: &str, e: std::io::Error) -> ! {
        die(format!("get {}: {}: {}", self.url, step, e))
    }

    /// Sums the connections' results and prints `requests_per_s`, `p99_ms`.
    pub fn report(&self, results: Vec<ConnResult>) {
        let mut latencies: Vec<Duration> = Vec::new();
        let mut last = None;
        for r in results {
            latencies.extend(r.latencies);
            last = last.max(r.last);
        }
        let last = last.unwrap_or_else(|| die(format!("get {}: no request completed", self.url)));
        latencies.sort_unstable();
        report("requests_per_s", latencies.len() as f64 / (last - self.start).as_secs_f64());
        report("p99_ms", ms(percentile(&latencies, 99.0)));
    }
}

/// One connection's loop: its latencies and when its last response ended.
#[derive(Default)]
pub struct ConnResult {
    latencies: Vec<Duration>,
    last: Option<Instant>,
}

impl ConnResult {
    /// Checks a response read to end of stream and records its latency,
    /// measured from `t0`, taken before connecting.
    pub fn record(&mut self, get: &Get, t0: Instant, response: &[u8]) {
        let now = Instant::now();
        if !response.starts_with(b"HTTP/1.1 200") {
            let first_line = response.split(|&b| b == b'\r' || b == b'\n').next().unwrap_or(b"");
            die(format!(
                "get {}: response does not start with `HTTP/1.1 200`: `{}`",
                get.url,
                String::from_utf8_lossy(first_line)
            ));
        }
        self.latencies.push(now - t0);
        self.last = Some(now);
    }
}

/// `http://HOST:PORT/PATH` (PORT defaults to 80, PATH to `/`).
pub fn parse_url(url: &str) -> Result<(String, u16, String), String> {
    let rest = url.strip_prefix("http://").ok_or("only http:// URLs")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, port.parse::<u16>().map_err(|_| format!("bad port `{}`", port))?),
        None => (authority, 80),
    };
    if host.is_empty() {
        return Err("no host".into());
    }
    Ok((host.to_string(), port, path.to_string()))
}
