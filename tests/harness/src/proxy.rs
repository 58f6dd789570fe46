//! A loopback TCP proxy that cuts every connection once a byte budget is
//! spent: fault injection for "the network dropped mid-command".

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use anyhow::Result;

/// Forwards 127.0.0.1:`port()` to an upstream port. While a limit is set,
/// once that many bytes (both directions, all connections) have passed, every
/// open connection is cut and new ones are refused until the limit changes.
#[derive(Debug)]
pub struct FaultProxy {
    port: u16,
    state: Arc<State>,
}

#[derive(Debug)]
struct State {
    upstream: u16,
    passed: AtomicU64,
    /// `u64::MAX` means no limit.
    limit: AtomicU64,
    cuts: AtomicU64,
    stop: AtomicBool,
    open: Mutex<Vec<TcpStream>>,
}

impl State {
    fn over(&self) -> bool {
        self.passed.load(Ordering::SeqCst) >= self.limit.load(Ordering::SeqCst)
    }

    fn cut_all(&self) {
        if let Ok(mut open) = self.open.lock() {
            if !open.is_empty() {
                self.cuts.fetch_add(1, Ordering::SeqCst);
            }
            for s in open.drain(..) {
                let _ = s.shutdown(Shutdown::Both);
            }
        }
    }
}

impl FaultProxy {
    /// Starts a proxy to 127.0.0.1:`upstream`, with no limit.
    pub fn start(upstream: u16) -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let state = Arc::new(State {
            upstream,
            passed: AtomicU64::new(0),
            limit: AtomicU64::new(u64::MAX),
            cuts: AtomicU64::new(0),
            stop: AtomicBool::new(false),
            open: Mutex::new(Vec::new()),
        });
        let accept_state = Arc::clone(&state);
        thread::spawn(move || {
            for client in listener.incoming() {
                if accept_state.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                if accept_state.over() {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(("127.0.0.1", accept_state.upstream)) else {
                    continue;
                };
                if let Ok(mut open) = accept_state.open.lock() {
                    for s in [&client, &server] {
                        if let Ok(c) = s.try_clone() {
                            open.push(c);
                        }
                    }
                }
                for (from, to) in [(&client, &server), (&server, &client)] {
                    let (Ok(from), Ok(to)) = (from.try_clone(), to.try_clone()) else {
                        continue;
                    };
                    let st = Arc::clone(&accept_state);
                    thread::spawn(move || pump(from, to, &st));
                }
            }
        });
        Ok(Self { port, state })
    }

    /// The port clients connect to.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Cuts everything once `bytes` more bytes have passed (from now).
    pub fn cut_after(&self, bytes: u64) {
        let now = self.state.passed.load(Ordering::SeqCst);
        self.state
            .limit
            .store(now.saturating_add(bytes), Ordering::SeqCst);
    }

    /// Lets everything through again.
    pub fn unlimited(&self) {
        self.state.limit.store(u64::MAX, Ordering::SeqCst);
    }

    /// Bytes forwarded so far, both directions.
    pub fn bytes_passed(&self) -> u64 {
        self.state.passed.load(Ordering::SeqCst)
    }

    /// How many times connections were cut.
    pub fn cuts(&self) -> u64 {
        self.state.cuts.load(Ordering::SeqCst)
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, st: &State) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        // Forward only up to the limit, then cut: the fault lands at an
        // exact byte, possibly in the middle of a command or a literal.
        let limit = st.limit.load(Ordering::SeqCst);
        let before = st.passed.fetch_add(n as u64, Ordering::SeqCst);
        let allowed = limit.saturating_sub(before).min(n as u64) as usize;
        if allowed > 0
            && to
                .write_all(buf.get(..allowed).unwrap_or_default())
                .is_err()
        {
            break;
        }
        if allowed < n {
            st.cut_all();
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        self.state.cut_all();
        // Wake the accept loop so it sees `stop`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}
