//! The bench's smol peer (bench/README.md): every workload on one
//! `LocalExecutor`, tasks spawned on it and awaited through their `Task`
//! handles from the future it runs, the main task.
//!
//! smol's timers and I/O come from async-io's reactor, not from the
//! executor. `smol::block_on` (async-io's, rather than futures-lite's) polls
//! that reactor on this thread whenever the executor has nothing to run, so
//! timers and sockets are serviced here, as on Tokio's current-thread
//! runtime. async-io also runs a helper thread ("async-io") that polls the
//! reactor when no thread has for a while (it backs off from 50 us to 10 ms
//! while a `block_on` is active): that is smol's design, kept as is. With
//! futures-lite's `block_on` instead, every timer and socket event would be
//! handled on that helper thread and cross over to this one.

#[path = "../common.rs"]
mod common;

use common::{Args, ConnResult, Get, Hop, Sleeps, Workload};
use smol::io::{AsyncReadExt, AsyncWriteExt};
use smol::LocalExecutor;
use std::rc::Rc;
use std::time::Instant;

fn main() {
    let args = Args::parse();
    // Created before anything is timed.
    let ex = LocalExecutor::new();
    smol::block_on(ex.run(async {
        match args.workload {
            Workload::Spawn => spawn(&ex, &args).await,
            Workload::Hop => hop(&ex, &args).await,
            Workload::Sleeps => sleeps(&ex, &args).await,
            Workload::Crosswake => crosswake(&ex, &args).await,
            Workload::Get => get(&ex, &args).await,
        }
    }));
    common::done();
}

async fn spawn(ex: &LocalExecutor<'_>, args: &Args) {
    let n = common::spawn_count(args);
    let mut tasks = Vec::with_capacity(n as usize);
    let t0 = Instant::now();
    for i in 0..n {
        tasks.push(ex.spawn(async move { i }));
    }
    let mut sum = 0u64;
    for task in tasks {
        sum += task.await;
    }
    common::spawn_report(n, t0.elapsed(), sum);
}

async fn hop(ex: &LocalExecutor<'_>, args: &Args) {
    let n = common::hop_count(args);
    let t0 = Instant::now();
    ex.spawn(Hop::new(n)).await;
    common::hop_report(n, t0.elapsed());
}

async fn sleeps(ex: &LocalExecutor<'_>, args: &Args) {
    let run = Sleeps::begin(args);
    let mut tasks = Vec::with_capacity(run.n as usize);
    for i in 0..run.n {
        let timer = smol::Timer::at(run.deadline(i));
        tasks.push(ex.spawn(async move {
            timer.await;
        }));
    }
    for task in tasks {
        task.await;
    }
    run.report(Instant::now());
}

async fn crosswake(ex: &LocalExecutor<'_>, args: &Args) {
    let (task, pinger) = common::crosswake(args);
    ex.spawn(task).await;
    pinger.report();
}

async fn get(ex: &LocalExecutor<'_>, args: &Args) {
    let run = Rc::new(Get::begin(args));
    let tasks: Vec<_> = (0..run.connections).map(|_| ex.spawn(connection(run.clone()))).collect();
    let mut results = Vec::with_capacity(tasks.len());
    for task in tasks {
        results.push(task.await);
    }
    run.report(results);
}

/// One connection's loop: a new TCP connection per request until the end.
async fn connection(run: Rc<Get>) -> ConnResult {
    let mut result = ConnResult::default();
    let mut response = Vec::new();
    while Instant::now() < run.end {
        let t0 = Instant::now();
        let mut stream = smol::net::TcpStream::connect(run.addr)
            .await
            .unwrap_or_else(|e| run.io_error("connect", e));
        stream.write_all(&run.request).await.unwrap_or_else(|e| run.io_error("write", e));
        response.clear();
        stream.read_to_end(&mut response).await.unwrap_or_else(|e| run.io_error("read", e));
        result.record(&run, t0, &response);
    }
    result
}
