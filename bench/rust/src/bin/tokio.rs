//! The bench's Tokio peer (bench/README.md): every workload on a
//! current-thread runtime, tasks spawned with `tokio::spawn` and awaited
//! through their JoinHandles from the `block_on` future, the main task.

#[path = "../common.rs"]
mod common;

use common::{Args, ConnResult, Get, Hop, Sleeps, Workload};
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinHandle;

fn main() {
    let args = Args::parse();
    // Created before anything is timed; enable_all for the time and I/O drivers.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| common::die(format!("cannot build the runtime: {}", e)));
    rt.block_on(async {
        match args.workload {
            Workload::Spawn => spawn(&args).await,
            Workload::Hop => hop(&args).await,
            Workload::Sleeps => sleeps(&args).await,
            Workload::Crosswake => crosswake(&args).await,
            Workload::Get => get(&args).await,
        }
    });
    common::done();
}

/// A JoinError only comes from a panicked task (nothing here aborts one).
async fn join<T>(handle: JoinHandle<T>) -> T {
    handle.await.unwrap_or_else(|e| common::die(format!("task failed: {}", e)))
}

async fn spawn(args: &Args) {
    let n = common::spawn_count(args);
    let mut handles = Vec::with_capacity(n as usize);
    let t0 = Instant::now();
    for i in 0..n {
        handles.push(tokio::spawn(async move { i }));
    }
    let mut sum = 0u64;
    for handle in handles {
        sum += join(handle).await;
    }
    common::spawn_report(n, t0.elapsed(), sum);
}

async fn hop(args: &Args) {
    let n = common::hop_count(args);
    let t0 = Instant::now();
    join(tokio::spawn(Hop::new(n))).await;
    common::hop_report(n, t0.elapsed());
}

async fn sleeps(args: &Args) {
    let run = Sleeps::begin(args);
    let mut handles = Vec::with_capacity(run.n as usize);
    for i in 0..run.n {
        let deadline = tokio::time::Instant::from_std(run.deadline(i));
        handles.push(tokio::spawn(tokio::time::sleep_until(deadline)));
    }
    for handle in handles {
        join(handle).await;
    }
    run.report(Instant::now());
}

async fn crosswake(args: &Args) {
    let (task, pinger) = common::crosswake(args);
    join(tokio::spawn(task)).await;
    pinger.report();
}

async fn get(args: &Args) {
    let run = std::sync::Arc::new(Get::begin(args));
    let handles: Vec<_> = (0..run.connections)
        .map(|_| tokio::spawn(connection(run.clone())))
        .collect();
    let mut results = Vec::with_capacity(handles.len());
    for handle in handles {
        results.push(join(handle).await);
    }
    run.report(results);
}

/// One connection's loop: a new TCP connection per request until the end.
async fn connection(run: std::sync::Arc<Get>) -> ConnResult {
    let mut result = ConnResult::default();
    let mut response = Vec::new();
    while Instant::now() < run.end {
        let t0 = Instant::now();
        let mut stream = tokio::net::TcpStream::connect(run.addr)
            .await
            .unwrap_or_else(|e| run.io_error("connect", e));
        stream.write_all(&run.request).await.unwrap_or_else(|e| run.io_error("write", e));
        response.clear();
        stream.read_to_end(&mut response).await.unwrap_or_else(|e| run.io_error("read", e));
        result.record(&run, t0, &response);
    }
    result
}
